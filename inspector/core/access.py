"""Who may see what the inspector shows: one rule for the pages and the toolbar panel."""

from __future__ import annotations

from typing import Any

VIEW_PERMISSION = "inspector.view_assets"
RUN_PERMISSION = "inspector.run_collection"


def may_view(user: Any) -> bool:
    """Return True if ``user`` may see what the inspector shows: active staff with
    ``inspector.view_assets`` (superusers have it)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(VIEW_PERMISSION)
    )
