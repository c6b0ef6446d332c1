"""The composition root: typed services handed to the dispatcher by name, closed by their owner."""

from __future__ import annotations

from dataclasses import fields

from bot.runtime.dispatcher import build_dispatcher
from core.bootstrap import Container, Services, build
from core.coach.service import CoachService
from core.config import Settings
from core.gateways.cipher import Cipher, new_key
from core.gateways.llm import OpenAILLM

# Nothing listens here: the model is never called, only built and closed.
MODEL_SERVER = "http://127.0.0.1:9/v1"


async def test_the_dispatcher_hands_every_service_to_handlers_by_its_name(
    container: Container,
) -> None:
    dp = build_dispatcher(container, bot_username=None)
    for f in fields(Services):
        assert dp[f.name] is getattr(container.services, f.name), f.name
    assert isinstance(dp["coach"], CoachService)


async def test_close_releases_the_model_client_it_made_but_not_one_passed_in(
    settings: Settings,
) -> None:
    with_model = settings.model_copy(update={"openai_base_url": MODEL_SERVER})
    made = build(with_model, cipher=Cipher([new_key()]))
    own = OpenAILLM(api_key=None, base_url=MODEL_SERVER, model="m", timeout_s=30)
    given = build(with_model, cipher=Cipher([new_key()]), llm=own)
    built = made.services.llm
    assert isinstance(built, OpenAILLM)
    await made.close()
    await given.close()
    assert built._client.is_closed()
    assert not own._client.is_closed()  # still its caller's to use and to close
    await own.aclose()
