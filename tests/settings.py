"""Test settings: the demo project, with state moved out of the tree and made disposable."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import django

from config.settings import *  # noqa: F403

_SCRATCH = Path(tempfile.mkdtemp(prefix="inspector-tests-"))

DEBUG = False
# A file, not ":memory:": collection tests start real worker processes on the same database
# (tests/support/workers.py hands them the test database's path in INSPECTOR_TEST_DB).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("INSPECTOR_TEST_DB", str(_SCRATCH / "db.sqlite3")),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        "TEST": {"NAME": str(_SCRATCH / "test.sqlite3")},
    }
}
# Runs in the request by default (any backend must work); tests with a real worker use "worker".
_TASKS_PACKAGE = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
TASKS = {
    "default": {"BACKEND": f"{_TASKS_PACKAGE}.backends.immediate.ImmediateBackend"},
    "worker": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
STATIC_ROOT = _SCRATCH / "collected"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "inspector": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "inspector-tests",
    },
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every request re-checks the file system: tests edit files between requests.
ASSET_INSPECTOR = {"CACHE": "inspector", "RECHECK_SECONDS": 0}

# A worker process started by a test gets the settings that test changed (tests/support/workers.py).
if _overrides := os.environ.get("INSPECTOR_TEST_SETTINGS"):
    globals().update(json.loads(_overrides))
