"""Numbers, dates and units in the athlete's language and units (metric or imperial).

Decimal marks and month names follow the current language (`12,35 km`, `25. Nov.`); distances,
paces and weights follow `units`. Machine-readable output (the CSV export, the API) never uses
these.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from functools import cache

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal

from bot.i18n.catalogs import _, current_language

# English reads day before month here, as the bot always wrote it ("25 Nov").
FORMAT_LOCALES = {"en": "en_GB"}
KM_PER_MILE = 1.609344
LB_PER_KG = 2.2046226218


@cache
def babel_locale(code: str) -> Locale:
    """Babel's locale for a language code, parsed once (Babel parses a string every call)."""
    return Locale.parse(code)


def _locale() -> Locale:
    language = current_language()
    return babel_locale(FORMAT_LOCALES.get(language, language))


def number(value: float, digits: int = 0) -> str:
    """`value` with `digits` decimals (always shown), in the language's notation."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(round(value, digits), format=pattern, locale=_locale())


def day_month(day: date) -> str:
    """'25 Nov' / '25. Nov.' / '25 нояб.'"""
    return format_skeleton("MMMd", day, locale=_locale())


def weekday_day_month(day: date) -> str:
    """'Wed 25 Nov' / 'Mi., 25. Nov.'"""
    return format_skeleton("MMMEd", day, locale=_locale())


def long_date(day: date) -> str:
    """'25 November 2026' / '25. November 2026'"""
    return format_date(day, "long", locale=_locale())


def clock_time(moment: time | datetime) -> str:
    """'07:30' in the language's short time format (24-hour or 12-hour)."""
    return format_time(moment, "short", locale=_locale())


def distance(meters: float, units: str) -> str:
    """'12.35 km' / '7.67 mi' (from 1 km or 1 mile up), '850 m' / '930 yd' below."""
    if units == "imperial":
        miles = meters / 1000 / KM_PER_MILE
        if miles >= 1:
            return _("{value} mi").format(value=number(miles, 2))
        return _("{value} yd").format(value=number(meters * 1.0936133, 0))
    if meters >= 1000:
        return _("{value} km").format(value=number(meters / 1000, 2))
    return _("{value} m").format(value=number(max(0.0, meters), 0))


def pace(s_per_km: float | None, units: str) -> str:
    """'4:35 /km' or '7:23 /mi'; a dash without a pace."""
    if s_per_km is None or not math.isfinite(s_per_km) or s_per_km <= 0:
        return "-"
    seconds = s_per_km * KM_PER_MILE if units == "imperial" else s_per_km
    minutes, secs = divmod(int(round(seconds)), 60)
    unit = _("/mi") if units == "imperial" else _("/km")
    return f"{minutes}:{secs:02d} {unit}"


def weight(kg: float, units: str) -> str:
    """'70.5 kg' or '155.4 lb'."""
    if units == "imperial":
        return _("{value} lb").format(value=number(kg * LB_PER_KG, 1))
    return _("{value} kg").format(value=number(kg, 1))
