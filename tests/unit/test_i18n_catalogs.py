"""The catalogs: every text the bot shows is marked for translation, translated into every
language, and no translation breaks its placeholders or its HTML."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, use_language
from bot.i18n.catalogs import DEFAULT_LANGUAGE, LOCALES, merged_catalog, po_files

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
TRANSLATED = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
# Where the athlete's texts are written: every view module, and the domain errors' messages.
VIEW_MODULES = sorted(p.stem for p in (ROOT / "bot" / "views").glob("*.py") if p.stem != "__init__")
# Two words of letters: a sentence or a label someone reads, not a key, a tag or a format.
WORDS = re.compile(r"[^\W\d_]{2,}[ ,.:;!?'-]+[^\W\d_]{2,}")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[a-z]+[^>]*>")
TRANSLATING_CALLS = {"_", "N_", "ngettext"}


def _source_messages() -> dict[str, tuple[str, ...]]:
    """msgid -> (msgid, plural) of every marked text in bot/ and core/."""
    found: dict[str, tuple[str, ...]] = {}
    for package in ("bot", "core"):
        method_map = [("**.py", "python")]
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package, method_map, keywords=KEYWORDS, comment_tags=()
        ):
            ids = message if isinstance(message, tuple) else (message,)
            if ids and ids[0]:
                found[ids[0]] = tuple(ids)
    return found


def _unmarked_texts(path: Path) -> list[str]:
    """String literals that read as words and are neither marked nor docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skip.add(id(first.value))  # a docstring
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name in TRANSLATING_CALLS:
                skip.update(id(sub) for arg in node.args for sub in ast.walk(arg))
    bad = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and WORDS.search(text):
            bad.append(f"{path.name}:{getattr(node, 'lineno', 0)}: {text[:60]!r}")
    return bad


@pytest.mark.parametrize("module", VIEW_MODULES)
def test_every_view_text_is_marked_for_translation(module: str) -> None:
    path = ROOT / "bot" / "views" / f"{module}.py"
    assert _unmarked_texts(path) == [], "wrap these in _() (or N_() for constants)"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_text_is_translated(language: str) -> None:
    catalog = merged_catalog(language)
    missing = []
    for msgid, ids in sorted(_source_messages().items()):
        message = catalog.get(msgid)
        if message is None or not message.string:
            missing.append(msgid)
        elif len(ids) == 2 and not isinstance(message.string, tuple | list):
            missing.append(f"{msgid} (plural forms)")
    assert missing == [], f"{len(missing)} texts have no {language} translation: {missing[:20]}"


def _po_paths() -> list[Path]:
    return [p for lang in TRANSLATED for p in po_files(lang)]


@pytest.mark.parametrize("path", _po_paths(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_translations_keep_placeholders_and_html(path: Path) -> None:
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=path.parent.name)
    broken = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        want_fields = Counter(PLACEHOLDER.findall(ids[-1]))
        want_tags = Counter(TAG.findall(ids[0]))
        for string in strings:
            if not string:
                continue
            fields = Counter(PLACEHOLDER.findall(string))
            # A plural form may leave out the number ("one" in words), never add a field.
            if fields - want_fields or (len(ids) == 1 and fields != want_fields):
                broken.append(f"{ids[0][:50]!r}: placeholders {dict(fields)}")
            if Counter(TAG.findall(string)) != want_tags:
                broken.append(f"{ids[0][:50]!r}: HTML tags differ")
    assert broken == []


def test_no_catalog_entry_conflicts_between_files() -> None:
    for language in TRANSLATED:
        seen: dict[str, tuple[Path, object]] = {}
        for path in po_files(language):
            with path.open("rb") as fh:
                for message in read_po(fh, locale=language):
                    if not message.id or not message.string:
                        continue
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    if key in seen:
                        assert seen[key][1] == message.string, (
                            f"{key!r} translated differently in {seen[key][0].name} and {path.name}"
                        )
                    seen[key] = (path, message.string)


def test_a_language_is_used_only_inside_its_block() -> None:
    from bot.i18n import _, current_language

    assert LOCALES.is_dir()
    with use_language("de-AT"):
        assert current_language() == "de"
        with use_language("xx"):
            assert current_language() == DEFAULT_LANGUAGE
        assert current_language() == "de"
    assert current_language() == DEFAULT_LANGUAGE
    assert _("No such text in any catalog.") == "No such text in any catalog."
