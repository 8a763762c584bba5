"""The inspector's own files (stylesheet, script, icon) and htmx, served by the app itself.

The dashboard is where people go when static files are broken: the inspected storage may be a
bucket that does not answer (its manifest storage raises while it is built), a manifest that
lacks these names, or another origin that a strict Content-Security-Policy does not allow. So the
pages load these files from the app's own URL, read from the installed apps' folders, never
through the staticfiles storage or its finders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext


@dataclass(frozen=True, slots=True)
class OwnAsset:
    app_label: str
    relative: str
    content_type: str


OWN_ASSETS = {
    "inspector.css": OwnAsset("inspector", "static/inspector/inspector.css", "text/css"),
    "favicon.svg": OwnAsset("inspector", "static/inspector/favicon.svg", "image/svg+xml"),
    "inspector.js": OwnAsset("inspector", "static/inspector/inspector.js", "text/javascript"),
    # Absent when js_lib_htmx is not installed (check inspector.W001): pages reload whole.
    "htmx.min.js": OwnAsset("js_lib_htmx", "static/htmx/htmx.min.js", "text/javascript"),
}
# The URL names the file's version, so a browser may keep it for good.
_CACHE_CONTROL = "private, max-age=31536000, immutable"


def asset_file(name: str) -> Path | None:
    """Return the file of the own asset ``name``; None if its app is not installed."""
    asset = OWN_ASSETS.get(name)
    if asset is None or not apps.is_installed(asset.app_label):
        return None
    label = asset.app_label.rsplit(".", 1)[-1]
    path = Path(apps.get_app_config(label).path) / asset.relative
    return path if path.is_file() else None


def asset_url(name: str) -> str:
    """Return the URL of the own asset ``name`` with its version, or "" if it is not there."""
    path = asset_file(name)
    if path is None:
        return ""
    stat = path.stat()
    return f"{reverse('inspector:asset', args=[name])}?v={stat.st_mtime_ns:x}{stat.st_size:x}"


def own_asset(request: HttpRequest, name: str) -> HttpResponse:
    # Any signed-in user: the page that tells one without the permission so is drawn with them.
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    path = asset_file(name)
    if path is None:
        raise Http404(gettext("Not one of the inspector's own files."))
    # Small files: read whole, so the answer is a plain HttpResponse.
    response = HttpResponse(path.read_bytes(), content_type=OWN_ASSETS[name].content_type)
    response["Cache-Control"] = _CACHE_CONTROL
    return response
