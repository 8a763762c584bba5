from __future__ import annotations

from django.apps import AppConfig


class InspectorConfig(AppConfig):
    name = "inspector"
    verbose_name = "Asset inspector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks, and the one receiver that resets every cache.
        from . import checks  # noqa: F401
        from .core import caches  # noqa: F401
        from .core.references.scan import use_template_folders
        from .templating.engines import template_folders

        # The core reads no template code: the engines' folders come from here.
        use_template_folders(template_folders)
