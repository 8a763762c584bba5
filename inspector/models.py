from __future__ import annotations

from django.db import models


class AssetInspector(models.Model):
    """Holds the app's permissions; it has no table and no rows."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_assets", "Can view the asset inspector"),
            ("run_collection", "Can run collectstatic from the asset inspector"),
        ]

    def __str__(self) -> str:
        return "asset inspector"
