"""Who may see the inspector: staff with ``inspector.view_assets`` (superusers have it)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

VIEW_PERMISSION = "inspector.view_assets"
RUN_PERMISSION = "inspector.run_collection"

View = Callable[..., HttpResponse]


def staff_permission_required(permission: str) -> Callable[[View], View]:
    """Send anonymous users to log in; refuse (403) anyone else without staff and ``permission``."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (user.is_active and user.is_staff and user.has_perm(permission)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
