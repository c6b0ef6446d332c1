"""What people type for a timezone, mapped to an IANA zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.accounts.timezones import looks_like_timezone_answer, resolve_timezone
from core.errors import BadTimezone

KYIV = "Europe/Kyiv"

TYPED = [
    # IANA names, any case
    ("Europe/Madrid", "Europe/Madrid"),
    ("europe/madrid", "Europe/Madrid"),
    ("  AMERICA/NEW_YORK ", "America/New_York"),
    ("america/sao-paulo", "America/Sao_Paulo"),
    ("UTC", "UTC"),
    ("gmt", "UTC"),
    # cities from the database's own names
    ("Madrid", "Europe/Madrid"),
    ("new york", "America/New_York"),
    ("New_York", "America/New_York"),
    ("São Paulo", "America/Sao_Paulo"),
    ("sao paulo", "America/Sao_Paulo"),
    ("Kyiv", KYIV),
    ("Buenos Aires", "America/Argentina/Buenos_Aires"),
    ("port au prince", "America/Port-au-Prince"),
    # common names and translations
    ("Kiev", KYIV),
    ("Москва", "Europe/Moscow"),
    ("москва", "Europe/Moscow"),
    ("Санкт-Петербург", "Europe/Moscow"),
    ("St. Petersburg", "Europe/Moscow"),
    ("Киев", KYIV),
    ("Київ", KYIV),
    ("Минск", "Europe/Minsk"),
    ("München", "Europe/Berlin"),
    ("Munich", "Europe/Berlin"),
    ("Wien", "Europe/Vienna"),
    ("Vienna", "Europe/Vienna"),
    ("Roma", "Europe/Rome"),
    ("Milano", "Europe/Rome"),
    ("Milan", "Europe/Rome"),
    ("Lisboa", "Europe/Lisbon"),
    ("Praha", "Europe/Prague"),
    ("Warszawa", "Europe/Warsaw"),
    ("Köln", "Europe/Berlin"),
    ("Zürich", "Europe/Zurich"),
    ("Bruxelles", "Europe/Brussels"),
    ("Nueva York", "America/New_York"),
    ("Ciudad de México", "America/Mexico_City"),
    ("Pekín", "Asia/Shanghai"),
    ("Beijing", "Asia/Shanghai"),
    ("Delhi", "Asia/Kolkata"),
    ("Mumbai", "Asia/Kolkata"),
    ("Istanbul", "Europe/Istanbul"),
    # UTC offsets: whole hours to the fixed zones (whose signs are inverted), the rest to a
    # real zone at that offset
    ("UTC+3", "Etc/GMT-3"),
    ("utc +3", "Etc/GMT-3"),
    ("GMT-5", "Etc/GMT+5"),
    ("+03:00", "Etc/GMT-3"),
    ("UTC+14", "Etc/GMT-14"),
    ("UTC−12", "Etc/GMT+12"),
    ("UTC+0", "UTC"),
    ("+05:30", "Asia/Kolkata"),
    ("UTC+5:30", "Asia/Kolkata"),
    ("+0530", "Asia/Kolkata"),
    ("+09:30", "Australia/Darwin"),
    ("+05:45", "Asia/Kathmandu"),
    ("-03:30", "America/St_Johns"),
]


@pytest.mark.parametrize(("typed", "zone"), TYPED)
def test_typed_answers_map_to_a_zone(typed: str, zone: str) -> None:
    assert resolve_timezone(typed) == zone
    ZoneInfo(resolve_timezone(typed))  # a zone the database really has


@pytest.mark.parametrize(
    ("offset", "hours"), [("UTC+3", 3), ("GMT-5", -5), ("+05:30", 5.5), ("-03:30", -3.5)]
)
def test_offsets_mean_what_they_say(offset: str, hours: float) -> None:
    # In (northern) winter every mapped zone keeps the offset the person typed.
    winter = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert winter.astimezone(ZoneInfo(resolve_timezone(offset))).utcoffset() == timedelta(
        hours=hours
    )


REFUSED = [
    ("Mars/Olympus", "'Mars/Olympus' is not a timezone I know"),
    ("2", "'2' is not a timezone I know"),
    ("", "not a timezone I know"),
    ("../../etc/passwd", "not a timezone I know"),
    ("/etc/localtime", "not a timezone I know"),
    ("localtime", "not a timezone I know"),
    ("Europe/Berlin; drop", "not a timezone I know"),
    ("UTC+15", "No timezone is at UTC+15"),
    ("UTC-13", "No timezone is at UTC-13"),
    ("+07:30", "No timezone is at UTC+7:30"),
    ("UTC+3:17", "No timezone is at UTC+3:17"),
]


@pytest.mark.parametrize(("typed", "sentence"), REFUSED)
def test_unknown_answers_get_one_clear_sentence(typed: str, sentence: str) -> None:
    with pytest.raises(BadTimezone, match=sentence.replace("+", r"\+")):
        resolve_timezone(typed)


def test_a_long_answer_is_quoted_short() -> None:
    with pytest.raises(BadTimezone) as caught:
        resolve_timezone("x" * 6000)
    assert len(caught.value.message) < 200 and "…" in caught.value.message


@pytest.mark.parametrize(
    ("text", "attempt"),
    [
        ("2", True),
        ("Mars/Olympus", True),
        ("Madrid Spain", True),
        ("How should I pace my first marathon?", False),
        ("I ran 10 km this morning and my legs feel heavy", False),
        ("what is my form", False),
    ],
)
def test_short_answers_look_like_attempts(text: str, attempt: bool) -> None:
    assert looks_like_timezone_answer(text) is attempt
