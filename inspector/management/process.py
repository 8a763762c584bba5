"""A command that owns its process: it checks once, and the process exits after it.

``owned_process()`` wraps ``run_from_argv``; ``call_command`` (a web worker, a test) never
comes here, and that process's memory stays its server's business. Inside it:

- the cyclic collector is off: its passes over tens of thousands of acyclic records (and its
  last one at exit, which skips frozen objects) would free nothing that exiting does not. On
  the process's own command line it is off from the moment Django loads the inspector
  (``core.loading``), and the run takes it over;
- nothing is kept for a later check that will not come (``caches.checks_once``);
- the hashing processes may be forked rather than spawned (``pool.fork_while_alone``), when
  the command is the process's own command line (from the moment Django loads the inspector,
  too: ``core.loading``);
- large freed blocks go back to the system at once. glibc serves a large request (128 KiB and
  up) with its own ``mmap`` and unmaps it when freed, but raises that threshold to the size of
  every such block freed, up to 32 MiB. A check frees many: every growing dict of tens of
  thousands of paths leaves its old table behind, and the manifest's text goes once parsed.
  Past the first few, the tables come from the heap, and a freed table in its middle stays in
  the process's memory until exit. Fixing the threshold keeps the sliding rule off;
- the process ends as soon as the command does (``exit_at_once``), when the command is the
  process's own command line: Python's exit would free the check's hundreds of thousands of
  objects one by one, which the system does at once.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.core.cache import caches as django_caches

from ..core import caches, loading, pool

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


# Whether a command runs in ``owned_process`` now (``owns_process``).
_owner = False


@contextmanager
def owned_process(argv: Sequence[str]) -> Iterator[None]:
    """Run a command as the one thing its process does (see the module's docstring).

    The process ends with the command only where ``argv`` is the process's own command line
    (``manage.py``, ``django-admin``) and nothing traces or profiles it: a program that passes a
    list of its own to ``execute_from_command_line`` may go on afterwards.
    """
    global _owner
    owns = list(argv) == sys.argv
    # Under a profiler, a tracer or ``coverage run``, the runner writes its results after the
    # program returns: the process must not end first.
    ends_process = owns and sys.gettrace() is None and sys.getprofile() is None
    loading.take_over()  # the collector on again in the end, whoever turned it off
    gc.disable()
    hand_back_large_blocks()
    caches.checks_once()
    _owner = owns
    pool.fork_while_alone(owns)
    try:
        yield
    except SystemExit as exc:  # an exit status: CommandError, or a usage error
        if ends_process:
            exit_at_once(exc.code)
        raise
    else:
        if ends_process:
            exit_at_once(0)
    finally:
        _owner = False
        pool.give_way()  # a program that goes on does not wait for what no check took
        pool.fork_while_alone(False)
        gc.freeze()
        gc.enable()


def owns_process() -> bool:
    """Return True while a command runs as its process's own command line (``owned_process``):
    nothing else runs in the process meanwhile (a program under a tracer or a profiler goes on
    after it, to write its results)."""
    return _owner


def exit_at_once(code: object) -> None:
    """End the process with ``code`` as ``sys.exit(code)`` would, less its last step.

    That step frees every object one by one, a check's hundreds of thousands of them, where the
    system takes the memory back at once. What the rest of the exit does is done here:

    - the hashing processes stop;
    - the cache connections close;
    - the exit functions run (``atexit``);
    - the output is flushed.

    (``run_from_argv`` has closed the database connections already.) Returns without ending
    anything while a thread that is not a daemon runs, since Python's exit waits for it.
    """
    pool.stop()
    current = threading.current_thread()
    if any(t is not current and not t.daemon for t in threading.enumerate()):
        return
    status = _status(code)
    django_caches.close_all()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            status = 120  # what Python's own exit gives when it cannot flush the output
    os._exit(status)


def _status(code: object) -> int:
    """Return the exit status ``sys.exit(code)`` gives: 0 for None, an int as it is, and 1
    for anything else, which is written to stderr first."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
