"""System checks for setting the app up (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks

from .conf import get_config


@checks.register()
def check_htmx_installed(**kwargs: Any) -> list[checks.CheckMessage]:
    if apps.is_installed("js_lib_htmx"):
        return []
    return [
        checks.Warning(
            "The asset inspector's pages load htmx from the 'js_lib_htmx' app, which is not in "
            "INSTALLED_APPS: filters and sorting will reload the whole page.",
            hint="pip install django-js-lib-htmx and add 'js_lib_htmx' to INSTALLED_APPS.",
            id="inspector.W001",
        )
    ]


@checks.register()
def check_heartbeat(**kwargs: Any) -> list[checks.CheckMessage]:
    config = get_config()
    beat, timeout = float(config["HEARTBEAT_SECONDS"]), float(config["HEARTBEAT_TIMEOUT"])
    if timeout > 2 * beat > 0:
        return []
    return [
        checks.Error(
            f"ASSET_INSPECTOR['HEARTBEAT_TIMEOUT'] ({timeout:g} s) must be more than twice "
            f"HEARTBEAT_SECONDS ({beat:g} s), which must be positive: live collection runs "
            "would be failed as dead.",
            id="inspector.E001",
        )
    ]
