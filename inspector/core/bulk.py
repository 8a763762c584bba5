"""The cyclic garbage collector paused while tens of thousands of records are built.

Nearly every record a check builds is an object the cyclic collector tracks: a named tuple, a
dataclass (only plain tuples of strings and numbers are let go of). Built by the hundred
thousand, they set off collection after collection, each walking every tracked object of the
process and finding nothing to free: the records hold no cycles.

``collector_paused()`` pauses it while a listing or a layer is built. The collector is the
process's, and a web process has other threads: the pause lasts one build, the threads share
one count of who is inside, and the last one out resumes the collector only if it was running
when the first one came in (a command that owns its process keeps it off, from the moment
Django loads it: ``core.loading``).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_inside = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the ``with`` block (see the module docstring)."""
    global _inside, _resume
    with _lock:
        if _inside == 0:
            _resume = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _resume:
                gc.enable()
