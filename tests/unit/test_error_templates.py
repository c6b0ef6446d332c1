"""An error keeps its English message and the template and params the bot translates, also
across a process boundary (the decoding workers send errors back pickled)."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime

import pytest

from bot.i18n import use_language
from bot.views.common import error_message, error_text, private_only_text, unknown_command_text
from core.errors import (
    N_,
    AlreadyPro,
    AppError,
    BadFile,
    BillingNotStopped,
    DecodeTimeout,
    GarminSignInsThrottled,
    NotFound,
    PluralText,
    TooManyGoals,
    ngettext,
)


def test_a_template_with_params_gives_the_english_message() -> None:
    err = NotFound(N_("No activity {id} in your history."), id=7)
    assert err.message == str(err) == "No activity 7 in your history."
    assert err.template == "No activity {id} in your history."
    assert err.params == {"id": 7}
    plain = AppError("a {b} c")  # no params: the text as it is, braces and all
    assert plain.message == plain.template == "a {b} c" and plain.params == {}


def test_a_count_picks_the_english_form_and_keeps_both() -> None:
    one, many = TooManyGoals(1), TooManyGoals(20)
    assert one.message == "You have 1 goal: delete it first."
    assert many.message == "You have 20 goals: delete one first."
    assert isinstance(many.template, PluralText) and many.template.n == 20


@pytest.mark.parametrize(
    "err",
    [
        DecodeTimeout(30.4),
        BadFile(N_("This FIT file holds {kind} data, not an activity."), kind="totals"),
        TooManyGoals(3),
        BillingNotStopped(N_("Unknown command."), retry=True),
        AlreadyPro(provider="stars", until=None, past_due=False),
    ],
)
def test_errors_survive_pickling_with_their_template(err: AppError) -> None:
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert (back.message, back.template, back.params) == (err.message, err.template, err.params)
    assert vars(back) == vars(err)


def test_a_decode_timeout_is_said_in_german_with_its_seconds() -> None:
    err = pickle.loads(pickle.dumps(DecodeTimeout(30.4)))
    with use_language("de"):
        assert error_message(err) == (
            "Das Lesen der Datei hat über 30 s gedauert, deshalb habe ich abgebrochen und sie "
            "nicht importiert."
        )


def test_an_operator_sentence_without_translation_is_shown_as_it_is() -> None:
    with use_language("es"):
        assert error_text(AppError("db copy needs --from URL and --to URL.")) == (
            "db copy needs --from URL and --to URL."
        )


def test_a_plural_error_built_with_minutes_reads_right_in_russian() -> None:
    err = GarminSignInsThrottled(
        ngettext(
            "Too many Garmin sign-in attempts; try again in {n} minute.",
            "Too many Garmin sign-in attempts; try again in {n} minutes.",
            22,
        ),
        retry_at=datetime(2026, 1, 1, tzinfo=UTC),
        n=22,
    )
    assert err.message == "Too many Garmin sign-in attempts; try again in 22 minutes."
    with use_language("ru"):
        assert error_message(err) == (
            "Слишком много попыток входа в Garmin; попробуйте снова через 22 минуты."
        )


def test_common_texts_in_spanish() -> None:
    with use_language("es"):
        assert unknown_command_text("/xyz") == (
            "No conozco /xyz. Envía /help para ver lo que puedo hacer."
        )
        assert private_only_text("coach_bot").endswith("escríbeme en https://t.me/coach_bot.")


def test_a_garmin_error_relayed_between_processes_keeps_its_template() -> None:
    from core.gateways.garmin.pending import _outcome, error_reply

    sent = GarminSignInsThrottled(
        ngettext(
            "Garmin Connect is limiting sign-ins; try again in {n} minute.",
            "Garmin Connect is limiting sign-ins; try again in {n} minutes.",
            5,
        ),
        datetime(2026, 1, 1, tzinfo=UTC),
        n=5,
    )
    reply = json.loads(json.dumps({**error_reply(sent), "waiting": False}))
    waiting, got = _outcome(reply)
    assert not waiting and isinstance(got, GarminSignInsThrottled)
    assert got.message == sent.message and got.retry_at == sent.retry_at
    with use_language("ru"):
        assert error_message(got) == (
            "Garmin Connect ограничивает входы; попробуйте снова через 5 минут."
        )
    # A reply without a template (from an older process) is still the English sentence.
    _, old = _outcome({"error": "GarminAuthError", "message": "Garmin refused your sign-in."})
    assert old is not None and old.message == "Garmin refused your sign-in."
    with use_language("de"):
        assert error_message(old) == "Garmin hat deine Anmeldung abgelehnt."
