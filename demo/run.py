"""``make demo``: prepare the demo, then serve it with the worker that runs collections.

Run from the repository root as ``python -m demo.run [--addr ADDR] [--port PORT]`` (``make demo
PORT=8222 ADDR=0.0.0.0``). It runs ``manage.py demo_setup``, then starts ``manage.py runserver``
on that address and django-tasks-db's ``manage.py db_worker`` side by side; both get
``DEMO_BASE_URL`` (where the probe and the printed links point) from the same address.
Ctrl-C (or SIGTERM, SIGHUP) stops both; if either stops on its own, the other is stopped too;
if this process is killed outright, Linux stops both anyway (PR_SET_PDEATHSIG).
``demo/run_s3.py`` serves the S3 demo the same way.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from tests.support.seaweed import die_with_parent

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_ADDR = "127.0.0.1"
DEFAULT_PORT = 8000
STOP_TIMEOUT = 10.0
# Read by config/settings.py: where the site is served (the probe's base URL, the printed links),
# and the extra hosts it answers to.
BASE_URL_ENV = "DEMO_BASE_URL"
ALLOWED_HOSTS_ENV = "DEMO_ALLOWED_HOSTS"
# Addresses that listen on every interface: the browser and the probe reach them on loopback.
WILDCARDS = {"0": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


@dataclass(frozen=True, slots=True)
class Address:
    """Where the demo's web server listens (``make demo ADDR=... PORT=...``)."""

    addr: str = DEFAULT_ADDR
    port: int = DEFAULT_PORT

    @property
    def wildcard(self) -> bool:
        return self.addr in WILDCARDS

    @property
    def addrport(self) -> str:
        """runserver's ``addrport`` argument (an IPv6 address in brackets)."""
        return f"[{self.addr}]:{self.port}" if ":" in self.addr else f"{self.addr}:{self.port}"

    @property
    def base_url(self) -> str:
        """The URL a browser on this machine (and the probe) opens."""
        host = WILDCARDS.get(self.addr, self.addr)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def env(self, environ: dict[str, str]) -> dict[str, str]:
        """Return ``environ`` with the demo's base URL (an explicit DEMO_BASE_URL wins: a proxy
        in front), and every host allowed when listening on every interface."""
        env = dict(environ)
        env.setdefault(BASE_URL_ENV, self.base_url)
        if self.wildcard:
            env.setdefault(ALLOWED_HOSTS_ENV, "*")
        return env


def port_number(value: str) -> int:
    """argparse type: a TCP port, 1 to 65535."""
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return int(value)


def listen_address(value: str) -> str:
    """argparse type: an IP address or a host name to listen on (brackets optional for IPv6)."""
    value = value.strip().removeprefix("[").removesuffix("]")
    if value in WILDCARDS or _HOSTNAME.fullmatch(value):
        return value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an IP address or host name (e.g. 127.0.0.1, 0.0.0.0, ::1)"
        ) from None


def add_address_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--addr",
        type=listen_address,
        default=DEFAULT_ADDR,
        help=f"address runserver listens on (default {DEFAULT_ADDR}; make demo ADDR=...)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port runserver listens on (default {DEFAULT_PORT}; make demo PORT=...)",
    )


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
    address: Address,
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
            f"dashboard: {env.get(BASE_URL_ENV, address.base_url)}/assets/  ·  collections run in "
            "the db_worker started next to it  ·  Ctrl-C stops both"
        )
        # No autoreload: a reload would kill a running collection half-way.
        children["worker"] = start(manage("db_worker", "--no-reload", settings=settings), env)
        children["web server"] = start(
            manage("runserver", address.addrport, settings=settings), env
        )
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
    add_address_arguments(parser)
    args = parser.parse_args(argv)
    address = Address(args.addr, args.port)
    env = address.env(dict(os.environ))
    # --launched: we start the server, so its summary names no command to start one.
    setup = subprocess.run(manage("demo_setup", "--launched"), cwd=BASE_DIR, env=env, check=False)
    if setup.returncode != 0:
        say(f"demo_setup failed with exit code {setup.returncode}")
        return setup.returncode
    return serve(env, address=address)


if __name__ == "__main__":
    sys.exit(main())
