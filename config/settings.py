"""Settings for the asset inspector demo: every kind of finding is planted on purpose.

Local development only. The secret key default and the DEBUG default are not fit for production.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import django

BASE_DIR = Path(__file__).resolve().parent.parent

# Runtime state (database, collected files, caches) stays out of the source tree's tracked files.
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-asset-inspector-demo-only-never-use-in-production"
)
DEBUG = os.environ.get("DJANGO_DEBUG", "1") != "0"
# Where `make demo` serves (demo/run.py sets it from ADDR and PORT): the probe's base URL below.
DEMO_BASE_URL = os.environ.get("DEMO_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_DEMO_HOST = urlsplit(DEMO_BASE_URL).hostname or "127.0.0.1"
ALLOWED_HOSTS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    "testserver",
    f"[{_DEMO_HOST}]" if ":" in _DEMO_HOST else _DEMO_HOST,
    # `make demo ADDR=0.0.0.0` answers any host name (the launcher sets "*").
    *filter(None, os.environ.get("DEMO_ALLOWED_HOSTS", "").split(",")),
]
INTERNAL_IPS = ["127.0.0.1"]

INSTALLED_APPS = [
    # Before django.contrib.admin so its static files win: this is the planted conflict.
    "demo.theme",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver leaves /static/ to WhiteNoise (below), which serves the
    # collected hashed names too, so the probe gets what a production server would send.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "debug_toolbar",
    "django_tables2",
    "js_lib_htmx",
    "django_htmx",
    "inspector",
    "demo.shop",
    # The task backend that runs collections in the background: `manage.py db_worker`.
    "django_tasks_db",
]
if django.VERSION < (6, 0):
    # Django 5.2 gets the tasks framework from the django-tasks backport.
    INSTALLED_APPS.append("django_tasks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the toolbar is shown to staff only (demo.toolbar.show_toolbar).
    "debug_toolbar.middleware.DebugToolbarMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # STATIC_URL in every template: the references page plants a concatenation.
                "django.template.context_processors.static",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "db.sqlite3",
        # The web server and the worker write to one file: WAL lets readers go on while a
        # collection writes its progress, and IMMEDIATE transactions wait instead of failing.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # On disk so the web server and the CLI reuse the same content fingerprints.
    "inspector": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": VAR_DIR / "cache" / "inspector",
        # The default 300 entries is less than one inventory of a large project: past it the
        # backend culls a third at random and fingerprints are computed again.
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "admin:login"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # A prefixed entry: assets/vendor/reset.css is served as vendor/reset.css.
    ("vendor", BASE_DIR / "assets" / "vendor"),
]
# WhiteNoise serves /static/: with DEBUG (its default then) a name any finder has comes from the
# sources, as runserver would serve it; every other name (the manifest's hashed ones) from
# STATIC_ROOT. It looks files up per request even with DEBUG=0, because a collection started
# from the dashboard adds hashed names while the server runs. Local demo only: in production
# autorefresh is off. A name with a 12-digit hash (the manifest's) is served as immutable under
# DEBUG too, where WhiteNoise's own test cannot tell, as `{% static %}` then gives plain names.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_IMMUTABLE_FILE_TEST = r"\.[0-9a-f]{12}\.[^./]+$"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # A custom finder outside any app's static/ folder, like django-compressor's.
    "demo.finders.BundleFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # One manifest per release folder (demo/storages.py), the release id from DEMO_RELEASE.
    "staticfiles": {"BACKEND": "demo.storages.ReleaseManifestStorage"},
}

ASSET_INSPECTOR = {
    "CACHE": "inspector",
    # Where `make demo` serves the site: the dashboard's probe joins the relative STATIC_URL to
    # it (it never takes the address from a request).
    "BASE_URL": DEMO_BASE_URL,
    # The theme's admin stylesheet and icon override Django's on purpose: accepted, so they
    # show muted with this reason and never fail `inspect_assets --fail-on warning`.
    "ACCEPT": [
        {
            "path": "admin/*",
            "status": "conflict",
            "source": "app:demo.theme",
            "reason": "the demo's admin theme overrides Django's on purpose",
        }
    ],
}

# The toolbar refuses to load under a test runner unless told otherwise; the demo wants it shown.
DEBUG_TOOLBAR_CONFIG = {
    "IS_RUNNING_TESTS": False,
    "SHOW_TOOLBAR_CALLBACK": "demo.toolbar.show_toolbar",
}
# The toolbar's defaults plus the inspector's Assets panel, right after the built-in static panel
# it complements (the built-in lists every file; ours explains the ones the request used).
DEBUG_TOOLBAR_PANELS = [
    "debug_toolbar.panels.history.HistoryPanel",
    "debug_toolbar.panels.versions.VersionsPanel",
    "debug_toolbar.panels.timer.TimerPanel",
    "debug_toolbar.panels.settings.SettingsPanel",
    "debug_toolbar.panels.headers.HeadersPanel",
    "debug_toolbar.panels.request.RequestPanel",
    "debug_toolbar.panels.sql.SQLPanel",
    "debug_toolbar.panels.staticfiles.StaticFilesPanel",
    "inspector.panels.AssetsPanel",
    "debug_toolbar.panels.templates.TemplatesPanel",
    "debug_toolbar.panels.alerts.AlertsPanel",
    "debug_toolbar.panels.cache.CachePanel",
    "debug_toolbar.panels.signals.SignalsPanel",
    "debug_toolbar.panels.tasks.TasksPanel",
    "debug_toolbar.panels.community.CommunityPanel",
    "debug_toolbar.panels.redirects.RedirectsPanel",
    "debug_toolbar.panels.profiling.ProfilingPanel",
]
