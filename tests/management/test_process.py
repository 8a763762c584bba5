"""``inspect_assets`` run from the command line owns its process: it hands large freed blocks back
to the system at once, where glibc would otherwise keep them for the rest of the run, keeps
nothing for a later check, and ends the process as soon as it is done, its exit functions run
and its hashing processes stopped, without freeing its objects one by one."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspector.management.process import _status

BASE_DIR = Path(__file__).resolve().parents[2]


def _glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError):
        return False


glibc_only = pytest.mark.skipif(not _glibc(), reason="glibc's sliding mmap threshold only")
proc_only = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds the session's processes in /proc"
)

# One large block freed (glibc's threshold slides up to its size), then 40 blocks of 1 MiB,
# which now come from the heap, freed too: how many MiB of them leave the process's memory?
FREE_AFTER = """
def given_back():
    def rss_mib():
        with open("/proc/self/status") as status:
            return next(
                int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS")
            )
    big = bytearray(24 << 20)
    del big
    blocks = [bytearray(1 << 20) for _ in range(40)]
    held = rss_mib()
    del blocks
    print("given back:", held - rss_mib(), flush=True)
"""

# The command line's process ends in ``run_from_argv``: what follows it runs at exit.
RUN_FROM_ARGV = """
import atexit, sys, django
django.setup()
from inspector.core import caches
from inspector.management.commands.inspect_assets import Command
def after():
    assert not caches.for_later()  # it checks once: nothing is kept for a later check
    given_back()
atexit.register(after)
sys.argv = ["manage.py", "inspect_assets", "--no-live", "--format", "json"]
Command().run_from_argv(sys.argv)
raise SystemExit("run_from_argv returned: the process should have ended in it")
"""

CALL_COMMAND = """
import io, django
django.setup()
from django.core.management import call_command
call_command("inspect_assets", "--no-live", "--format", "json", stdout=io.StringIO())
given_back()
"""


def _env() -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    for name in [n for n in env if n.startswith("MALLOC_")]:
        del env[name]
    return env


def run_script(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh Python process with the test settings."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def given_back_after(setup: str) -> int:
    """Return the MiB of freed 1 MiB blocks a fresh process gives back after ``setup``."""
    done = run_script(FREE_AFTER + (setup or "given_back()"))
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("given back:"), done.stdout[-500:]
    return int(last.split(":")[1])


@glibc_only
def test_a_process_left_as_it_starts_keeps_the_freed_blocks() -> None:
    # The behaviour the command turns off: without it the next test could not fail.
    assert given_back_after("") < 10


@glibc_only
def test_the_command_from_the_command_line_gives_them_back() -> None:
    assert given_back_after(RUN_FROM_ARGV) >= 35


@glibc_only
def test_a_command_called_in_another_process_leaves_its_allocator_alone() -> None:
    # A web process or a test calls the command: its allocator is its server's business.
    assert given_back_after(CALL_COMMAND) < 10


# A command line run whose check starts the hashing processes even on this small tree, with an
# exit function of its own, and a hook that only Python's own exit runs (``threading``'s).
ENDS_AT_ONCE = """
import atexit, sys, django
django.setup()
from django.conf import settings
settings.ASSET_INSPECTOR = {**settings.ASSET_INSPECTOR, "HASH_PROCESSES": 2}
from inspector.core import pool
pool.PROCESS_MIN_FILES = 1
started = pool._process_pool
def announced(processes=None, **options):
    before = pool._pool
    found = started(processes, **options)
    if found is not None and before is None:
        method = found._mp_context.get_start_method()
        print("hashing processes started:", method, file=sys.stderr, flush=True)
    return found
pool._process_pool = announced
atexit.register(lambda: print("exit functions ran", flush=True))
import os, threading
# Forked hashing processes inherit the hook, and run it as they end: only this process's counts.
parent = os.getpid()
threading._register_atexit(lambda: os.getpid() == parent and print("Python's own exit", flush=True))
from inspector.management.commands.inspect_assets import Command
sys.argv = ["manage.py", "inspect_assets", *sys.argv[1:]]
Command().run_from_argv(sys.argv)
"""


def run_owned(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``ENDS_AT_ONCE`` with ``args`` in a session of its own; fail if a process of that
    session (a hashing process) is still running once it has ended."""
    process = subprocess.Popen(
        [sys.executable, "-c", ENDS_AT_ONCE, *args],
        cwd=BASE_DIR,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=30)
        # A process whose parent is gone reads the end of its pipe and ends: give it a moment.
        deadline = time.monotonic() + 5
        while (left := running_in_group(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not left, f"processes of the command's session outlived it: {left}"
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def running_in_group(group: int) -> list[str]:
    """Return the command lines of the processes of ``group`` still running: not those that
    have ended and wait to be reaped (zombies, which this machine's init may keep a while)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended meanwhile
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state != "Z":
            found.append(command)
    return found


@proc_only
def test_the_command_line_ends_with_its_exit_functions_run_and_nothing_left_running() -> None:
    done = run_owned("--format", "json", "--hash")
    assert done.returncode == 0, done.stderr
    # Forked where they can be: the command line owns its process, with one thread.
    method = "fork" if sys.platform == "linux" else "spawn"
    assert done.stderr.strip() == f"hashing processes started: {method}"  # and nothing after
    text, _, ran = done.stdout.rstrip().rpartition("\n")
    assert ran == "exit functions ran"  # and Python's own exit did not run
    rows = json.loads(text)
    assert rows and all("path" in row for row in rows)


@proc_only
def test_the_command_line_keeps_its_exit_status_and_message() -> None:
    usage = run_owned("--format", "xml")
    assert usage.returncode == 2
    assert "invalid choice: 'xml'" in usage.stderr
    refused = run_owned("--probe", "--no-live")
    assert refused.returncode == 2
    assert "--probe compares with the collected copies: drop --no-live." in refused.stderr
    assert refused.stdout.strip() == "exit functions ran"  # and Python's own exit did not run


# Programs that go on after the command: one runs it with a list of arguments of its own, one
# runs the process's own command line under a tracer (a profiler, ``coverage run``), which
# writes its results once the program returns.
GOES_ON = """
import sys, django
django.setup()
from django.core.management import execute_from_command_line
arguments = ["manage.py", "inspect_assets", "--no-live", "--format", "json"]
if TRACED:
    sys.argv = arguments
    sys.settrace(lambda *frame: None)
execute_from_command_line(list(arguments))
print("went on", flush=True)
"""


@pytest.mark.parametrize("traced", [False, True], ids=["own-arguments", "traced"])
def test_a_program_goes_on_after_the_command(traced: bool) -> None:
    done = run_script(f"TRACED = {traced}\n" + GOES_ON)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("]\nwent on")


# Whether the hashing processes may be forked, inside a command run as ``ARGV`` and after it.
FORKING = """
import sys
from inspector.core import pool
from inspector.management.process import owned_process
if TRACED:
    sys.settrace(lambda *frame: None)  # a profiler: the program goes on after the command
with owned_process(sys.argv if OWN else ["manage.py", "inspect_assets"]):
    print("inside:", pool._may_fork, flush=True)
print("after:", pool._may_fork)
"""


@pytest.mark.parametrize(
    ("own", "traced", "said"),
    [
        (True, False, ["inside: True"]),  # the process ends with the command
        (True, True, ["inside: True", "after: False"]),
        (False, False, ["inside: False", "after: False"]),
    ],
    ids=["command-line", "command-line-traced", "own-arguments"],
)
def test_only_the_process_s_own_command_line_forks_its_hashing_processes(
    own: bool, traced: bool, said: list[str]
) -> None:
    done = run_script(f"OWN = {own}\nTRACED = {traced}\n" + FORKING)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == said


# How many collections the cyclic collector runs once the apps are known (while Django loads
# their models, and the command's modules after), in a process whose command line is ``ARGV``.
LOADING = """
import gc, sys
from django.apps import apps
after = []
gc.callbacks.append(lambda phase, info: phase == "start" and apps.apps_ready and after.append(1))
sys.argv = ARGV
import django
django.setup()
from inspector.management.commands import inspect_assets
print("collections:", len(after), "collector on:", gc.isenabled())
"""


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["manage.py", "inspect_assets", "--format", "json"], "collections: 0 collector on: False"),
        (["manage.py", "check", "inspect_assets"], "collector on: True"),
        (["manage.py", "runserver"], "collector on: True"),
    ],
    ids=["inspect_assets", "another-command", "a-server"],
)
def test_only_the_command_line_loads_django_without_the_collector(
    argv: list[str], said: str
) -> None:
    done = run_script(f"ARGV = {argv!r}\n" + LOADING)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip()
    assert last.endswith(said)
    if said.endswith("True"):  # the loading the command line spares: it would collect
        assert int(last.split()[1]) > 0


# A script that bears the command's name, loads Django and calls the command itself.
NAMED_LIKE_IT = """
import gc, io, sys
sys.argv = ["tasks.py", "inspect_assets"]
import django
django.setup()
from inspector.core import pool
print("loading:", gc.isenabled(), pool._may_fork)
from django.core.management import call_command
call_command("inspect_assets", "--no-live", "--format", "json", stdout=io.StringIO())
print("after the command:", gc.isenabled(), pool._may_fork)
"""


def test_a_script_that_calls_the_command_gets_its_collector_back_and_spawns() -> None:
    done = run_script(NAMED_LIKE_IT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["loading: False True", "after the command: True False"]


@pytest.mark.parametrize(
    ("code", "status", "said"),
    [(None, 0, ""), (0, 0, ""), (3, 3, ""), (True, 1, ""), ("no tree", 1, "no tree\n")],
)
def test_the_exit_status_is_that_of_sys_exit(
    code: object, status: int, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _status(code) == status
    assert capsys.readouterr().err == said
