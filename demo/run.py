"""``make demo``: prepare the demo, then serve it with the worker that runs collections.

Run from the repository root as ``python -m demo.run``. It runs ``manage.py demo_setup``, then
starts ``manage.py runserver`` and django-tasks-db's ``manage.py db_worker`` side by side.
Ctrl-C (or SIGTERM, SIGHUP) stops both; if either stops on its own, the other is stopped too;
if this process is killed outright, Linux stops both anyway (PR_SET_PDEATHSIG).
``demo/run_s3.py`` serves the S3 demo the same way.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from tests.support.seaweed import die_with_parent

BASE_DIR = Path(__file__).resolve().parent.parent
ADDRPORT = "127.0.0.1:8000"
STOP_TIMEOUT = 10.0


class Stop(Exception):
    """SIGTERM or SIGHUP arrived: clean up as for Ctrl-C."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def say(message: str) -> None:
    print(f"== {message}", flush=True)


def manage(*args: str, settings: str | None = None) -> list[str]:
    command = [sys.executable, str(BASE_DIR / "manage.py"), *args]
    return [*command, f"--settings={settings}"] if settings else command


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a child and its own children (runserver's autoreloader): SIGINT, then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)
    except ProcessLookupError:
        pass


# If we die without cleaning up, Linux sends SIGINT to each child, which ends it (and its
# autoreloader's child) as Ctrl-C does.
DIE_WITH_US = die_with_parent(signal.SIGINT)


def _child_preexec() -> None:  # pragma: no cover - runs in the child before exec
    """Let the child take SIGINT even if ours was ignored (a background job); die with us."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if DIE_WITH_US is not None:
        DIE_WITH_US()


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A process group of its own, so stopping it reaches the autoreloader's child too.
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_child_preexec,
    )


def serve(
    env: dict[str, str],
    *,
    addrport: str = ADDRPORT,
    settings: str | None = None,
    cleanup: Callable[[], None] | None = None,
) -> int:
    """Run the web server and the worker until Ctrl-C or until one of them stops."""
    children: dict[str, subprocess.Popen[bytes]] = {}
    # Ctrl-C is how the demo stops, even when started as a background job (which ignores SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    try:
        say(
            f"dashboard: http://{addrport}/assets/  ·  collections run in the db_worker started "
            "next to it  ·  Ctrl-C stops both"
        )
        # No autoreload: a reload would kill a running collection half-way.
        children["worker"] = start(manage("db_worker", "--no-reload", settings=settings), env)
        children["web server"] = start(manage("runserver", addrport, settings=settings), env)
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    say(f"the {name} stopped (exit code {child.returncode}): stopping the rest")
                    return child.returncode
            time.sleep(0.5)
    except (KeyboardInterrupt, Stop):
        return 0  # the documented way to stop the demo
    finally:
        # Ctrl-C may arrive again while we clean up: finish the clean-up regardless.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        for child in children.values():
            stop(child)
        if cleanup is not None:
            cleanup()
        say(f"stopped the {' and the '.join(children) or 'demo'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addrport", default=ADDRPORT, help=f"for runserver (default {ADDRPORT})")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    setup = subprocess.run(manage("demo_setup"), cwd=BASE_DIR, env=env, check=False)
    if setup.returncode != 0:
        say(f"demo_setup failed with exit code {setup.returncode}")
        return setup.returncode
    return serve(env, addrport=args.addrport)


if __name__ == "__main__":
    sys.exit(main())
