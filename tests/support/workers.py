"""A real ``db_worker`` process for the tests, on the test database and the test's settings.

The worker is Django's management command from django-tasks-db, started as a separate process the
way a deployment runs it. It gets the settings the test changed (``override_settings`` applies
to this process only) through ``INSPECTOR_TEST_SETTINGS``, which ``tests/settings.py`` reads, and
the test database's file through ``INSPECTOR_TEST_DB``. It polls every 0.1 s, reloads nothing,
and is stopped (SIGTERM, then SIGKILL) when the block ends, whatever happened.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
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


def current_settings() -> dict[str, Any]:
    """Return the shared settings as this process sees them now, as JSON-ready values."""
    shared = {name: getattr(settings, name) for name in SHARED_SETTINGS}
    # The demo's middleware (the toolbar) needs apps a test's INSTALLED_APPS may leave out;
    # a worker serves no requests.
    shared["MIDDLEWARE"] = []
    return json.loads(json.dumps(shared, default=str))


@contextmanager
def db_worker(log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``manage.py db_worker`` on the worker backend while the block runs."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "INSPECTOR_TEST_DB": str(connection.settings_dict["NAME"]),
        "INSPECTOR_TEST_SETTINGS": json.dumps(current_settings()),
        # The test's generated apps live in folders this process put on sys.path.
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    command = [
        sys.executable,
        str(BASE_DIR / "manage.py"),
        "db_worker",
        f"--backend={WORKER_BACKEND}",
        "--interval=0.1",
        "--no-startup-delay",
        "--no-reload",
        "--verbosity=2",
        # The checks would import the demo URLconf, whose apps a test may leave out.
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
