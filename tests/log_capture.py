"""The log handler `trainbot` configures, writing to a buffer instead of stderr, for a test."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

from bot.runtime.logging_setup import configure_logging
from core.config import Settings


def configured_logging(settings: Settings) -> Iterator[io.StringIO]:
    """Yields the buffer; afterwards the root logger is as it was."""
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    handler = configure_logging(settings, stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        for each in root.handlers:  # pytest's own handlers got the filter too
            for f in handler.filters:
                each.removeFilter(f)
        root.setLevel(level)
