"""Mini App initData checks (pure), session tokens and their key file."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import jwt
import pytest

from core.accounts.session_tokens import SessionTokens, load_session_secret
from core.accounts.webapp_auth import TelegramUser, validate_init_data
from core.errors import ConfigError, NotSignedIn
from tests.fakes.webapp import OTHER_BOT_TOKEN, TOKEN, init_data

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# The example of docs.telegram-mini-apps.com ("Init data"), signed by Telegram for that token.
PUBLISHED_TOKEN = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8"
PUBLISHED = (
    "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22"
    "Vladislav%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22"
    "language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%7D&auth_date=1662771648"
    "&hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2"
)


def _check(data: str, *, now: datetime = NOW, token: str = TOKEN) -> TelegramUser:
    return validate_init_data(data, bot_token=token, now=now, max_age=DAY)


def test_telegrams_published_example_is_accepted() -> None:
    signed_at = datetime.fromtimestamp(1662771648, UTC)
    user = _check(PUBLISHED, now=signed_at + timedelta(minutes=1), token=PUBLISHED_TOKEN)
    assert (user.id, user.first_name, user.username, user.language) == (
        279058397, "Vladislav", "vdkfrost", "ru",
    )  # fmt: skip


def test_fresh_init_data_names_its_user() -> None:
    user = _check(init_data(4242, auth_date=NOW - timedelta(minutes=3), first_name="Zoë"))
    assert (user.id, user.first_name, user.username, user.language) == (
        4242,
        "Zoë",
        "ann_runs",
        "en",
    )
    assert user.auth_date == NOW - timedelta(minutes=3)


def test_a_changed_field_breaks_the_hash() -> None:
    pairs = dict(parse_qsl(init_data(4242, auth_date=NOW)))
    pairs["user"] = pairs["user"].replace("4242", "4243")  # someone else's id
    with pytest.raises(NotSignedIn, match="could not be verified"):
        _check(urlencode(pairs))


def test_init_data_signed_for_another_bot_is_refused() -> None:
    with pytest.raises(NotSignedIn, match="could not be verified"):
        _check(init_data(4242, auth_date=NOW, bot_token=OTHER_BOT_TOKEN))


def test_stale_init_data_is_refused_and_the_day_limit_is_inclusive() -> None:
    assert _check(init_data(1, auth_date=NOW - DAY)).id == 1
    with pytest.raises(NotSignedIn, match="too old"):
        _check(init_data(1, auth_date=NOW - DAY - timedelta(seconds=1)))


def test_init_data_from_the_future_beyond_a_minute_is_refused() -> None:
    assert _check(init_data(1, auth_date=NOW + timedelta(seconds=50))).id == 1
    with pytest.raises(NotSignedIn):
        _check(init_data(1, auth_date=NOW + timedelta(minutes=5)))


@pytest.mark.parametrize(
    "data",
    [
        "",
        "hash=abc",
        "auth_date=1&user=%7B%7D",
        "a" * 9000,
    ],
)
def test_malformed_init_data_is_refused(data: str) -> None:
    with pytest.raises(NotSignedIn):
        _check(data)


def test_a_field_given_twice_is_refused_even_if_one_copy_is_signed() -> None:
    signed = init_data(4242, auth_date=NOW)
    with pytest.raises(NotSignedIn):
        _check(signed + "&auth_date=" + str(int(NOW.timestamp())))


@pytest.mark.parametrize("user", ['{"first_name":"A"}', '{"id":"7"}', '{"id":true}', "[1]", "x"])
def test_signed_data_without_a_usable_user_id_is_refused(user: str) -> None:
    pairs = {"auth_date": str(int(NOW.timestamp())), "user": user}
    with pytest.raises(NotSignedIn):
        _check(_signed(pairs))


def _signed(pairs: dict[str, str]) -> str:
    from core.accounts.webapp_auth import sign

    return urlencode({**pairs, "hash": sign(pairs, TOKEN)})


# -- session tokens ---------------------------------------------------------------------------


def test_a_token_names_its_session_and_expires_by_the_given_clock(tmp_path: Path) -> None:
    tokens = SessionTokens("s" * 40, app_env="local", data_dir=str(tmp_path))
    token = tokens.issue(user_id=7, session_id="abc", expires_at=NOW + DAY)
    claims = tokens.read(token, now=NOW)
    assert (claims.user_id, claims.session_id, claims.expires_at) == (7, "abc", NOW + DAY)
    with pytest.raises(NotSignedIn, match="expired"):
        tokens.read(token, now=NOW + DAY)


def test_a_token_signed_with_another_key_or_algorithm_is_refused(tmp_path: Path) -> None:
    tokens = SessionTokens("s" * 40, app_env="local", data_dir=str(tmp_path))
    claims = {"sub": "7", "sid": "abc", "exp": int((NOW + DAY).timestamp())}
    for forged in (
        jwt.encode(claims, "another key of enough length, 32+", algorithm="HS256"),
        jwt.encode(claims, "", algorithm="none"),
        "not.a.token",
    ):
        with pytest.raises(NotSignedIn):
            tokens.read(forged, now=NOW)


def test_locally_a_key_file_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    first = load_session_secret(None, app_env="local", data_dir=str(tmp_path / "data"))
    again = load_session_secret("", app_env="local", data_dir=str(tmp_path / "data"))
    key_file = tmp_path / "data" / "session.key"
    assert first == again and len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["session.key"]


def test_production_needs_session_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SESSION_SECRET"):
        load_session_secret(None, app_env="production", data_dir=str(tmp_path))
    assert load_session_secret(" k ", app_env="production", data_dir=str(tmp_path)) == "k"
