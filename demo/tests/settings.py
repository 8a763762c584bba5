"""Settings of the demo's test session: the demo project, with state moved out of the tree and
made disposable. ``pytest demo/tests --ds=demo.tests.settings`` (a session of its own: the app's
tests run on ``tests.settings``, a project that knows nothing of the demo)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import django

from config.settings import *  # noqa: F403

_SCRATCH = Path(tempfile.mkdtemp(prefix="inspector-demo-tests-"))
# Every process that loads these settings (the test session, and each worker or server it
# starts) has a scratch folder of its own, removed when that process exits.
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)

DEBUG = False
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(_SCRATCH / "db.sqlite3"),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        "TEST": {"NAME": str(_SCRATCH / "test.sqlite3")},
    }
}
# Runs in the request: the demo's tests start no worker.
_TASKS_PACKAGE = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
TASKS = {"default": {"BACKEND": f"{_TASKS_PACKAGE}.backends.immediate.ImmediateBackend"}}
STATIC_ROOT = _SCRATCH / "collected"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "inspector": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "inspector-demo-tests",
    },
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every request re-checks the file system: tests edit files between requests.
ASSET_INSPECTOR = {  # noqa: F405
    **ASSET_INSPECTOR,  # noqa: F405
    "CACHE": "inspector",
    "RECHECK_SECONDS": 0,
    "COOLDOWN_SECONDS": 0,
}
