"""``inspect_assets`` run from the command line owns its process: it hands large freed blocks back
to the system at once, where glibc would otherwise keep them for the rest of the run, and keeps
nothing for a later check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def _glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError):
        return False


pytestmark = pytest.mark.skipif(not _glibc(), reason="glibc's sliding mmap threshold only")

# One large block freed (glibc's threshold slides up to its size), then 40 blocks of 1 MiB,
# which now come from the heap, freed too: how many MiB of them leave the process's memory?
FREE_AFTER = """
def rss_mib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))
big = bytearray(24 << 20)
del big
blocks = [bytearray(1 << 20) for _ in range(40)]
held = rss_mib()
del blocks
print("given back:", held - rss_mib())
"""

RUN_FROM_ARGV = """
import django
django.setup()
from inspector.management.commands.inspect_assets import Command
Command().run_from_argv(["manage.py", "inspect_assets", "--no-live", "--format", "json"])
from inspector.core import caches
assert not caches.for_later()  # it checks once: nothing is kept for a later check
"""

CALL_COMMAND = """
import io, django
django.setup()
from django.core.management import call_command
call_command("inspect_assets", "--no-live", "--format", "json", stdout=io.StringIO())
"""


def given_back_after(setup: str) -> int:
    """Return the MiB of freed 1 MiB blocks a fresh process gives back after ``setup``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    for name in [n for n in env if n.startswith("MALLOC_")]:
        del env[name]
    done = subprocess.run(
        [sys.executable, "-c", setup + FREE_AFTER],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("given back:"), done.stdout[-500:]
    return int(last.split(":")[1])


def test_a_process_left_as_it_starts_keeps_the_freed_blocks() -> None:
    # The behaviour the command turns off: without it the next test could not fail.
    assert given_back_after("") < 10


def test_the_command_from_the_command_line_gives_them_back() -> None:
    assert given_back_after(RUN_FROM_ARGV) >= 35


def test_a_command_called_in_another_process_leaves_its_allocator_alone() -> None:
    # A web process or a test calls the command: its allocator is its server's business.
    assert given_back_after(CALL_COMMAND) < 10
