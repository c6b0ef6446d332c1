"""Answers as JSON straight from the pydantic model (serialised in pydantic's core, once)."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def answer(model: BaseModel) -> Response:
    """The model as the JSON body; the route keeps `response_model` for the API's docs."""
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")
