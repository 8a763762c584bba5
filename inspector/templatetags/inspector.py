"""Template tags for the inspector's own pages."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template

from ..web.assets import asset_url

register = template.Library()


@register.simple_tag
def inspector_asset(name: str) -> str:
    """Return the URL of one of the inspector's own files ("" when its app is missing)."""
    return asset_url(name)


@register.filter
def epoch_datetime(seconds: float | None) -> datetime | None:
    """Turn a ``time.time()`` value into an aware datetime for ``date`` and ``timesince``."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)
