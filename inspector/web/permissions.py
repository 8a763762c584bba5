"""Who may see the inspector: staff with ``inspector.view_assets`` (superusers have it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from ..core.access import RUN_PERMISSION, VIEW_PERMISSION

__all__ = [
    "RUN_PERMISSION",
    "VIEW_PERMISSION",
    "not_found",
    "refused",
    "staff_permission_required",
]

View = Callable[..., HttpResponse]


def staff_permission_required(*permissions: str) -> Callable[[View], View]:
    """Send anonymous users to log in; refuse (403) anyone else without staff and every one of
    ``permissions``."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                if request.headers.get("HX-Request") == "true":
                    # A poll after the session expired: send the whole page to log in,
                    # instead of swapping the login form into a fragment.
                    page = urlsplit(request.headers.get("HX-Current-URL", ""))
                    login = redirect_to_login(urlunsplit(("", "", page.path, page.query, "")))
                    return HttpResponseClientRedirect(login["Location"])
                return redirect_to_login(request.get_full_path())
            if not (user.is_active and user.is_staff and user.has_perms(permissions)):
                return refused(request, permissions)
            response = view(request, *args, **kwargs)
            if not response.has_header("Cache-Control"):
                # What staff see (paths, sources, exports) stays out of shared and disk caches.
                patch_cache_control(response, private=True, no_store=True)
            return response

        return wrapped

    return decorator


def refused(request: HttpRequest, permissions: Sequence[str]) -> HttpResponse:
    """Return a 403 page in the inspector's layout that names what the user lacks (staff
    status, any of ``permissions``) and who can grant it."""
    user = request.user
    missing = [permission for permission in permissions if not user.has_perm(permission)]
    html = loader.render_to_string(
        "inspector/forbidden.html",
        {"missing": missing, "not_staff": not (user.is_active and user.is_staff)},
        request,
    )
    response = HttpResponse(html, status=403)
    patch_cache_control(response, private=True, no_store=True)
    return response


def not_found(request: HttpRequest, reason: str) -> HttpResponse:
    """Return a 404 page in the inspector's layout that says what was not found."""
    html = loader.render_to_string("inspector/not_found.html", {"reason": reason}, request)
    return HttpResponse(html, status=404)
