"""A real ``db_worker`` process for the tests, on the test database and the test's settings.

The worker is Django's management command from django-tasks-db, started as a separate process the
way a deployment runs it, with the settings module of the running session (``tests.settings``).
It gets the settings the test changed (``override_settings`` applies to this process only)
through ``INSPECTOR_TEST_SETTINGS``, which that module reads, and the test database's file
through ``INSPECTOR_TEST_DB``. It polls every 0.1 s, reloads nothing, and is stopped (SIGTERM,
then SIGKILL) when the block ends, whatever happened. ``watch`` and ``wait_for`` follow its run
from this process, through the run's row, as the progress page does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client

from inspector.models import CollectionRun

BASE_DIR = Path(__file__).resolve().parents[2]
# Settings a worker needs to see the same sources and storage as the test.
SHARED_SETTINGS = (
    "INSTALLED_APPS",
    "STATICFILES_DIRS",
    "STATICFILES_FINDERS",
    "STATIC_ROOT",
    "STATIC_URL",
    "STORAGES",
    "ASSET_INSPECTOR",
    "DEBUG",
)
# The apps the database task backend needs (Django 5.2 gets the framework from the backport).
TASK_APPS = ["django_tasks_db"] + (["django_tasks"] if django.VERSION < (6, 0) else [])
WORKER_BACKEND = "worker"
STOP_TIMEOUT = 10.0
WAIT_LIMIT = 90.0


def current_settings() -> dict[str, Any]:
    """Return the shared settings as this process sees them now, as JSON-ready values."""
    shared = {name: getattr(settings, name) for name in SHARED_SETTINGS}
    # The project's middleware (the toolbar) needs apps a test's INSTALLED_APPS may leave out;
    # a worker serves no requests.
    shared["MIDDLEWARE"] = []
    return json.loads(json.dumps(shared, default=str))


@contextmanager
def db_worker(log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``django-admin db_worker`` on the worker backend while the block runs."""
    env = {
        **os.environ,
        # As pytest-django set it (settings.SETTINGS_MODULE is None under override_settings).
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
        "INSPECTOR_TEST_DB": str(connection.settings_dict["NAME"]),
        "INSPECTOR_TEST_SETTINGS": json.dumps(current_settings()),
        # The test's generated apps live in folders this process put on sys.path.
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    command = [
        sys.executable,
        "-m",
        "django",
        "db_worker",
        f"--backend={WORKER_BACKEND}",
        "--interval=0.1",
        "--no-startup-delay",
        "--no-reload",
        "--verbosity=2",
        # The checks would import the project's URLconf, whose apps a test may leave out.
        "--skip-checks",
    ]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)


def runner_client(runner: AbstractUser) -> Client:
    """Return a client logged in as ``runner`` (a plain function: tests take several)."""
    client = Client()
    client.force_login(runner)
    return client


def wait_for(condition: Callable[[], bool], what: str, limit: float = WAIT_LIMIT) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {limit:g} s waiting for {what}")
        time.sleep(0.05)


def watch(run_id: int, worker: subprocess.Popen[bytes], log: Path) -> list[tuple[str, int, int]]:
    """Read the run's row until it ends; return every (phase, done, total) seen on the way."""
    seen: list[tuple[str, int, int]] = []

    def ended() -> bool:
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited ({worker.returncode}):\n{log.read_text()}")
        run = CollectionRun.objects.get(pk=run_id)
        state = (run.phase, run.files_done, run.files_total)
        if not seen or seen[-1] != state:
            seen.append(state)
        return not run.is_active

    wait_for(ended, f"run {run_id} to end")
    return seen
