"""The Mini App's texts: every language has every key with the same {placeholders}, and the
page's code asks only for keys the dictionaries hold (and the dictionaries hold no dead ones)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES

APP = Path(__file__).resolve().parents[2] / "bot" / "web" / "static" / "app"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# t("key", ...) shows a text; N("key") keeps a key in a table for a later t(table[x]).
KEY_CALL = re.compile(r"""\b(?:t|N)\(\s*["']([^"']+)["']""")
MARKED = re.compile(r"""data-i18n=["']([^"']+)["']""")
COMMENT = re.compile(r"/\*.*?\*/|(?<![:\"'])//[^\n]*", re.S)


def _strings() -> dict[str, dict[str, str]]:
    """The STRINGS object of strings.js, which is JSON after `export const STRINGS =`."""
    source = (APP / "strings.js").read_text(encoding="utf-8")
    start = source.index("export const STRINGS =") + len("export const STRINGS =")
    body = source[start:].strip()
    assert body.endswith(";"), "strings.js must end with the object and a semicolon"
    data = json.loads(body[:-1])
    assert isinstance(data, dict)
    return data


def _code() -> dict[str, str]:
    """Every module of the app, comments removed, by file name."""
    return {
        p.name: COMMENT.sub("", p.read_text(encoding="utf-8"))
        for p in sorted(APP.glob("*.js"))
        if p.name != "strings.js"
    }


def _used_keys() -> set[str]:
    keys = {key for code in _code().values() for key in KEY_CALL.findall(code)}
    keys |= set(MARKED.findall((APP / "index.html").read_text(encoding="utf-8")))
    return keys | {"page.title"}  # set as document.title by translatePage()


def test_the_app_has_a_dictionary_for_every_language_of_the_bot() -> None:
    assert sorted(_strings()) == sorted(LANGUAGES)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_key_is_translated_with_the_same_placeholders(language: str) -> None:
    strings = _strings()
    english, other = strings["en"], strings[language]
    assert sorted(set(english) - set(other)) == [], f"missing in {language}"
    assert sorted(set(other) - set(english)) == [], f"unknown keys in {language}"
    broken = [
        key
        for key, text in english.items()
        if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(other[key]))
        or not other[key].strip()
    ]
    assert broken == [], f"{language}: placeholders differ or text empty in {broken}"


def test_the_code_uses_only_known_keys_and_every_key_is_used() -> None:
    known = set(_strings()["en"])
    used = _used_keys()
    assert sorted(used - known) == [], "keys the code asks for that strings.js lacks"
    assert sorted(known - used) == [], "keys nobody uses"


def test_every_t_call_names_its_key_or_a_marked_table_entry() -> None:
    """t(x) with a variable is fine only where x comes from an N()-marked table; a bare
    string literal must be a key, never an English sentence."""
    for name, code in _code().items():
        for match in KEY_CALL.finditer(code):
            assert " " not in match.group(1), f"{name}: {match.group(1)!r} is not a key"
