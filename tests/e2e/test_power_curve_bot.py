"""Power curve in the bot: new bests on the card, the FTP proposal and its button, /curve."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.views.bests import CURVE_CAPTION
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fit_files import fit_bytes, needs_fit_files
from tests.power_rides import EDGE, TRAINER, redated_ride

pytestmark = needs_fit_files


def _upload(h: BotHarness, data: bytes, name: str) -> dict[str, Any]:
    return u.document_message(h.api.add_file(data, file_name=name))


def _ftp_button(h: BotHarness) -> dict[str, Any]:
    markup = h.last_markup()
    assert markup is not None
    rows = (
        markup["inline_keyboard"]
        if isinstance(markup, dict)
        else json.loads(markup)["inline_keyboard"]
    )
    (button,) = [b for row in rows for b in row]
    return dict(button)


async def _ftp(h: BotHarness) -> int | None:
    account = await h.container.services.accounts.get_or_create(u.DEFAULT_USER_ID)
    return (await h.container.services.accounts.profile(account.id)).ftp


async def test_power_curve_upload_flags_bests_and_the_ftp_button_sets_ftp(
    harness: BotHarness,
) -> None:
    first = redated_ride(TRAINER, datetime(2026, 11, 20, 8, tzinfo=UTC))
    card, offer = await harness.texts_after(_upload(harness, first, "trainer.fit"), 2, timeout=60)
    assert card.startswith("Saved.") and "New best" not in card  # a first ride: nothing to beat
    assert offer.startswith("Your power curve suggests FTP <b>218 W</b>")
    assert "(95% of 20-min best 230 W); no FTP set yet." in offer

    second = redated_ride(EDGE, datetime(2026, 11, 24, 8, tzinfo=UTC))
    card, offer = await harness.texts_after(_upload(harness, second, "edge.fit"), 2, timeout=60)
    assert "🏆 New best: 20 min 312 W (all history; was 230 W)" in card
    assert "🏆 New best: 60 min 289 W (all history; first at this duration)" in card
    assert "… and 5 more new bests: see /curve" in card  # 11 durations beaten, 6 shown
    assert "1 s 619 W" not in card
    assert offer == (
        "Your power curve suggests FTP <b>297 W</b> (95% of 20-min best 312 W); no FTP set yet."
    )
    button = _ftp_button(harness)
    assert button["text"] == "Accept FTP 297 W"

    (answer,) = await harness.texts_after(u.callback_query(button["callback_data"]))
    assert answer.startswith("FTP set to <b>297 W</b>.")
    assert await _ftp(harness) == 297
    assert harness.api.calls("answerCallbackQuery")

    # Pressed again, or forged with another figure: nothing changes.
    (again,) = await harness.texts_after(u.callback_query(button["callback_data"]))
    assert again.startswith("There is no FTP proposal right now") and "stays 297 W" in again
    (forged,) = await harness.texts_after(u.callback_query("ftp:500"))
    assert forged.startswith("There is no FTP proposal right now")
    assert await _ftp(harness) == 297

    (table,) = await harness.texts_after(u.command("curve"))
    assert "<b>Power curve</b>: best average power, last 90 days and 180 days" in table
    assert "           90 d   180 d  set on" in table
    assert " 20 min   312 W   312 W  24 Nov 2026" in table
    assert " 60 min   289 W   289 W  24 Nov 2026" in table
    assert "Run bests" not in table
    (photo,) = await harness.api.wait_for("sendPhoto", timeout=30)
    assert photo.params.get("caption") == CURVE_CAPTION
    assert photo.params["photo"]["content"].startswith(b"\x89PNG\r\n\x1a\n")
    # The card opened later from /activities shows the same bests.
    account = await harness.container.services.accounts.get_or_create(u.DEFAULT_USER_ID)
    cards = await harness.container.services.reports.activities(account)
    activity_id = next(c.id for c in cards if c.new_bests)
    (opened,) = await harness.texts_after(u.callback_query(f"act:{activity_id}"))
    assert "🏆 New best: 20 min 312 W (all history; was 230 W)" in opened


async def test_curve_without_data_and_bests_alias(harness: BotHarness) -> None:
    (empty,) = await harness.texts_after(u.command("curve"))
    assert empty.startswith("No power curve or run bests yet")
    (alias,) = await harness.texts_after(u.command("bests"))
    assert alias == empty
    (help_text,) = await harness.texts_after(u.command("help"))
    assert "/curve" in help_text
    # A Pro athlete sees all history: a 2015 run's bests, none within 90 days.
    await _make_pro(harness)
    run = fit_bytes("activity-small-fenix2-run.fit")
    (card,) = await harness.texts_after(_upload(harness, run, "run.fit"), timeout=60)
    assert card.startswith("Saved.") and "New best" not in card
    (table,) = await harness.texts_after(u.command("bests"))
    assert "<b>Run bests</b>: last 90 days and all your history" in table
    assert "         1 km        -     4:06  15 Aug 2015" in table
    assert "         5 km        -    21:44  15 Aug 2015" in table
    assert "Power curve" not in table


async def _make_pro(h: BotHarness) -> None:
    account = await h.container.services.accounts.get_or_create(u.DEFAULT_USER_ID)
    async with h.container.uow() as uow:
        pro = await uow.plans.by_code("pro")
        assert pro is not None
        await uow.subscriptions.upsert(account.id, plan_id=pro.id, provider="stripe",
                                       status="active")  # fmt: skip
        await uow.commit()
