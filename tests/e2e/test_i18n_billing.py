"""Paying for Pro in German: /upgrade's text and price, the Stars invoice Telegram shows,
/billing's dates and the push of a plan change, all in the athlete's language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.i18n import use_language
from bot.views import billing as bv
from core.billing.service import Change
from core.bootstrap import Container
from tests.e2e.harness import BotHarness
from tests.fakes import updates as u
from tests.fakes.bot_api import FakeBotAPI

pytestmark = pytest.mark.stripe

STARS = 500


def german(name: str, args: str = "") -> dict[str, Any]:
    """A /command from an athlete whose Telegram speaks German."""
    text = f"/{name} {args}".rstrip()
    entity = {"type": "bot_command", "offset": 0, "length": len(name) + 1}
    return u.text_message(text, entities=[entity], sender=u.user(language_code="de"))


async def test_a_german_athlete_gets_upgrade_price_and_stars_invoice_in_german(
    harness: BotHarness, bot_api: FakeBotAPI, container: Container
) -> None:
    [text] = await harness.texts_after(german("upgrade"))
    # babel's German currency format: amount first, decimal comma, sign after a no-break space.
    assert "<b>Pro</b>: 9,99\xa0$/Monat per Karte oder" in text
    assert f"{STARS} ⭐ Stars pro 30 Tage." in text
    assert "KI-Chatnachrichten: 10 / Tag → <b>unbegrenzt</b>" in text
    assert "Pro verlängert sich bis zur Kündigung" in text
    assert "$9.99" not in text and "by card" not in text
    [invoice] = bot_api.calls("createInvoiceLink")
    assert invoice.params["title"] == "Training Analyzer Pro"
    assert invoice.params["description"].startswith("Unbegrenzter KI-Coach: Analysen")
    assert [p["label"] for p in invoice.params["prices"]] == ["Pro, 30 Tage"]
    markup = harness.last_markup()
    assert markup is not None
    buttons = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert buttons == ["💳 9,99\xa0$/Monat bezahlen", f"⭐ {STARS} Stars bezahlen"]

    [terms] = await harness.texts_after(german("terms"))
    assert terms.startswith("<b>Bedingungen des Pro-Abos</b>\n• Preis: 9,99\xa0$/Monat per Karte")
    [status] = await harness.texts_after(german("billing"))
    assert status == ("<b>Tarif: Free</b>\nUnbegrenztes KI-Coaching bekommst du mit /upgrade.")
    [usage] = await harness.texts_after(german("paysupport"))
    assert usage.startswith("Schreib mir in derselben Nachricht")


async def test_a_german_athletes_stars_payment_is_answered_with_a_german_date(
    harness: BotHarness, container: Container
) -> None:
    await harness.texts_after(german("billing"))  # first contact: the account is German
    account = await container.services.accounts.get_or_create(u.DEFAULT_USER_ID)
    assert account.language == "de"
    end = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
    paid = u.successful_payment_message(
        payload=f"pro:{account.id}", total_amount=STARS, charge_id="stxDe",
        subscription_expiration_date=int(end.timestamp()),
    )  # fmt: skip
    paid["message"]["from"] = u.user(language_code="de")
    [answer] = await harness.texts_after(paid)
    assert answer == (
        "🎉 Willkommen bei Pro bis 05.01.2027! Alle KI-Funktionen sind jetzt unbegrenzt. /billing"
    )
    [refusal] = await harness.texts_after(german("upgrade"))
    assert refusal == "Du hast Pro bereits bis 05.01.2027. /billing zeigt es an."


@pytest.mark.parametrize(
    ("language", "cents", "currency", "shown"),
    [
        ("en", 999, "usd", "$9.99/month"),
        ("de", 999, "usd", "9,99\xa0$/Monat"),
        ("de", 1299, "eur", "12,99\xa0€/Monat"),
        ("es", 1299, "eur", "12,99\xa0€/mes"),
        ("ru", 49900, "rub", "499,00\xa0₽/мес."),
    ],
)
def test_the_card_price_follows_the_language_and_the_plan_rows_currency(
    language: str, cents: int, currency: str, shown: str
) -> None:
    from dataclasses import replace

    from tests.unit.test_billing_views import PRO

    with use_language(language):
        assert bv.card_price(replace(PRO, price_cents=cents, currency=currency)) == shown


def test_russian_history_days_take_the_plural_form_of_their_number() -> None:
    from dataclasses import replace

    from tests.unit.test_billing_views import PRO

    with use_language("ru"):
        rows = [dict(bv._features(replace(PRO, history_days=n)))["История"] for n in (1, 3, 30)]
    assert rows == ["1 день", "3 дня", "30 дней"]


def test_a_refund_and_a_failed_renewal_read_in_spanish_and_russian() -> None:
    change = Change(user_id=1, kind="downgraded", plan_code="free", period_end=None)
    with use_language("es"):
        assert bv.refunded_text(500, change) == (
            "Se reembolsó tu pago de 500 ⭐. Pro ha terminado: ahora tienes el plan Free."
        )
    grace = datetime(2026, 12, 9, 9, tzinfo=UTC)
    failed = Change(
        user_id=1, kind="payment_failed", plan_code="pro", period_end=None, grace_until=grace
    )
    with use_language("ru"):
        text = bv.change_text(failed, "Europe/Moscow")
    assert text is not None and text.startswith("⚠️ Платёж за Pro не прошёл.")
    assert "9 дек. 2026" in text
