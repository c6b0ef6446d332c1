"""Loading, merging and compiling the gettext catalogs; the current language of the work."""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "en"
# Each in its own words, for the /language buttons.
LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "ru": "Русский",
}
LANGUAGES = tuple(LANGUAGE_NAMES)

_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def negotiate(code: str | None) -> str:
    """One of LANGUAGES for Telegram's `language_code` ("de", "pt-br", "ru"), else English."""
    base = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGE_NAMES else DEFAULT_LANGUAGE


def current_language() -> str:
    return _language.get()


@contextmanager
def use_language(code: str | None) -> Iterator[str]:
    """Texts made inside the block are in this language (negotiated; English if unknown)."""
    token = _language.set(negotiate(code))
    try:
        yield _language.get()
    finally:
        _language.reset(token)


def po_files(language: str) -> list[Path]:
    """The catalog files of one language, one per feature, in a stable order."""
    return sorted((LOCALES / language).glob("*.po"))


def merged_catalog(language: str) -> Catalog:
    """Every file of the language as one catalog (fuzzy and untranslated entries left out)."""
    merged = Catalog(locale=language, domain="messages")
    for path in po_files(language):
        with path.open("rb") as fh:
            part = read_po(fh, locale=language)
        for message in part:
            if not message.id or message.fuzzy or not _translated(message.string):
                continue
            merged.add(message.id, message.string, context=message.context)
    return merged


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(bool(s) for s in string)
    return bool(string)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (cached for the life of the process)."""
    if language == DEFAULT_LANGUAGE or not po_files(language):
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, merged_catalog(language))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """`message` in the current language (itself when it has no translation)."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language (Russian has three, English two)."""
    return translations(_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a constant for the catalogs; translate it with `_` where it is shown."""
    return message
