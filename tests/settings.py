"""Test settings: the demo project, with state moved out of the tree and made disposable."""

from __future__ import annotations

import tempfile
from pathlib import Path

from config.settings import *  # noqa: F403

_SCRATCH = Path(tempfile.mkdtemp(prefix="inspector-tests-"))

DEBUG = False
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
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
