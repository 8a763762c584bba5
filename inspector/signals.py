"""Reset the app's caches when a setting they were built from changes (tests, mostly)."""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from .collected import forget_storage
from .conf import get_config
from .inventory import clear_inventory_cache
from .manifest import clear_manifest_cache

_WATCHED = {
    "ASSET_INSPECTOR",
    "INSTALLED_APPS",
    "STATICFILES_DIRS",
    "STATICFILES_FINDERS",
    "STATIC_ROOT",
    "STATIC_URL",
    "STORAGES",
}


@receiver(setting_changed)
def reset_caches(*, setting: str, **kwargs: Any) -> None:
    if setting in _WATCHED:
        get_config.cache_clear()
        clear_inventory_cache()
    # whitenoise reads its settings when the storage is built (strictness, compression).
    if setting in _WATCHED or setting.startswith("WHITENOISE_"):
        forget_storage()
        clear_manifest_cache()
