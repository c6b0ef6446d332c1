"""`trainbot keys rotate`: every stored secret ends up under the first key."""

from __future__ import annotations

import pytest

from core.bootstrap import Container
from core.errors import ConfigError
from core.garmin.keys import rotate_all
from core.gateways.cipher import Cipher, new_key


async def test_rotation_reencrypts_every_stored_secret(container: Container) -> None:
    old, new = new_key(), new_key()
    before = Cipher([old])
    uid = (await container.services.accounts.get_or_create(77)).id
    async with container.uow() as uow:
        await uow.garmin.replace_credentials(
            uid,
            email_enc=before.encrypt("ann@example.com"),
            password_enc=before.encrypt("hunter2"),
            tokens_enc=before.encrypt('{"di": "token"}'),
        )
        await uow.commit()

    assert await rotate_all(container.uow, Cipher([new, old])) == 3

    only_new = Cipher([new])
    async with container.uow() as uow:
        row = await uow.garmin.credentials(uid)
    assert row is not None
    assert only_new.decrypt(row.email_enc) == "ann@example.com"
    assert only_new.decrypt(row.password_enc or "") == "hunter2"
    assert only_new.decrypt(row.tokens_enc or "") == '{"di": "token"}'
    with pytest.raises(ConfigError):
        before.decrypt(row.email_enc)
