"""Domain errors in the athlete's language: core's sentence translated, the bot's command hint
after it, the Pro-only answer with its button, and Russian plural forms of counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.i18n import use_language
from bot.views.common import error_text, limit_text
from bot.views.training import ActCb
from core.bootstrap import Container
from core.errors import (
    ImportQueueFull,
    LimitReached,
    NoSuchGoal,
    TooManyGoals,
    TooManySessions,
)
from core.training.goals import MAX_GOALS, GoalInput
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u


def said_in(language: str, name: str, args: str = "") -> dict[str, Any]:
    """A /command from an athlete whose Telegram speaks `language`."""
    text = f"/{name} {args}".rstrip()
    entity = {"type": "bot_command", "offset": 0, "length": len(name) + 1}
    return u.text_message(text, entities=[entity], sender=u.user(language_code=language))


async def test_a_german_athlete_reads_domain_errors_in_german_with_the_command_hint(
    harness: BotHarness,
) -> None:
    *_, unlinked = await harness.texts_after(said_in("de", "sync"), 2)
    assert unlinked == (
        "Garmin Connect ist noch nicht verbunden. Schick /connect, um es zu verbinden."
    )

    [no_goal] = await harness.texts_after(said_in("de", "goal", "delete 7"))
    assert no_goal == "Es gibt kein Ziel Nummer 7. /goal listet sie auf."

    [past] = await harness.texts_after(said_in("de", "goal", "add Berlin Marathon 2020-09-27"))
    assert past == "Dieses Datum ist vorbei: Gib das Datum eines kommenden Wettkampfs an."

    [bad_time] = await harness.texts_after(
        said_in("de", "goal", "add Berlin Marathon 2099-09-27 42.2 3:75:00")
    )
    assert bad_time == "Minuten und Sekunden der Zielzeit müssen unter 60 liegen."

    # An activity id that is not the athlete's (a stale or forged button).
    press = u.callback_query(ActCb(id=987_654).pack())
    press["callback_query"]["from"] = u.user(language_code="de")
    [missing] = await harness.texts_after(press)
    assert missing == "Aktivität nicht gefunden."


async def test_a_german_athlete_is_told_in_german_that_export_is_pro(
    harness: BotHarness,
) -> None:
    [refused] = await harness.texts_after(said_in("de", "export"))
    assert (
        refused == "Der Datenexport ist Teil des Pro-Tarifs. Wechsle zu Pro, um es freizuschalten."
    )
    markup = harness.last_markup()
    assert markup is not None
    assert [b["text"] for row in markup["inline_keyboard"] for b in row] == ["⭐ Auf Pro upgraden"]


async def test_a_russian_athlete_with_every_goal_taken_reads_the_count_in_its_plural(
    harness: BotHarness, container: Container
) -> None:
    await harness.texts_after(said_in("ru", "goal"))  # first contact: the account is Russian
    account = await container.services.accounts.get_or_create(u.DEFAULT_USER_ID)
    assert account.language == "ru"
    for n in range(MAX_GOALS):
        await container.services.goals.add(
            account.id, GoalInput(f"Race {n}", date(2099, 1, 1) + timedelta(days=n), None, None)
        )
    [full] = await harness.texts_after(said_in("ru", "goal", "add Один ещё 2099-12-31"))
    assert full == (
        f"У вас {MAX_GOALS} целей: сначала удалите одну. /goal delete N удаляет цель N."
    )


def test_russian_plural_forms_of_error_counts() -> None:
    with use_language("ru"):
        assert error_text(TooManyGoals(1)).startswith("У вас 1 цель: сначала удалите её.")
        assert error_text(TooManyGoals(3)).startswith("У вас 3 цели: сначала удалите одну.")
        assert error_text(TooManyGoals(21)).startswith("У вас 21 цель:")
        assert error_text(ImportQueueFull(2)) == (
            "Я ещё читаю 2 ваших файла: пришлите этот ещё раз, когда я на них отвечу."
        )
        assert error_text(ImportQueueFull(5)).startswith("Я ещё читаю 5 ваших файлов:")
        assert error_text(NoSuchGoal(4)) == "Цели с номером 4 нет. /goal покажет их список."
    # The English sentence stays the error's message, for logs and the API.
    assert TooManyGoals(1).message == "You have 1 goal: delete it first."
    assert TooManySessions(40, 32).message.startswith("That file holds 40 sessions")


def test_the_chat_limit_in_german_and_russian_with_its_reset_time() -> None:
    now = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)
    resets = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    with use_language("de"):
        text = limit_text(LimitReached("ai_chat", 10, resets), "Europe/Berlin", now)
    assert text == (
        "Du hast alle 10 KI-Chatnachrichten für heute im Free-Tarif aufgebraucht.\n"
        "Zurückgesetzt wird: 01:00 (Europe/Berlin), in 3 h 30 min.\n\n"
        "Mit <b>Pro</b> sind alle KI-Funktionen unbegrenzt."
    )
    with use_language("ru"):
        few = limit_text(LimitReached("ai_chat", 3, None), "UTC", now)
        many = limit_text(LimitReached("ai_analysis", 5, resets + timedelta(days=3)), "UTC", now)
    assert few.startswith("Вы использовали все 3 сообщения в ИИ-чате на сегодня")
    assert many.startswith("Вы использовали все 5 ИИ-анализов тренировок в этом месяце")
    assert "через 3 дня" in many
