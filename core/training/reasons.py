"""Explanations the rules give (why a day was softened, what a readiness factor says) in a
form the bot can translate: an English sentence that also keeps its template and parameters.

A `Reason` is the English text itself (a `str`, so logs, the coach's prompt and comparisons
read it as before) and carries `template` (marked with core.errors.N_ for the catalogs) and
`params`.
The bot shows `_(template)` filled with the params in the athlete's notation. Stored as
{"text": template, "params": {...}}; a plain string stored before reasons had templates reads
back as a reason without params, shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Param = str | int | float  # str as is (titles, signed values); int whole; float one decimal


def english(value: Param) -> str:
    """A parameter as the English text writes it."""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


class Reason(str):
    """An English sentence with the template and parameters it was made from."""

    template: str
    params: Mapping[str, Param]

    def __new__(cls, template: str, **params: Param) -> Reason:
        text = template.format(**{k: english(v) for k, v in params.items()}) if params else template
        made = super().__new__(cls, text)
        made.template = template
        made.params = dict(params)
        return made

    def to_json(self) -> dict[str, Any]:
        return {"text": self.template, "params": dict(self.params)}

    @classmethod
    def from_json(cls, value: object) -> Reason:
        """A stored reason: {"text", "params"}, or an old plain sentence."""
        if isinstance(value, Reason):
            return value
        if isinstance(value, Mapping):
            params = value.get("params") or {}
            return cls(str(value.get("text", "")), **{str(k): v for k, v in params.items()})
        return cls(str(value))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # Push data keeps the template and params, so the push is translated when it is sent.
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls.from_json,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda reason: Reason.from_json(reason).to_json()
            ),
        )
