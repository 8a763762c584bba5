"""The hashing processes, for tests that need them to fail."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor


def kill_the_hashing_processes(pool: ProcessPoolExecutor) -> None:
    """A fault: every hashing process dies. Once one is dead, Python 3.12 and later may kill
    and reap the others itself before this loop reaches them."""
    for process in list(pool._processes.values()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.join(10)


# Set again by a test before the hashing processes start: a forked one has the new value, a
# spawned one imports this module afresh.
MARK = "as imported"


def marked() -> str:
    """Return ``MARK`` as the hashing process that runs this sees it."""
    return MARK


def slowly(items: list[int], seconds: float) -> list[int]:
    """Return ``items`` after ``seconds``: a batch that keeps a hashing process busy."""
    time.sleep(seconds)
    return items
