"""The benchmark's settings plus Django's admin (and what it needs): its templates, CSS, JS and
form media are scanned with the generated tree by ``bench/references.py``."""

from __future__ import annotations

from bench.settings import *  # noqa: F403
from bench.settings import INSTALLED_APPS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    *INSTALLED_APPS,
]
