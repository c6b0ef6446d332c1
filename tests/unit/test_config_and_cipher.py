"""Settings and the credential cipher."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core.config import Settings, load_settings
from core.db.engine import make_engine
from core.errors import ConfigError
from core.gateways.cipher import Cipher, load_cipher, new_key


def test_defaults_are_local_sqlite() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.app_env == "local"
    s.check_for_start()


def test_heroku_style_postgres_url_is_accepted() -> None:
    s = Settings(_env_file=None, database_url="postgres://u:p@h:5432/d")  # type: ignore[call-arg]
    assert s.database_url == "postgresql+asyncpg://u:p@h:5432/d"


def test_bad_database_url_is_named() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings(_env_file=None, database_url="mysql://x")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        make_engine("not a url")


def test_production_refuses_missing_secret_and_names_it() -> None:
    s = Settings(  # type: ignore[call-arg]
        _env_file=None,
        app_env="production",
        telegram_bot_token="123:abc",
        credentials_keys=new_key(),
        stripe_api_key="sk_test_1",
        stripe_price_id="price_1",
        stripe_webhook_secret="changeme",
    )
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        s.check_for_start()


def test_bad_admin_ids_are_named() -> None:
    s = Settings(_env_file=None, admin_chat_ids="1,two")  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="ADMIN_CHAT_IDS"):
        s.check_for_start()
    assert Settings(_env_file=None, admin_chat_ids=" 1, 2").admin_ids == {1, 2}  # type: ignore[call-arg]


def test_cipher_rotates_keys() -> None:
    old, new = new_key(), new_key()
    token = Cipher([old]).encrypt("hunter2")
    assert "hunter2" not in token
    both = Cipher([new, old])
    assert both.decrypt(token) == "hunter2"
    rotated = both.rotate(token)
    assert Cipher([new]).decrypt(rotated) == "hunter2"
    with pytest.raises(ConfigError):
        Cipher([old]).decrypt(rotated)
    with pytest.raises(ConfigError, match="Fernet"):
        Cipher(["not-a-key"])


def test_local_key_file_is_created_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cipher = load_cipher(None, app_env="local", data_dir=str(tmp_path))
    key_file = tmp_path / "credentials.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert "created a local key file" in caplog.text
    assert key_file.read_text() not in caplog.text
    again = load_cipher(None, app_env="local", data_dir=str(tmp_path))
    assert again.decrypt(cipher.encrypt("x")) == "x"
    with pytest.raises(ConfigError, match="CREDENTIALS_KEYS"):
        load_cipher(None, app_env="production", data_dir=str(tmp_path))
