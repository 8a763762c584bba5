"""Django settings for the benchmark: the generated tree lives in ``$BENCH_ROOT``."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import django

REPO = Path(__file__).resolve().parent.parent
BENCH_ROOT = Path(os.environ.get("BENCH_ROOT") or REPO / "bench-out").resolve()
if str(BENCH_ROOT) not in sys.path:
    sys.path.insert(0, str(BENCH_ROOT))

SECRET_KEY = "bench-not-secret"  # noqa: S105 - a throwaway benchmark project
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

BENCH_APPS = sorted(
    f"benchapps.{p.name}"
    for p in (BENCH_ROOT / "benchapps").glob("app*")
    if (p / "__init__.py").exists()
)
# BENCH_INSPECTOR=0 leaves the inspector out (run.py does so while inspector.inventory is missing),
# so the tree and collectstatic can be measured on their own.
HAS_INSPECTOR = (
    os.environ.get("BENCH_INSPECTOR", "1") != "0"
    and importlib.util.find_spec("inspector") is not None
)

# The dashboard's collection runs through the tasks framework's database backend and its
# worker (bench/collect.py); Django 5.2 gets the framework from the backport.
TASK_APPS = ["django_tasks_db"] + (["django_tasks"] if django.VERSION < (6, 0) else [])
INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    *(["js_lib_htmx", "inspector", *TASK_APPS] if HAS_INSPECTOR else []),
    *BENCH_APPS,
]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}

STATIC_URL = "/static/"
STATIC_ROOT = BENCH_ROOT / "collected"
STATICFILES_DIRS = [
    BENCH_ROOT / "dirs" / "main",
    ("vendor", BENCH_ROOT / "dirs" / "vendor"),
]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BENCH_ROOT / "db.sqlite3"},
}
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "inspector": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": BENCH_ROOT / "cache",
        # A check writes about 200 entries (32 buckets a step, a listing per source); the
        # default 300 leaves little room beside them, and culling a third at random would make
        # the next run re-hash thousands of files.
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}
# Default settings (``CACHE`` pointing at the per-process locmem cache) unless
# ``BENCH_SHARED_CACHE=1`` asks for the file-based cache every process shares.
ASSET_INSPECTOR: dict[str, object] = {
    "CACHE": "inspector" if os.environ.get("BENCH_SHARED_CACHE") == "1" else "default"
}
if os.environ.get("BENCH_RECHECK"):  # bench/dashboard.py: every page falls due for a re-check
    ASSET_INSPECTOR["RECHECK_SECONDS"] = float(os.environ["BENCH_RECHECK"])

# The dashboard's pages, for bench/dashboard.py.
ROOT_URLCONF = "bench.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
