"""Settings of the app's test project: the least a project using the inspector configures.

Standalone: nothing from the demo. The apps the inspector works with (debug toolbar, htmx, the
tasks framework with django-tasks-db for the worker tests), its URLs mounted at ``assets/`` with
the toolbar's next to them (``tests/project/urls.py``), and every piece of state (database,
collected files, caches) in a scratch folder or in memory. Each test activates the static files
it inspects itself (``tests/support/layout.py``); this project ships none.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import django

_SCRATCH = Path(tempfile.mkdtemp(prefix="inspector-tests-"))
# Every process that loads these settings (the test session, and each worker or server it
# starts) has a scratch folder of its own, removed when that process exits.
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)

SECRET_KEY = "inspector-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# The toolbar shows for these when a test turns DEBUG on (a browser may come over IPv6).
INTERNAL_IPS = ["127.0.0.1", "::1"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "debug_toolbar",
    "js_lib_htmx",
    "django_htmx",
    "inspector",
    "django_tasks_db",
]
if django.VERSION < (6, 0):
    # Django 5.2 gets the tasks framework from the django-tasks backport.
    INSTALLED_APPS.append("django_tasks")

MIDDLEWARE = [
    "debug_toolbar.middleware.DebugToolbarMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]
ROOT_URLCONF = "tests.project.urls"
# No login page of its own: the tests check where anonymous users are sent, not the page.
LOGIN_URL = "/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

# Runs in the request by default (any backend must work); tests with a real worker use "worker".
_TASKS_PACKAGE = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
TASKS = {
    "default": {"BACKEND": f"{_TASKS_PACKAGE}.backends.immediate.ImmediateBackend"},
    "worker": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}

STATIC_URL = "/static/"
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
# No cooldown between re-checks and probes: tests post them back to back
# (tests/web/test_probe_and_cooldowns.py turns it on).
ASSET_INSPECTOR = {"CACHE": "inspector", "RECHECK_SECONDS": 0, "COOLDOWN_SECONDS": 0}

# The toolbar refuses to run under a test runner unless told otherwise; the panel tests want it.
DEBUG_TOOLBAR_CONFIG = {"IS_RUNNING_TESTS": False}
DEBUG_TOOLBAR_PANELS = [
    "debug_toolbar.panels.staticfiles.StaticFilesPanel",
    "inspector.panels.AssetsPanel",
]

# A worker process started by a test gets the settings that test changed (tests/support/workers.py).
if _overrides := os.environ.get("INSPECTOR_TEST_SETTINGS"):
    globals().update(json.loads(_overrides))
