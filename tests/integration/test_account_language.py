"""The account's language: stored only when it is one of the languages offered."""

from __future__ import annotations

import pytest

from core.bootstrap import Container
from core.errors import BadInput, UnknownUser

OFFERED = ("en", "de", "es", "ru")


async def test_set_language_stores_an_offered_language_only(container: Container) -> None:
    accounts = container.services.accounts
    acc = await accounts.get_or_create(5, language="de")
    assert acc.language == "de"
    changed = await accounts.set_language(acc.id, "ru", supported=OFFERED)
    assert changed.language == "ru"
    assert (await accounts.get(acc.id)).language == "ru"
    for bad in ("xx", "", "ru-RU", "en; drop table users"):
        with pytest.raises(BadInput):
            await accounts.set_language(acc.id, bad, supported=OFFERED)
    assert (await accounts.get(acc.id)).language == "ru"
    with pytest.raises(UnknownUser):
        await accounts.set_language(acc.id + 100, "de", supported=OFFERED)
