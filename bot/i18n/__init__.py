"""The athlete's language: every text the bot shows goes through `_` (or `ngettext`).

Texts are written in English in the code and translated at the moment they are shown, in the
language of the update's athlete (set by the account middleware, by the push sender per push,
by the API per session): `_("Saved.")`, `_("RPE {rpe} saved").format(rpe=7)`. Module-level
constants are marked with `N_` and translated where they are used (`_(NOT_FOUND)`).

Catalogs are gettext `.po` files under `bot/i18n/locales/<lang>/`, one file per feature; all
files of a language are merged and compiled in memory the first time the language is used, so
nothing is compiled by hand and no `.mo` file is kept. English is the source and needs no file.
"""

from __future__ import annotations

from bot.i18n.catalogs import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    _,
    current_language,
    negotiate,
    ngettext,
    use_language,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "_",
    "current_language",
    "negotiate",
    "ngettext",
    "use_language",
]
