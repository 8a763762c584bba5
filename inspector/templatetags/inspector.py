"""Template tags for the inspector's own pages."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urljoin

from django import template
from django.conf import settings
from django.templatetags.static import static

register = template.Library()


@register.simple_tag
def inspector_static(path: str) -> str:
    """``{% static %}`` that survives a broken manifest.

    The dashboard is where people go when static files are wrong: a manifest without the
    inspector's own stylesheet must not turn it into a 500. It falls back to the unhashed URL.
    """
    try:
        return static(path)
    except ValueError:
        return urljoin(settings.STATIC_URL or "/static/", quote(path))


@register.filter
def epoch_datetime(seconds: float | None) -> datetime | None:
    """Turn a ``time.time()`` value into an aware datetime for ``date`` and ``timesince``."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)
