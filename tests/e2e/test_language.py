"""The athlete's language: chosen at first contact from Telegram's, changed with /language."""

from __future__ import annotations

from typing import Any

from bot.i18n import LANGUAGES, _, use_language
from bot.views.language import UNKNOWN
from bot.views.start import HELP
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u


def _start(language_code: str) -> dict[str, Any]:
    """/start from a user whose Telegram app is set to `language_code`."""
    entity = {"type": "bot_command", "offset": 0, "length": 6}
    sender = u.user(language_code=language_code)
    return {"message": u.message(sender=sender, text="/start", entities=[entity])}


async def _stored_language(harness: BotHarness) -> str | None:
    account = await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    return account.language


def _buttons(harness: BotHarness) -> dict[str, str]:
    markup = harness.last_markup()
    assert markup is not None
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def test_a_german_first_contact_is_welcomed_in_german(harness: BotHarness) -> None:
    welcome, question = await harness.texts_after(_start("de"), 2)
    assert welcome.startswith("Hallo Alex! Ich bin dein Trainingsanalyst und Coach.")
    assert "<b>Was ich kann</b>" in welcome and "/language" in welcome
    assert question.startswith("In welcher Zeitzone bist du?")
    assert await _stored_language(harness) == "de"
    # The stored language holds for every later update, whatever the app sends.
    shown = await harness.texts_after(u.command("settings"))
    assert shown[0].startswith("<b>Einstellungen</b>") and "Sprache: Deutsch" in shown[0]
    buttons = _buttons(harness)
    assert buttons["Zeitzone"] == "set:timezone" and buttons["🌐 Sprache"] == "set:language"


async def test_an_unsupported_app_language_is_stored_as_english(harness: BotHarness) -> None:
    welcome, _question = await harness.texts_after(_start("pt-br"), 2)
    assert welcome.startswith("Hi Alex! I am your training analyst and coach.")
    assert await _stored_language(harness) == "en"


async def test_language_switches_to_russian_and_help_follows(harness: BotHarness) -> None:
    shown = await harness.texts_after(u.command("language"))
    assert shown[0] == "Language: English. Which language should I write in?"
    buttons = _buttons(harness)
    assert buttons == {
        "✓ English": "lang:en",
        "Deutsch": "lang:de",
        "Español": "lang:es",
        "Русский": "lang:ru",
    }
    changed = await harness.texts_after(u.callback_query(buttons["Русский"]))
    assert changed == ["Язык: Русский. Теперь я пишу вам на этом языке."]
    assert await _stored_language(harness) == "ru"
    helped = await harness.texts_after(u.command("help"))
    with use_language("ru"):
        assert helped == [_(HELP)]
    assert helped[0].startswith("<b>Что я умею</b>")


async def test_settings_opens_the_language_choice(harness: BotHarness) -> None:
    await harness.texts_after(u.command("settings"))
    assert _buttons(harness)["🌐 Language"] == "set:language"
    shown = await harness.texts_after(u.callback_query("set:language"))
    assert shown[0].startswith("Language: English.")
    changed = await harness.texts_after(u.callback_query("lang:es"))
    assert changed == ["Idioma: Español. A partir de ahora te escribo en este idioma."]


async def test_a_forged_language_changes_nothing(harness: BotHarness) -> None:
    await harness.texts_after(u.command("language"))
    before = len(harness.api.calls("answerCallbackQuery"))
    harness.feed(u.callback_query("lang:xx"))
    answers = await harness.api.wait_for("answerCallbackQuery", count=before + 1)
    assert answers[-1].params.get("text") == UNKNOWN
    assert await _stored_language(harness) == "en"
    # Still English: nothing was stored.
    assert (await harness.texts_after(u.command("help")))[0] == HELP


async def test_the_command_menu_is_registered_per_language(harness: BotHarness) -> None:
    calls = [r for r in harness.api.calls("setMyCommands") if r.ok]
    by_language = {r.params.get("language_code"): r.params["commands"] for r in calls}
    assert set(by_language) == {None} | {lang for lang in LANGUAGES if lang != "en"}

    def described(language: str | None) -> dict[str, str]:
        return {c["command"]: c["description"] for c in by_language[language]}

    assert described(None)["language"] == "Language of the bot"
    assert described("de")["language"] == "Sprache des Bots"
    assert described("es")["settings"] == "Zona horaria, umbrales, hora del resumen"
    assert described("ru")["help"] == "Что я умею"
    # The same commands, in the same order, in every language.
    assert len({tuple(c["command"] for c in cmds) for cmds in by_language.values()}) == 1


async def test_usage_delete_and_settings_answers_in_german(harness: BotHarness) -> None:
    await harness.texts_after(_start("de"), 2)
    usage = (await harness.texts_after(u.command("usage")))[0]
    assert usage.startswith("<b>Tarif: Free</b>\n• KI-Chatnachrichten: heute noch 10 von 10")
    assert "• Datenexport: nur mit Pro" in usage
    question = (await harness.texts_after(u.command("delete")))[0]
    assert question.startswith("Damit werden dein Konto") and question.endswith("Bist du sicher?")
    assert _buttons(harness) == {"Ja, alles löschen": "del:1", "Nein, behalten": "del:0"}
    assert await harness.texts_after(u.callback_query("del:0")) == ["Es wurde nichts gelöscht."]
    # A value question, answered in German words, and a wrong answer explained in German.
    await harness.texts_after(u.command("settings"))
    asked = await harness.texts_after(u.callback_query("set:sex"))
    assert asked == ["männlich oder weiblich (für die TRIMP-Formel).\n/cancel zum Abbrechen."]
    missed = await harness.texts_after(u.text_message("vielleicht"))
    assert missed == ["Bitte antworte mit männlich oder weiblich."]
    saved = (await harness.texts_after(u.text_message("Weiblich")))[0]
    assert saved.startswith("Gespeichert.\n\n<b>Einstellungen</b>")
    assert "Geschlecht: weiblich" in saved
