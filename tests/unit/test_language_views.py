"""The settings, /usage, /web and /language views in the athlete's language and units."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from bot.i18n import LANGUAGE_NAMES, use_language
from bot.views import language as lv
from bot.views import settings as sv
from bot.views import usage as uv
from bot.views import web as wv
from core.accounts.context import AccountContext, Profile
from core.limits.ai_usage import AIMonth
from core.limits.feature_gate import Feature, FeatureUsage, UsageReport
from core.limits.plans import PlanLimits

FREE = PlanLimits(
    code="free", name="Free", ai_chat_per_day=10, ai_analyses_per_month=5,
    ai_workouts_per_month=3, ai_active_plans=1, history_days=90, export=False,
    priority_sync=False, sync_interval_minutes=240, price_cents=0, currency="usd",
)  # fmt: skip
ACCOUNT = AccountContext(
    id=1, chat_id=1, first_name="Alex", language="en", timezone="Europe/Berlin",
    timezone_set=True, units="metric", summary_time=time(7, 30), summary_enabled=True,
    weekly_report_enabled=False, is_blocked=False, plan=FREE,
    profile=Profile(ftp=250, threshold_pace_s_per_km=270, sex="female"),
)  # fmt: skip


def test_russian_plurals_of_devices_and_minutes() -> None:
    with use_language("ru"):
        assert sv.signed_out_text(1) == "Выход из панели выполнен на 1 устройстве."
        assert sv.signed_out_text(3) == "Выход из панели выполнен на 3 устройствах."
        assert "в течение 21 минуты" in wv.sign_in_text("https://x/app#code=c", 21)
        assert "в течение 5 минут." in wv.sign_in_text("https://x/app#code=c", 5)


def test_settings_card_in_german_with_imperial_pace() -> None:
    imperial = replace(ACCOUNT, units="imperial", language="de", dashboard_sessions=2)
    with use_language("de"):
        text = sv.settings_text(imperial)
    assert text.startswith("<b>Einstellungen</b>\nZeitzone: Europe/Berlin\n")
    assert "Morgenübersicht: 07:30 (an)" in text
    assert "Wochenbericht: montags, gleiche Uhrzeit (aus)" in text
    assert "Einheiten: imperial" in text and "Sprache: Deutsch" in text
    # 4:30 per km is 7:15 per mile.
    assert "FTP: 250 W · Schwellenpace: 7:15 /mi · Geschlecht: weiblich" in text
    assert "angemeldet auf 2 Geräten" in text


def test_the_cached_settings_keyboard_follows_the_language() -> None:
    def labels(language: str) -> list[str]:
        with use_language(language):
            markup = sv.settings_keyboard(ACCOUNT)
        return [b.text for row in markup.inline_keyboard for b in row]

    assert "Timezone" in labels("en") and "🌐 Language" in labels("en")
    assert "Zeitzone" in labels("de") and "🌐 Sprache" in labels("de")
    assert "Часовой пояс" in labels("ru")
    assert "Timezone" in labels("en")  # the German keyboard was not served from the cache


def test_a_typed_sex_is_understood_in_the_athletes_language() -> None:
    with use_language("es"):
        assert sv.sex_of(" Mujer ") == "female"
        assert sv.sex_of("male") == "male"
        assert sv.sex_of("maybe") is None


def test_language_buttons_name_each_language_in_its_own_words() -> None:
    markup = lv.language_keyboard("de")
    buttons = [(b.text, b.callback_data) for row in markup.inline_keyboard for b in row]
    assert buttons == [
        ("English", "lang:en"),
        ("✓ Deutsch", "lang:de"),
        ("Español", "lang:es"),
        ("Русский", "lang:ru"),
    ]
    assert {code for _text, code in buttons} == {f"lang:{c}" for c in LANGUAGE_NAMES}


def test_usage_in_russian_counts_requests_and_tokens_with_their_plurals() -> None:
    now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    report = UsageReport(
        plan=FREE,
        features=[
            FeatureUsage(Feature.AI_CHAT, used=3, limit=10, resets_at=now + timedelta(hours=4)),
            FeatureUsage(Feature.AI_PLAN, used=0, limit=None, resets_at=None),
        ],
    )
    month = AIMonth(calls=22, input_tokens=1000, output_tokens=1, cost_cents=0)
    with use_language("ru"):
        text = uv.usage_text(report, month, "UTC", now)
    lines = text.split("\n")
    assert lines[0] == "<b>Тариф: Free</b>"
    assert lines[1].startswith("• Сообщения в ИИ-чате: сегодня осталось 7 из 10, обновится ")
    assert lines[2] == "• активные ИИ-планы тренировок: без ограничений (использовано 0)"
    assert lines[3:5] == ["• История: последние 90 дней", "• Экспорт данных: только в Pro"]
    assert text.endswith("ИИ в этом месяце: 22 запроса, 1\xa0001 токен.")
