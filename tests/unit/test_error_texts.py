"""Core's errors name no command; the bot adds the command that helps."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.views.common import error_text
from core.errors import (
    AppError,
    BillingNotStopped,
    GarminAuthError,
    NoGoalForPlan,
    NoSuchGoal,
    NotLinked,
    TooManyGoals,
)

CORE = Path(__file__).resolve().parents[2] / "core"
# "/connect", not "4:30/km" or "km/week".
COMMAND = re.compile(r"(?:^|[\s(])/(?!(?:km|mi|week|day|h)\b)[a-z]{2,}\b")


@pytest.mark.parametrize(
    ("error", "step"),
    [
        (NotLinked(), "Send /connect to link it."),
        (GarminAuthError("Garmin refused your sign-in."), "Send /connect to link again."),
        (TooManyGoals(5), "/goal delete N removes goal N."),
        (NoSuchGoal(7), "/goal lists them."),
        (NoGoalForPlan(), "/plan half marathon in 10 weeks"),
        (BillingNotStopped("Nothing was deleted.", retry=True), "try /delete again"),
        (BillingNotStopped("Nothing was deleted.", retry=False), "write to /paysupport"),
    ],
)
def test_the_bot_adds_the_command_that_helps(error: AppError, step: str) -> None:
    assert not COMMAND.search(error.message), error.message
    text = error_text(error)
    assert text.startswith(error.message.rstrip(".")) and step in text


def test_error_text_fits_its_limit_and_escapes() -> None:
    text = error_text(NoSuchGoal(10**300), limit=120)
    assert len(text) <= 120 and text.endswith("/goal lists them.")
    assert error_text(AppError("a <b> & c")) == "a &lt;b&gt; &amp; c"


def _texts(tree: ast.AST) -> list[str]:
    """Every string constant of a module but its docstrings (which may name commands)."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_text_in_core_names_a_command() -> None:
    offenders = {
        f"{path.relative_to(CORE)}: {text!r}"
        for path in CORE.rglob("*.py")
        for text in _texts(ast.parse(path.read_text()))
        if COMMAND.search(text)
    }
    assert not offenders, sorted(offenders)
