"""``inspect_assets -v 2``: how long each step of the run took, one line each on stderr.

The check logs its steps at DEBUG (``core.layers``); the command adds its own (probing, writing
the rows) and the whole run. Lines go to the command's stderr, never into the JSON or CSV.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import OutputWrapper

from ..core.layers import STEP_LOG

logger = logging.getLogger("inspector")


class _StepLines(logging.Handler):
    def __init__(self, stderr: OutputWrapper) -> None:
        super().__init__(logging.DEBUG)
        self._stderr = stderr

    def emit(self, record: logging.LogRecord) -> None:
        # Unstyled: on a terminal Django paints every stderr line as an error.
        self._stderr.write(record.getMessage(), style_func=_unstyled)


def _unstyled(text: str) -> str:
    return text


@contextmanager
def timings_to(stderr: OutputWrapper | None) -> Iterator[None]:
    """Write each step's seconds to ``stderr`` while the block runs (``None``: nothing)."""
    if stderr is None:
        yield
        return
    handler = _StepLines(stderr)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with step("in all"):
            yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@contextmanager
def step(what: str) -> Iterator[None]:
    """Log the seconds the block took as one step (at DEBUG, as the check's own steps)."""
    began = time.perf_counter()
    try:
        yield
    finally:
        logger.debug(STEP_LOG, time.perf_counter() - began, what)
