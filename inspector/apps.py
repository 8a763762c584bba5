from __future__ import annotations

from types import ModuleType

from django.apps import AppConfig

from .core.loading import while_loading


class InspectorConfig(AppConfig):
    name = "inspector"
    verbose_name = "Asset inspector"
    default_auto_field = "django.db.models.BigAutoField"

    def __init__(self, app_name: str, app_module: ModuleType | None) -> None:
        super().__init__(app_name, app_module)
        # Django creates the apps' configurations before it loads their models (core.loading).
        # The name is the command's module in management/commands.
        while_loading("inspect_assets")

    def ready(self) -> None:
        # Registers the system checks, and the one receiver that resets every cache.
        from . import checks  # noqa: F401
        from .core import caches  # noqa: F401
        from .core.references.scan import use_template_folders
        from .templating.engines import template_folders

        # The core reads no template code: the engines' folders come from here.
        use_template_folders(template_folders)
