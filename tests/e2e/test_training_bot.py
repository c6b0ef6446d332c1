"""FIT uploads and training commands end to end, over real HTTP against the fake Bot API."""

from __future__ import annotations

from bot.views.start import HELP
from core.bootstrap import Container
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fit_files import fit_bytes, needs_fit_files

pytestmark = needs_fit_files

# Every undamaged real activity chained into one file (the FIT format allows chaining): 0.6 MB,
# about two seconds of decoding, 11 sessions.
CHAINED = (
    "Edge810-Vector-2013-08-16-15-35-10.fit", "activity-small-fenix2-run.fit",
    "sample-activity.fit", "event_timestamp.fit", "sample_mulitple_header.fit",
    "sample-activity-indoor-trainer.fit", "2013-02-06-12-11-14.fit",
)  # fmt: skip


async def _make_pro(c: Container) -> None:
    account = await c.services.accounts.get_or_create(u.DEFAULT_USER_ID)
    async with c.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.subscriptions.upsert(account.id, plan_id=pro.id, provider="stripe",
                                       status="active")  # fmt: skip
        await uow.commit()


def _upload(h: BotHarness, data: bytes, name: str) -> dict[str, object]:
    return u.document_message(h.api.add_file(data, file_name=name))


async def test_upload_real_fit_gets_its_card(harness: BotHarness) -> None:
    texts = await harness.texts_after(_upload(harness, fit_bytes("2013-02-06-12-11-14.fit"),
                                              "morning-run.fit"), timeout=30)  # fmt: skip
    card = texts[0]
    assert card.startswith("Saved.") and "Running" in card
    assert "4.84 km" in card and "43:45" in card and "Pace 9:03 /km" in card
    assert "HR 147 avg, max 171" in card and "estimated" in card
    assert harness.api.downloads and harness.api.calls("getFile")
    again = await harness.texts_after(_upload(harness, fit_bytes("2013-02-06-12-11-14.fit"),
                                              "again.fit"), timeout=30)  # fmt: skip
    assert again[0].startswith("I already have this activity.") and "Running" in again[0]


async def test_imperial_units_show_miles(harness: BotHarness) -> None:
    account = await harness.container.services.accounts.get_or_create(u.DEFAULT_USER_ID)
    await harness.container.services.accounts.set_units(account.id, "imperial")
    texts = await harness.texts_after(_upload(harness, fit_bytes("garmin-fenix-5-bike.fit"),
                                              "ride.fit"), timeout=30)  # fmt: skip
    assert "0.29 mi" in texts[0] and "mph" in texts[0]


async def test_help_is_answered_while_a_big_file_decodes(harness: BotHarness) -> None:
    data = b"".join(fit_bytes(n) for n in CHAINED)
    assert len(data) > 500_000
    before = len(harness.api.sent_texts(u.DEFAULT_USER_ID))
    harness.feed(_upload(harness, data, "season.fit"))
    harness.feed(u.command("help"))
    await harness.api.wait_for("sendMessage", count=before + 2, timeout=60)
    texts = harness.api.sent_texts(u.DEFAULT_USER_ID)[before:]
    assert texts[0] == harness.api.sent_texts(u.DEFAULT_USER_ID)[before]
    assert "What I do" in texts[0] and HELP.startswith("<b>What I do</b>")
    assert texts[1].startswith("Saved 11 sessions.")


async def test_bad_files_each_get_one_sentence(harness: BotHarness) -> None:
    cases = [
        (fit_bytes("Settings.fit"), "Settings.fit", "device settings file, not an activity"),
        (fit_bytes("WorkoutIndividualSteps.fit"), "w.fit", "planned workout"),
        (fit_bytes("2013-02-06-12-11-14.fit")[:300], "cut.fit", "cut short"),
        (b"<gpx></gpx>", "track.fit", "GPX or TCX"),
        (b"just some notes", "notes.txt", "ending in <b>.fit</b>"),
    ]
    for data, name, sentence in cases:
        texts = await harness.texts_after(_upload(harness, data, name), timeout=30)
        assert sentence in texts[0], texts[0]
    damaged = await harness.texts_after(_upload(harness, fit_bytes("activity-filecrc.fit"),
                                                "crc.fit"), timeout=30)  # fmt: skip
    assert "damaged; I recovered" in damaged[0]
    big = harness.api.add_file(b"\x0e" * 16, file_name="huge.fit")
    big["file_size"] = 25 * 1024 * 1024
    downloads = len(harness.api.downloads)
    texts = await harness.texts_after(u.document_message(big))
    assert "over 20 MB" in texts[0] and len(harness.api.downloads) == downloads


async def test_activities_buttons_open_cards_and_forged_ids_are_not_found(
    harness: BotHarness,
) -> None:
    await harness.texts_after(_upload(harness, fit_bytes("garmin-fenix-5-run.fit"), "a.fit"),
                              timeout=30)  # fmt: skip
    # The real files are years old: beyond the Free plan's 180 days of history.
    empty = await harness.texts_after(u.command("activities"))
    assert "No activities yet" in empty[0]
    await _make_pro(harness.container)
    listing = await harness.texts_after(u.command("activities"))
    assert "last activities" in listing[0]
    markup = harness.last_markup()
    assert markup is not None
    data = markup["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith("act:")
    card = await harness.texts_after(u.callback_query(data))
    assert "Running" in card[0] and "158 m" in card[0]
    other = await harness.container.services.accounts.get_or_create(999_000)
    foreign = await harness.container.services.training.import_fit(
        other.id, fit_bytes("garmin-fenix-5-bike.fit")
    )
    forged = await harness.texts_after(u.callback_query(f"act:{foreign.activities[0].id}"))
    assert forged[0] == "Activity not found."
    nonsense = await harness.texts_after(u.callback_query("act:99999999"))
    assert nonsense[0] == "Activity not found."


async def test_fitness_sends_a_real_png(harness: BotHarness) -> None:
    await harness.texts_after(_upload(harness, fit_bytes("garmin-fenix-5-bike.fit"), "b.fit"),
                              timeout=30)  # fmt: skip
    harness.feed(u.command("fitness"))
    (sent,) = await harness.api.wait_for("sendPhoto", timeout=30)
    photo = sent.params["photo"]
    assert photo["content"].startswith(b"\x89PNG\r\n\x1a\n")
    assert 10_000 < len(photo["content"]) < 1_000_000


async def test_today_week_goal_and_export(harness: BotHarness) -> None:
    today = await harness.texts_after(u.command("today"))
    assert "No training data yet" in today[0]
    added = await harness.texts_after(u.command("goal", "add Berlin Marathon 2099-09-26 42.2"))
    assert "Berlin Marathon" in added[0] and "42.20 km" in added[0].replace("<b>", "").replace(
        "</b>", ""
    )
    dialog = [
        (u.command("goal", "add"), "called"),
        (u.text_message("City 10K"), "When is it"),
        (u.text_message("someday"), "YYYY-MM-DD"),
        (u.text_message("2099-01-10"), "Distance"),
        (u.text_message("10 0:45:00"), "Goal added"),
    ]
    for update, expected in dialog:
        assert expected in (await harness.texts_after(update))[0]
    listed = (await harness.texts_after(u.command("goal")))[0]
    assert listed.index("City 10K") < listed.index("Berlin Marathon")
    assert "Deleted" in (await harness.texts_after(u.command("goal", "delete 1")))[0]
    today = await harness.texts_after(u.command("today"))
    assert "Next race: Berlin Marathon in" in today[0]
    week = await harness.texts_after(u.command("week"))
    assert "This week" in week[0] and "Last week" in week[0]
    refused = await harness.texts_after(u.command("export"))
    assert "Pro plan" in refused[0]
    markup = harness.last_markup()
    assert markup is not None and "upg" in markup["inline_keyboard"][0][0]["callback_data"]


async def test_a_long_goal_list_comes_in_parts_that_fit(harness: BotHarness) -> None:
    """Twenty goals with 200-character names pass 4096 characters in one message."""
    for i in range(20):
        name = f"Race {i:02d} " + "x" * 190
        await harness.texts_after(u.command("goal", f"add {name} 2099-09-{i + 1:02d} 42.2"))
    before = len(harness.api.sent_texts())
    harness.api.feed(u.command("goal"))
    await harness.api.wait_for("sendMessage", count=before + 2, timeout=30)
    parts = harness.api.sent_texts()[before:]
    assert len(parts) >= 2 and all(len(p) <= 4096 for p in parts)
    assert "Race 00" in parts[0] and "Race 19" in "".join(parts)
