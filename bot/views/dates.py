"""Dates in fixed-width patterns for cards, lists and tables, in the athlete's language.

bot.i18n.format has the language's own short forms ('25 Nov', '25. Nov.'); these patterns keep
the day two digits wide in English ('03 May') so columns line up, and are translated as CLDR
patterns, so each language orders and punctuates them its own way.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime

from bot.i18n import N_, _, current_language
from bot.i18n.format import babel_locale

# Translators: CLDR date patterns (dd day, MMM short month, yyyy year, EEE weekday, HH:mm time).
DAY = N_("dd MMM")
DAY_YEAR = N_("dd MMM yyyy")
DAY_TIME = N_("dd MMM HH:mm")
CARD_TIME = N_("EEE dd MMM yyyy HH:mm")


def day(value: date, pattern: str = DAY) -> str:
    """A date in one of the patterns above ('03 May', '3. Mai')."""
    return format_date(value, _(pattern), locale=babel_locale(current_language()))


def moment(value: datetime, pattern: str = DAY_TIME) -> str:
    """A local (aware) date and time in one of the patterns above, in its own zone."""
    return format_datetime(
        value, _(pattern), tzinfo=value.tzinfo, locale=babel_locale(current_language())
    )
