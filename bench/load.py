"""Load on the dashboard under gunicorn: p50, p95 and errors of its pages at a concurrency.

Usage: ``python bench/load.py [--case demo|tree|collect|all] [--files N] [--requests R]
[--concurrency C]``. Each case starts gunicorn on 127.0.0.1 (a free port; ``DEBUG=False``,
``--workers 2 --threads 4``), logs a staff session in, warms every page once, sends ``R``
requests (``C`` at a time) over a mix of the dashboard's pages, stops gunicorn and prints one
line: p50, p95, the slowest, errors (a status other than 200, or no answer within 60 s).

- ``demo``: the demo project (``config.settings``, after ``manage.py demo_setup``).
- ``tree``: the synthetic tree of ``bench/generate.py`` (``--files``, default 20,000), collected
  once with ``ManifestStaticFilesStorage``, warm.
- ``collect``: the same tree while ``collectstatic`` runs in another process after every source
  was touched (every file is copied and post-processed again); requests are sent until the
  collection ends or ``R`` were sent.

Every request goes to loopback only, the count is bounded and the script stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate  # noqa: E402
from bench.run import bench_env  # noqa: E402

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60.0
START_TIMEOUT = 120.0
# The pages a dashboard user opens, in the proportions of a session: tables and searches most.
PAGES = (
    "/assets/",
    "/assets/paths/",
    "/assets/paths/?q=css",
    "/assets/paths/?status=conflict",
    "/assets/paths/?sort=-size&page=2",
    "/assets/collect/runs/",
)
HTMX = {"HX-Request": "true"}


@dataclass
class Target:
    """A project to serve: its settings module, environment and a page that exists in it."""

    name: str
    settings: str
    env: dict[str, str]
    detail: str
    prepare: Callable[[], None] = lambda: None


@dataclass
class Result:
    case: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    note: str = ""

    def line(self) -> str:
        if not self.latencies:
            return f"{self.case:<46} no answer  errors {self.errors}  {self.note}"
        ordered = sorted(self.latencies)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        return (
            f"{self.case:<46} n={len(ordered):<5} p50 {statistics.median(ordered) * 1000:7.0f} ms"
            f"  p95 {p95 * 1000:7.0f} ms  max {ordered[-1] * 1000:7.0f} ms"
            f"  errors {self.errors}{'  ' + self.note if self.note else ''}"
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def manage(target: Target, *args: str, capture: bool = False) -> str:
    command = [sys.executable, str(REPO / "manage.py"), *args, f"--settings={target.settings}"]
    done = subprocess.run(
        command, cwd=REPO, env=target.env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout if capture else ""


def session_cookie(target: Target) -> str:
    """Return the session cookie of a superuser, made through Django's own session store."""
    code = (
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, "
        "HASH_SESSION_KEY\n"
        "from importlib import import_module\n"
        "from django.conf import settings\n"
        "User = get_user_model()\n"
        "user = User.objects.filter(username='load').first() or "
        "User.objects.create_superuser('load', 'load@example.com', 'load')\n"
        "store = import_module(settings.SESSION_ENGINE).SessionStore()\n"
        "store[SESSION_KEY] = str(user.pk)\n"
        "store[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "store[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "store.save()\n"
        "print(settings.SESSION_COOKIE_NAME + '=' + store.session_key)\n"
    )
    return manage(target, "shell", "-c", code, capture=True).strip().splitlines()[-1]


class Gunicorn:
    """gunicorn serving ``target`` on a free loopback port, stopped when the block ends."""

    def __init__(self, target: Target, workers: int, threads: int) -> None:
        self.target = target
        self.port = free_port()
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "django.core.wsgi:get_wsgi_application()",
            f"--bind={HOST}:{self.port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--timeout=120",
            "--log-level=warning",
        ]

    def __enter__(self) -> Gunicorn:
        env = {**self.target.env, "DJANGO_SETTINGS_MODULE": self.target.settings}
        self.process = subprocess.Popen(self.command, cwd=REPO, env=env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode})")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise SystemExit("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


# How long the warm-up may wait for every worker's first check: a bound, not a measure.
WARM_WITHIN = 600.0


def get(port: int, path: str, cookie: str, headers: dict[str, str] | None = None) -> float | None:
    """Return the seconds one GET of ``path`` took, or None if it was not a 200."""
    began = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, **(headers or {})})
        response = connection.getresponse()
        response.read()
        ok = response.status == 200
    except OSError:
        ok = False
    finally:
        connection.close()
    return time.perf_counter() - began if ok else None


def urls(target: Target) -> list[tuple[str, dict[str, str] | None]]:
    mix: list[tuple[str, dict[str, str] | None]] = [(page, None) for page in PAGES]
    mix.append((target.detail, None))
    mix.append(("/assets/paths/?q=js", HTMX))
    return mix


def load(
    case: str,
    port: int,
    cookie: str,
    target: Target,
    requests: int,
    concurrency: int,
    until: Callable[[], bool] = lambda: False,
) -> Result:
    """Send ``requests`` GETs, ``concurrency`` at a time (fewer once ``until()`` holds)."""
    result = Result(case)
    mix = urls(target)
    # Warm: each process first builds its layers in the background behind a progress page (not
    # a 200), so wait until the overview answers 200 several times in a row (every worker), then
    # open every page once, one at a time.
    deadline, ready = time.monotonic() + WARM_WITHIN, 0
    while ready < 8 and time.monotonic() < deadline:
        if get(port, "/assets/", cookie) is None:
            ready = 0
            time.sleep(1)
        else:
            ready += 1
    for path, headers in mix:
        get(port, path, cookie, headers)

    def one(index: int) -> float | None | str:
        if until():
            return "skipped"
        path, headers = mix[index % len(mix)]
        return get(port, path, cookie, headers)

    with ThreadPoolExecutor(concurrency) as pool:
        for outcome in pool.map(one, range(requests)):
            if outcome == "skipped":
                continue
            if outcome is None:
                result.errors += 1
            else:
                assert isinstance(outcome, float)
                result.latencies.append(outcome)
    return result


def demo_target() -> Target:
    env = {**os.environ, "DJANGO_DEBUG": "0", "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    target = Target("demo", "config.settings", env, "/assets/paths/admin/css/base.css")

    def prepare() -> None:
        manage(target, "demo_setup", "--verbosity=0")

    target.prepare = prepare
    return target


def tree_target(root: Path, files: int) -> Target:
    generate(root, files, 40, 1)
    env = bench_env(root)
    static = root / "benchapps" / "app01" / "static"
    first = min(str(p.relative_to(static)) for p in static.rglob("*") if p.is_file())
    target = Target(f"{files} files", "bench.load_settings", env, f"/assets/paths/{first}")

    def prepare() -> None:
        manage(target, "migrate", "--verbosity=0")
        if not (root / "collected" / "staticfiles.json").exists():
            manage(target, "collectstatic", "--noinput", "--verbosity=0")

    target.prepare = prepare
    return target


def touch_sources(root: Path) -> None:
    """Make every source newer than its collected copy: the next collection copies them all."""
    now = time.time()
    for folder in (root / "benchapps", root / "dirs"):
        for path in folder.rglob("*"):
            if path.is_file():
                os.utime(path, (now, now))


def run_case(case: str, args: argparse.Namespace, root: Path) -> Result:
    target = demo_target() if case == "demo" else tree_target(root, args.files)
    target.prepare()
    cookie = session_cookie(target)
    label = {
        "demo": f"demo, concurrency {args.concurrency}",
        "tree": f"{args.files} files warm, concurrency {args.concurrency}",
        "collect": f"{args.files} files during a collection, c={args.concurrency}",
    }[case]
    with Gunicorn(target, args.workers, args.threads) as server:
        if case != "collect":
            return load(label, server.port, cookie, target, args.requests, args.concurrency)
        for path, headers in urls(target):  # the pages are warm before the collection starts
            get(server.port, path, cookie, headers)
        touch_sources(root)
        command = [
            sys.executable,
            str(REPO / "manage.py"),
            "collectstatic",
            "--noinput",
            "--verbosity=0",
            f"--settings={target.settings}",
        ]
        began = time.monotonic()
        collecting = subprocess.Popen(command, cwd=REPO, env=target.env)
        try:
            result = load(
                label,
                server.port,
                cookie,
                target,
                args.requests,
                args.concurrency,
                until=lambda: collecting.poll() is not None,
            )
        finally:
            collecting.wait(600)
        result.note = f"(collection {time.monotonic() - began:.0f} s)"
        return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["demo", "tree", "collect", "all"], default="all")
    parser.add_argument("--files", type=int, default=int(os.environ.get("N") or 20000))
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "load")
    args = parser.parse_args(argv)
    if shutil.which("gunicorn") is None and not _has_module("gunicorn"):
        raise SystemExit("gunicorn is not installed: pip install -e '.[test]'")
    root = args.out.resolve()
    cases = ["demo", "tree", "collect"] if args.case == "all" else [args.case]
    print(
        f"gunicorn --workers {args.workers} --threads {args.threads}, DEBUG=False, "
        f"{args.requests} requests per case; {os.cpu_count()} cores; {tempfile.gettempdir()}"
    )
    for case in cases:
        print(run_case(case, args, root).line(), flush=True)
    return 0


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    raise SystemExit(main())
