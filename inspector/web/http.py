"""Small request helpers the views share: page sizes, clean query strings, safe redirects."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

import django_tables2 as tables
from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.template import loader
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django_htmx.http import push_url
from django_htmx.middleware import HtmxDetails

from ..conf import get_config
from ..core.paths import without_undecodable

EXPORT_FORMATS = ("csv", "json")
# A downloaded file's name is at most this long, before its extension.
EXPORT_NAME_LENGTH = 80


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


def export_name(base: str, words: Iterable[str]) -> str:
    """Return ``base`` followed by what was filtered, e.g. ``asset-paths-conflict``: a slug
    of ``words`` in ``[a-z0-9-]`` only (nothing a Content-Disposition header, a shell or a
    file system could misread), cut at a hyphen to at most ``EXPORT_NAME_LENGTH``."""
    ascii_text = unicodedata.normalize("NFKD", " ".join(words)).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")
    name = f"{base}-{slug}" if slug else base
    if len(name) > EXPORT_NAME_LENGTH:
        cut = name[: EXPORT_NAME_LENGTH + 1]
        name = cut.rsplit("-", 1)[0] if "-" in cut[len(base) + 1 :] else cut[:-1]
    return name.strip("-")


def unknown_export_format() -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        gettext("Unknown export format. Use one of: %(formats)s.")
        % {"formats": ", ".join(EXPORT_FORMATS)},
        content_type="text/plain; charset=utf-8",
    )


def cooling_down(action: str, seconds_left: float) -> HttpResponse:
    """Return a 429 that says when the next ``action`` is allowed."""
    wait = max(1, math.ceil(seconds_left))
    response = HttpResponse(
        gettext("The last %(action)s was moments ago: the next is allowed in %(wait)s s.")
        % {"action": action, "wait": wait},
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


def table_page(
    request: HttpRequest,
    table: tables.Table,
    *,
    form: forms.Form,
    matched: int,
    total: int,
    templates: tuple[str, str],
    context: Callable[[Any], dict[str, Any]] | None = None,
    default_sort: tuple[str, ...] = (),
) -> HttpResponse:
    """Return a filtered, sorted, paginated table: the whole page, or (for an htmx request)
    the results fragment, whose URL htmx pushes so every view stays a link to share.

    ``templates`` are (the page, the fragment); ``default_sort`` applies when the query names
    no sortable column; ``context`` gives more of the page's context from the paginated table.
    """
    table.order_by = request.GET.getlist("sort")
    if not table.order_by:
        table.order_by = default_sort
    paginate(table, request)
    htmx = HtmxDetails(request)
    partial = bool(htmx) and not htmx.history_restore_request
    # The form sends its empty fields too; links and the address bar carry only criteria set.
    query = criteria(request)
    response = render_page(
        request,
        templates[1] if partial else templates[0],
        {
            "form": form,
            "table": table,
            "matched": matched,
            "total": total,
            "querystring": export_query(query),
            "query": query,
            "sort_field": request.GET.get("sort", ""),
            "partial": partial,
            **(context(table) if context else {}),
        },
        status=400 if form.errors else 200,
    )
    if partial:
        push_url(response, f"{request.path}?{query.urlencode()}".rstrip("?"))
    # The same URL answers a whole page or an htmx fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response
