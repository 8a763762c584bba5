"""Who sees the demo's debug toolbar: a staff user on an INTERNAL_IPS address, in DEBUG.

``INTERNAL_IPS`` alone would show it to any anonymous visitor on the machine, and the toolbar's
history and SQL panels show other users' requests, session keys among them.
"""

from __future__ import annotations

from debug_toolbar.middleware import show_toolbar as show_to_internal_ips
from django.http import HttpRequest


def show_toolbar(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(show_to_internal_ips(request) and user is not None and user.is_staff)
