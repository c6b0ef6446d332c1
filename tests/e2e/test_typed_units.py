"""An imperial athlete types miles and paces per mile; a metric one km and per km."""

from __future__ import annotations

import pytest

from tests.e2e.harness import BotHarness
from tests.fakes import updates as u

MILE_M = 1609.344


async def _athlete(harness: BotHarness, units: str, language: str = "en") -> int:
    accounts = harness.container.services.accounts
    account = await accounts.get_or_create(u.DEFAULT_USER_ID, language=language)
    await accounts.set_units(account.id, units)
    return account.id


async def _stored_distances(harness: BotHarness, user_id: int) -> dict[str, float | None]:
    goals = await harness.container.services.goals.list(user_id)
    return {g.name: g.distance_m for g in goals}


async def test_an_imperial_athlete_adds_goals_in_miles(harness: BotHarness) -> None:
    uid = await _athlete(harness, "imperial")
    (usage,) = await harness.texts_after(u.command("goal", "what"))
    assert usage == "Use /goal, /goal add [name date miles h:mm:ss] or /goal delete N."
    (empty,) = await harness.texts_after(u.command("goal"))
    assert "Chicago Marathon 2027-10-10 26.2 3:15:00" in empty

    (added,) = await harness.texts_after(u.command("goal", "add Chicago Marathon 2099-10-10 26.2"))
    assert "26.20 mi" in added and "km" not in added
    dialog = [
        (u.command("goal", "add"), "What is the race called?"),
        (u.text_message("Half"), "When is it?"),
        (u.text_message("2099-03-01"), "Distance in miles and target time, e.g. <code>26.2"),
        (u.text_message("13.1 mi 1:35:00"), "13.10 mi"),
    ]
    for update, expected in dialog:
        (answer,) = await harness.texts_after(update)
        assert expected in answer
    # A distance written in km is taken in km, also from an imperial athlete.
    await harness.texts_after(u.command("goal", "add City 10K 2099-05-01 10 km 0:45:00"))
    stored = await _stored_distances(harness, uid)
    assert stored["Chicago Marathon"] == pytest.approx(26.2 * MILE_M)
    assert stored["Half"] == pytest.approx(13.1 * MILE_M)
    assert stored["City 10K"] == pytest.approx(10_000)

    (refused,) = await harness.texts_after(u.command("goal", "add Ultra 2099-06-01 700"))
    assert "The distance must be between 0 and 621 miles." in refused
    assert set(await _stored_distances(harness, uid)) == {"Chicago Marathon", "Half", "City 10K"}


async def test_a_metric_athlete_may_write_miles_after_the_number(harness: BotHarness) -> None:
    uid = await _athlete(harness, "metric")
    (added,) = await harness.texts_after(u.command("goal", "add Boston 2099-04-19 26.2 mi 3:05:00"))
    assert "42.16 km" in added
    assert (await _stored_distances(harness, uid))["Boston"] == pytest.approx(26.2 * MILE_M)


async def _set_pace(harness: BotHarness, answer: str) -> str:
    await harness.texts_after(u.callback_query("set:threshold_pace_s_per_km"))
    (saved,) = await harness.texts_after(u.text_message(answer))
    return saved


async def _stored_pace(harness: BotHarness) -> float | None:
    account = await harness.container.services.accounts.by_chat(u.DEFAULT_USER_ID)
    assert account is not None
    return account.profile.threshold_pace_s_per_km


async def test_an_imperial_athlete_sets_the_threshold_pace_per_mile(harness: BotHarness) -> None:
    await _athlete(harness, "imperial")
    (question,) = await harness.texts_after(u.callback_query("set:threshold_pace_s_per_km"))
    assert question.startswith(
        "Your threshold running pace per mile as m:ss (e.g. 7:15), or 0 to clear."
    )
    (saved,) = await harness.texts_after(u.text_message("7:15"))
    assert saved.startswith("Saved.") and "Threshold pace: 7:15 /mi" in saved
    assert await _stored_pace(harness) == pytest.approx(435 / 1.609344, abs=0.05)

    saved = await _set_pace(harness, "4:30/km")  # the other unit, written out
    assert "Threshold pace: 7:15 /mi" in saved and await _stored_pace(harness) == 270

    await harness.texts_after(u.callback_query("set:threshold_pace_s_per_km"))
    (too_fast,) = await harness.texts_after(u.text_message("3:00"))
    assert "Give a pace between 3:14 and 24:08 per mile." in too_fast
    (unreadable,) = await harness.texts_after(u.text_message("quick"))
    assert "Give the pace as m:ss per mile, for example 7:15." in unreadable
    assert "stays as it was" in unreadable
    assert await _stored_pace(harness) == 270


async def test_a_metric_athlete_sets_the_threshold_pace_per_km(harness: BotHarness) -> None:
    await _athlete(harness, "metric")
    (question,) = await harness.texts_after(u.callback_query("set:threshold_pace_s_per_km"))
    assert question.startswith("Your threshold running pace per km as m:ss (e.g. 4:30)")
    (saved,) = await harness.texts_after(u.text_message("4:30"))
    assert "Threshold pace: 4:30 /km" in saved and await _stored_pace(harness) == 270


async def test_a_german_imperial_athlete_is_asked_in_german_per_mile(harness: BotHarness) -> None:
    await _athlete(harness, "imperial", language="de")
    (question,) = await harness.texts_after(u.callback_query("set:threshold_pace_s_per_km"))
    assert question.startswith("Deine Schwellenpace beim Laufen pro Meile als m:ss (z. B. 7:15)")
    (wrong,) = await harness.texts_after(u.text_message("schnell"))
    assert "Gib die Pace als m:ss pro Meile an, zum Beispiel 7:15." in wrong
    (ask,) = await harness.texts_after(u.command("goal", "add"))
    await harness.texts_after(u.text_message("Chicago"))
    (details,) = await harness.texts_after(u.text_message("2099-10-10"))
    assert details.startswith("Distanz in Meilen und Zielzeit, z. B. <code>26.2 3:15:00</code>")
    assert ask.startswith("Wie heißt der Wettkampf?")
