"""A command that owns its process: it checks once, and the process exits after it.

``owned_process()`` wraps ``run_from_argv``; ``call_command`` (a web worker, a test) never
comes here, and that process's memory stays its server's business. Inside it:

- the cyclic collector is off: its passes over tens of thousands of acyclic records (and its
  last one at exit, which skips frozen objects) would free nothing that exiting does not;
- nothing is kept for a later check that will not come (``caches.checks_once``);
- large freed blocks go back to the system at once. glibc serves a large request (128 KiB and
  up) with its own ``mmap`` and unmaps it when freed, but raises that threshold to the size of
  every such block freed, up to 32 MiB. A check frees many: every growing dict of tens of
  thousands of paths leaves its old table behind, and the manifest's text goes once parsed.
  Past the first few, the tables come from the heap, and a freed table in its middle stays in
  the process's memory until exit. Fixing the threshold keeps the sliding rule off.
"""

from __future__ import annotations

import ctypes
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..core import caches

# mallopt's parameter number for the mmap threshold (malloc.h), and glibc's own default value.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024


def hand_back_large_blocks() -> bool:
    """Fix glibc's mmap threshold at its default; return False where it is not glibc (musl,
    macOS, Windows): those allocators have no sliding threshold to turn off."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, ValueError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


@contextmanager
def owned_process() -> Iterator[None]:
    """Run a command as the one thing its process does (see the module's docstring)."""
    gc.disable()
    hand_back_large_blocks()
    caches.checks_once()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
