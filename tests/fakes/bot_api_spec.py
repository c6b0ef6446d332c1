"""The official Bot API spec (api.json): checks requests and updates, decodes form fields."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "telegram-bot-api" / "api.json"
)
PARSE_MODES = frozenset({"html", "markdownv2", "markdown"})
HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "tg-time",
        "code",
        "pre",
        "blockquote",
    }
)
_PRIMITIVES = frozenset({"Integer", "Float", "String", "Boolean", "InputFile"})
_RANGE = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_INT = re.compile(r"-?\d+")
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)[^<>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_SPECIAL = re.compile(r"[<&]")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
# InlineKeyboardButton: exactly one field besides these says what the button does.
_BUTTON_DECOR = frozenset({"text", "icon_custom_emoji_id", "style"})
# Telegram's own wording for the rejections the fake server answers with 400.
_TOO_LONG = {"text": "message is too long", "caption": "message caption is too long"}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A method parameter or a type field."""

    name: str
    types: tuple[str, ...]
    required: bool
    min_len: int | None = None
    max_len: int | None = None
    in_bytes: bool = False
    after_entities: bool = False
    attachable: bool = False  # a String that may be "attach://<part>", decoded to the file


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """A method (its parameters) or a type (its fields, or the subtypes it is one of)."""

    name: str
    fields: dict[str, FieldSpec]
    required: tuple[str, ...] = ()
    subtypes: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding; `error` is the 400 description Telegram would answer with, if it rejects."""

    text: str
    error: str | None = None


def is_file(value: Any) -> bool:
    """Whether a decoded value is an uploaded file."""
    return isinstance(value, dict) and isinstance(value.get("content"), bytes)


@lru_cache(maxsize=1024)  # a bot sends the same texts again and again
def parse_html(text: str) -> tuple[str, str | None]:
    """Visible text of an HTML-formatted text and Telegram's parse error, if any."""
    parts: list[str] = []
    stack: list[str] = []
    pos = 0
    while (m := _SPECIAL.search(text, pos)) is not None:
        i = m.start()
        parts.append(text[pos:i])
        if text[i] == "&":
            entity = _ENTITY.match(text, i)
            parts.append(html.unescape(entity.group(0)) if entity else "&")
            pos = entity.end() if entity else i + 1
            continue
        tag = _TAG.match(text, i)
        offset = len(text[:i].encode())
        if tag is None:
            return "", f'Unsupported start tag "" at byte offset {offset}'
        name = tag.group(2).lower()
        if tag.group(1):
            if not stack or stack[-1] != name:
                expected = stack[-1] if stack else ""
                return "", (
                    f'Unmatched end tag at byte offset {offset}, expected "</{expected}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
        elif name not in HTML_TAGS:
            return "", f'Unsupported start tag "{name}" at byte offset {offset}'
        else:
            stack.append(name)
        pos = tag.end()
    if stack:
        return "", f'Can\'t find end tag corresponding to start tag "{stack[-1]}"'
    parts.append(text[pos:])
    return "".join(parts), None


def _field(raw: dict[str, Any]) -> FieldSpec:
    desc = raw.get("description", "")
    types = tuple(raw["types"])
    limit = _RANGE.search(desc) if types == ("String",) else None
    return FieldSpec(
        name=raw["name"],
        types=types,
        required=bool(raw.get("required")),
        min_len=int(limit.group(1)) if limit else None,
        max_len=int(limit.group(2)) if limit else None,
        in_bytes=bool(limit and limit.group(3) == "bytes"),
        after_entities="after entities parsing" in desc,
        attachable="attach://" in desc,
    )


def _object(raw: dict[str, Any]) -> ObjectSpec:
    fields = {f["name"]: _field(f) for f in raw.get("fields", [])}
    return ObjectSpec(
        name=raw["name"],
        fields=fields,
        required=tuple(n for n, f in fields.items() if f.required),
        subtypes=tuple(raw.get("subtypes", ())),
        returns=tuple(raw.get("returns", ())),
    )


def _type_name(value: Any) -> str:
    return "file" if is_file(value) else type(value).__name__


_MEMO_SIZE = 1024


class BotApiSpec:
    """The Bot API as published: methods, types, and checks of values against them."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = raw.get("version", "")
        self.methods = {n: _object(m) for n, m in raw["methods"].items()}
        self.types = {n: _object(t) for n, t in raw["types"].items()}
        self._lower = {n.lower(): n for n in self.methods}
        self.update_types = tuple(f for f in self.types["Update"].fields if f != "update_id")
        self._complex_memo: dict[tuple[str, str], list[Problem]] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> BotApiSpec:
        """Read api.json (by default the shared copy beside the project); cached per path."""
        return _load(path or SPEC_PATH)

    def resolve_method(self, name: str) -> str | None:
        """The method's canonical name (Telegram matches method names case-insensitively)."""
        return self._lower.get(name.lower())

    def params_of(self, method: str) -> list[FieldSpec]:
        """A method's parameters in the spec's order."""
        return list(self.methods[method].fields.values())

    def check(self, method: str, params: dict[str, Any]) -> list[str]:
        """Problems of a request: unknown method or parameter, missing, mistyped, too long."""
        return [p.text for p in self.problems(method, params)]

    def check_update(self, update: dict[str, Any]) -> list[str]:
        """Problems of an Update dict against the Update type, recursively."""
        out: list[Problem] = []
        self._check_type("Update", update, "Update", out)
        kinds = [k for k in update if k != "update_id"] if isinstance(update, dict) else []
        if len(kinds) != 1:
            out.append(Problem(f"Update: exactly one update kind expected, got {kinds}"))
        return [p.text for p in out]

    def problems(self, method: str, params: dict[str, Any]) -> list[Problem]:
        """Like check(), with the error Telegram would answer for the ones it rejects."""
        spec = self.methods.get(method)
        if spec is None:
            return [Problem(f"{method}: unknown method", "Not Found: method not found")]
        out: list[Problem] = []
        self._check_fields(spec, params, method, out)
        return out

    def decode_form(
        self, method: str, form: dict[str, str], files: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """Form fields (all strings, JSON for complex values) back into typed values."""
        spec = self.methods.get(method)
        fields = spec.fields if spec else {}
        out: dict[str, Any] = {}
        for key, raw in form.items():
            field = fields.get(key)
            out[key] = _decode(raw, field.types if field else None, files)
        for key, file in files.items():
            if key in fields and key not in out:  # a file posted under the parameter's own name
                out[key] = file
        return out

    def _check_fields(
        self, spec: ObjectSpec, obj: dict[str, Any], where: str, out: list[Problem]
    ) -> None:
        top = where in self.methods
        for key, value in obj.items():
            field = spec.fields.get(key)
            if field is None:
                out.append(Problem(f"{where}: unknown {'parameter' if top else 'field'} {key!r}"))
                continue
            path = f"{where}.{key}"
            if field.attachable and is_file(value):
                continue
            if top and isinstance(value, dict | list):
                out.extend(self._check_complex(field, value, path))
            else:
                self._check_types(field.types, value, path, out)
            if isinstance(value, str):
                self._check_string(field, value, obj, path, out)
        for name in spec.required:
            if name not in obj:
                error = "message text is empty" if name == "text" else f"{name} is empty"
                out.append(
                    Problem(
                        f"{where}: missing required {name!r}",
                        f"Bad Request: {error}" if top else None,
                    )
                )
        if spec.name == "InlineKeyboardButton":
            actions = [k for k in obj if k not in _BUTTON_DECOR]
            if len(actions) != 1:
                out.append(
                    Problem(
                        f"{where}: exactly one action field expected, got {actions}",
                        "Bad Request: can't parse inline keyboard button",
                    )
                )
        if spec.name == "BotCommand" and not _COMMAND.fullmatch(str(obj.get("command", ""))):
            out.append(
                Problem(
                    f"{where}.command: only a-z, 0-9 and _ allowed, 1-32 characters",
                    "Bad Request: BOT_COMMAND_INVALID",
                )
            )

    def _check_complex(self, field: FieldSpec, value: Any, path: str) -> list[Problem]:
        """A keyboard or a list of entities, checked once per distinct value: a bot sends the
        same keyboard again and again, and checking it each time would make the fake, not the
        bot, the cost a benchmark measures."""
        key = (path, json.dumps(value, sort_keys=True, default=str))
        found = self._complex_memo.get(key)
        if found is None:
            found = []
            self._check_types(field.types, value, path, found)
            if len(self._complex_memo) >= _MEMO_SIZE:
                self._complex_memo.clear()
            self._complex_memo[key] = found
        return found

    def _check_string(
        self, field: FieldSpec, value: str, obj: dict[str, Any], path: str, out: list[Problem]
    ) -> None:
        if field.name.endswith("parse_mode") and value.lower() not in PARSE_MODES:
            out.append(
                Problem(
                    f"{path}: unsupported parse mode {value!r}",
                    f"Bad Request: unsupported parse_mode {value}",
                )
            )
        if field.max_len is None:
            return
        size = len(value.encode()) if field.in_bytes else len(value)
        if field.after_entities:
            mode = obj.get(f"{field.name}_parse_mode", obj.get("parse_mode"))
            if isinstance(mode, str) and mode.lower() == "html":
                visible, error = parse_html(value)
                if error is not None:
                    out.append(
                        Problem(f"{path}: {error}", f"Bad Request: can't parse entities: {error}")
                    )
                    return
                size = len(visible)
        if not (field.min_len or 0) <= size <= field.max_len:
            unit = "bytes" if field.in_bytes else "characters"
            if field.name == "callback_data":
                error = "BUTTON_DATA_INVALID"
            elif size == 0 and field.name == "text":
                error = "message text is empty"
            else:
                error = _TOO_LONG.get(field.name, f"{field.name} is too long")
            out.append(
                Problem(
                    f"{path}: {size} {unit}, allowed {field.min_len}-{field.max_len}",
                    f"Bad Request: {error}",
                )
            )

    def _check_types(
        self, types: tuple[str, ...], value: Any, where: str, out: list[Problem]
    ) -> None:
        if len(types) == 1:
            self._check_type(types[0], value, where, out)
            return
        best: list[Problem] | None = None
        for name in types:
            found: list[Problem] = []
            self._check_type(name, value, where, found)
            if not found:
                return
            if best is None or len(found) < len(best):
                best = found  # report against the type it came closest to
        out.extend(best or [])

    def _check_type(self, name: str, value: Any, where: str, out: list[Problem]) -> None:
        if name.startswith("Array of "):
            if not isinstance(value, list):
                out.append(Problem(f"{where}: expected {name}, got {_type_name(value)}"))
                return
            for i, item in enumerate(value):
                self._check_type(name[9:], item, f"{where}[{i}]", out)
            return
        if name in _PRIMITIVES:
            if not _is_primitive(name, value):
                out.append(Problem(f"{where}: expected {name}, got {_type_name(value)}"))
            return
        spec = self.types.get(name)
        if spec is None:
            out.append(Problem(f"{where}: type {name!r} is not in the spec"))
        elif not isinstance(value, dict) or is_file(value):
            out.append(Problem(f"{where}: expected {name} object, got {_type_name(value)}"))
        elif spec.subtypes:
            self._check_types(spec.subtypes, value, where, out)
        elif spec.fields:
            self._check_fields(spec, value, where, out)


def _is_primitive(name: str, value: Any) -> bool:
    if name == "String":
        return isinstance(value, str)
    if name == "Boolean":
        return isinstance(value, bool)
    if name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return is_file(value)


def _decode(raw: str, types: tuple[str, ...] | None, files: dict[str, dict[str, Any]]) -> Any:
    if raw.startswith("attach://") and raw[9:] in files:
        return files[raw[9:]]
    candidates = types if types is not None else ("Integer", "Boolean", "Object")
    for name in candidates:
        if name == "Integer" and _INT.fullmatch(raw):
            return int(raw)
        if name == "Float":
            try:
                return float(raw)
            except ValueError:
                continue
        if name == "Boolean" and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if name not in _PRIMITIVES and raw[:1] in ("{", "["):
            try:
                value = json.loads(raw)
                return _attach(value, files) if files and "attach://" in raw else value
            except ValueError:
                return raw  # left as a string: the type check reports it
    return raw


def _attach(value: Any, files: dict[str, dict[str, Any]]) -> Any:
    """Resolves attach://<name> references nested in JSON values (InputMedia)."""
    if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
        return files[value[9:]]
    if isinstance(value, list):
        return [_attach(v, files) for v in value]
    if isinstance(value, dict):
        return {k: _attach(v, files) for k, v in value.items()}
    return value


@lru_cache(maxsize=4)
def _load(path: Path) -> BotApiSpec:
    return BotApiSpec(json.loads(path.read_text(encoding="utf-8")))
