"""Training texts in the athlete's language and units, end to end over the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fit_files import fit_bytes, needs_fit_files
from tests.power_rides import EDGE, redated_ride

pytestmark = needs_fit_files


def _upload(h: BotHarness, data: bytes, name: str, language: str) -> dict[str, Any]:
    """A file sent by an athlete whose Telegram speaks `language`."""
    update = u.document_message(h.api.add_file(data, file_name=name))
    update["message"]["from"]["language_code"] = language
    return update


def _rpe_button(h: BotHarness, rpe: int) -> str:
    markup = h.last_markup()
    assert markup is not None
    data = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    return next(d for d in data if d.startswith("rpe:") and d.endswith(f":{rpe}"))


async def test_a_german_athlete_gets_the_card_and_the_rpe_answer_in_german(
    harness: BotHarness,
) -> None:
    update = _upload(harness, fit_bytes("2013-02-06-12-11-14.fit"), "lauf.fit", "de")
    (card,) = await harness.texts_after(update, timeout=30)
    assert card.startswith("Gespeichert.\n\n<b>Laufen</b> · ")
    assert "Distanz 4,84 km · Zeit 43:45" in card and "Pace 9:03 /km" in card
    assert "HF 147 Ø, max. 171" in card
    assert "Trag deine Schwellenwerte in /settings ein" in card
    assert card.endswith("Wie anstrengend war es? Tippe 1 (sehr leicht) bis 10 (maximal).")
    markup = harness.last_markup()
    assert markup is not None and markup["inline_keyboard"][2][0]["text"] == "📝 Notiz hinzufügen"

    (answer,) = await harness.texts_after(u.callback_query(_rpe_button(harness, 7)))
    assert answer.startswith("RPE 7 (sehr schwer) gespeichert: Einheitsbelastung ")
    assert answer.endswith(" min).")
    (again,) = await harness.texts_after(update, timeout=30)
    assert again.startswith("Diese Aktivität habe ich schon.")


async def test_an_imperial_spanish_athlete_reads_miles_and_minutes_per_mile(
    harness: BotHarness,
) -> None:
    accounts = harness.container.services.accounts
    account = await accounts.get_or_create(u.DEFAULT_USER_ID, language="es")
    await accounts.set_units(account.id, "imperial")
    update = _upload(harness, fit_bytes("2013-02-06-12-11-14.fit"), "carrera.fit", "es")
    (card,) = await harness.texts_after(update, timeout=30)
    assert card.startswith("Guardado.\n\n<b>Carrera</b> · ")
    # 4.84 km are 3.00 miles; 9:03 a km is 14:34 a mile.
    assert "Distancia 3,00 mi · Tiempo 43:45" in card
    assert "Ritmo 14:34 /mi" in card
    assert "km" not in card
    assert card.endswith("¿Qué tan duro se sintió? Toca del 1 (muy fácil) al 10 (máximo).")


async def test_a_german_athlete_reads_curve_and_bests_in_german(harness: BotHarness) -> None:
    ride = redated_ride(EDGE, datetime(2026, 11, 24, 8, tzinfo=UTC))
    card, offer = await harness.texts_after(_upload(harness, ride, "edge.fit", "de"), 2,
                                            timeout=60)  # fmt: skip
    assert card.startswith("Gespeichert.")
    assert offer == (
        "Deine Leistungskurve spricht für eine FTP von <b>297 W</b> (95 % der 20-min-Bestleistung "
        "312 W); bisher ist keine FTP eingetragen."
    )
    assert harness.last_markup() == {
        "inline_keyboard": [[{"text": "FTP 297 W übernehmen", "callback_data": "ftp:297"}]]
    }
    table, again = await harness.texts_after(u.command("curve"), 2, timeout=30)
    assert again == offer
    assert table.startswith(
        "<b>Leistungskurve</b>: beste Durchschnittsleistung, letzte 90 Tage und 180 Tage"
    )
    assert " 20 min   312 W   312 W  24. Nov. 2026" in table
    assert "erzielt am" in table
    (photo,) = await harness.api.wait_for("sendPhoto", timeout=30)
    assert photo.params["caption"] == (
        "Leistungskurve: beste Durchschnittsleistung für jede Dauer."
    )
    assert photo.params["photo"]["content"].startswith(b"\x89PNG\r\n\x1a\n")
