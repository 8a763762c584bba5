"""Small request helpers the views share: page sizes, clean query strings, safe redirects."""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from ..conf import get_config
from ..core.paths import without_undecodable

EXPORT_FORMATS = ("csv", "json")


def positive_int(raw: str | None, default: int) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return default
    return value if value > 0 else default


def per_page(request: HttpRequest) -> int:
    config = get_config()
    wanted = positive_int(request.GET.get("per_page"), config["PAGE_SIZE"])
    return min(wanted, int(config["MAX_PAGE_SIZE"]))


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """``render()``, with any undecodable byte of a file name the templates did not escape
    shown as ``‹0xFF›``: such a name cannot be written as UTF-8, and must not be a 500."""
    html = loader.render_to_string(template, context, request)
    return HttpResponse(without_undecodable(html), status=status)


def paginate(table: Any, request: HttpRequest) -> None:
    """Show the page the query asks for, of the size it asks for, both within bounds: a page
    size or page number out of range falls back, never raises."""
    table.request = request
    size = per_page(request)
    last = max(1, math.ceil(len(table.data) / size))
    table.paginate(page=min(positive_int(request.GET.get("page"), 1), last), per_page=size)


def criteria(request: HttpRequest) -> QueryDict:
    """Return the query string's parameters without the empty ones."""
    query = request.GET.copy()
    for name in list(query):
        values = [value for value in query.getlist(name) if value]
        if values:
            query.setlist(name, values)
        else:
            del query[name]
    return query


def export_query(query: QueryDict) -> str:
    """Return ``query`` as export links want it: without the page and a previous export."""
    query = query.copy()
    for name in ("page", "_export"):
        query.pop(name, None)
    return query.urlencode()


def unknown_export_format() -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        f"Unknown export format. Use one of: {', '.join(EXPORT_FORMATS)}.",
        content_type="text/plain; charset=utf-8",
    )


def cooling_down(action: str, seconds_left: float) -> HttpResponse:
    """Return a 429 that says when the next ``action`` is allowed."""
    wait = max(1, math.ceil(seconds_left))
    response = HttpResponse(
        f"The last {action} was moments ago: the next is allowed in {wait} s.",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(wait)
    return response


def safe_next(request: HttpRequest) -> str:
    """Return the posted ``next`` if it stays on this site, else the overview."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("inspector:overview")
