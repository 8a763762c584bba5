"""A command that owns its process asks the C allocator to hand large freed blocks back at once.

glibc serves a large request (128 KiB and up) with its own ``mmap`` and unmaps it when freed,
but it raises that threshold to the size of every such block freed, up to 32 MiB. A check frees
many: every growing dict of tens of thousands of paths leaves its old table behind, and the
manifest's text goes once parsed. Past the first few, the tables come from the heap, and a
freed table in its middle stays in the process's memory until exit. Fixing the threshold keeps
the sliding rule off: each large block is unmapped when freed.

Only a command run from the command line calls this (``run_from_argv``): a web process or a
test that calls the command keeps its allocator as its server set it up.
"""

from __future__ import annotations

import ctypes
import os

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
