"""The web layer: thin views over the inventory."""

from __future__ import annotations

import math

from django.core.handlers.wsgi import get_script_name
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.http import push_url
from django_htmx.middleware import HtmxDetails

from .charts import source_chart
from .conf import get_config
from .details import candidate_details, static_url
from .forms import PathFilterForm, facets_of
from .inventory import Inventory, recent_inventory
from .manifest import ManifestReport, get_manifest_report
from .permissions import VIEW_PERMISSION, staff_permission_required
from .resolution import resolution_settings
from .status import Flag, ManifestFinding, ManifestStatus, SourceStatus
from .tables import EXPORT_FORMATS, PathRowsData, PathsTable, export_response

# The overview previews this many paths that need a look; the paths table has them all.
NOTABLE_ROWS_SHOWN = 10


def recent_manifest(inventory: Inventory) -> ManifestReport:
    """Return the manifest layer for a page: reused while younger than ``RECHECK_SECONDS``."""
    return get_manifest_report(inventory, max_age=get_config()["RECHECK_SECONDS"])


@staff_permission_required(VIEW_PERMISSION)
def overview(request: HttpRequest) -> HttpResponse:
    inventory = recent_inventory()
    manifest = recent_manifest(inventory)
    manifest_counts = manifest.counts()
    counts = facets_of(inventory).counts
    notable = [
        record
        for record in inventory
        if record.status in (SourceStatus.CONFLICT, SourceStatus.ABSENT)
        or record.flags
        or record.errors
    ]
    return render(
        request,
        "inspector/overview.html",
        {
            "inventory": inventory,
            "status_counts": [(s.value, counts[s]) for s in SourceStatus],
            "flag_counts": [(f.value, counts[f]) for f in Flag],
            "notable": notable[:NOTABLE_ROWS_SHOWN],
            "notable_total": len(notable),
            "chart": source_chart(inventory.sources),
            "settings_facts": resolution_settings(get_script_name(request.META)),
            "manifest": manifest,
            "manifest_counts": [
                (s.value, manifest_counts[s])
                for s in ManifestStatus
                if s != ManifestStatus.NOT_APPLICABLE
            ],
            "manifest_findings": [
                (kind.value, len(manifest.findings_of(kind))) for kind in ManifestFinding
            ],
        },
    )


@staff_permission_required(VIEW_PERMISSION)
def paths(request: HttpRequest) -> HttpResponse:
    inventory = recent_inventory()
    manifest = recent_manifest(inventory)
    form = PathFilterForm(request.GET, inventory=inventory, manifest=manifest)
    records = form.select(inventory, manifest)
    export_format = request.GET.get("_export")
    if export_format is not None:
        if export_format not in EXPORT_FORMATS:
            return HttpResponseBadRequest(
                f"Unknown export format. Use one of: {', '.join(EXPORT_FORMATS)}.",
                content_type="text/plain; charset=utf-8",
            )
        return export_response(records, export_format, name="asset-paths", manifest=manifest)

    table = PathsTable(PathRowsData(records, manifest), request=request)
    table.order_by = request.GET.getlist("sort")
    per_page = _per_page(request)
    page_count = max(1, math.ceil(len(records) / per_page))
    table.paginate(
        page=min(_positive_int(request.GET.get("page"), 1), page_count), per_page=per_page
    )

    htmx = HtmxDetails(request)
    partial = bool(htmx) and not htmx.history_restore_request
    # The form sends its empty fields too; links and the address bar carry only criteria set.
    query = _criteria(request)
    export_query = query.copy()
    for name in ("page", "_export"):
        export_query.pop(name, None)
    response = render(
        request,
        "inspector/_paths_results.html" if partial else "inspector/paths.html",
        {
            "form": form,
            "table": table,
            "matched": len(records),
            "total": len(inventory),
            "querystring": export_query.urlencode(),
            "query": query,
            "sort_field": request.GET.get("sort", ""),
            "layers": {"manifest": manifest.applicable, "live": False},
        },
        status=400 if form.errors else 200,
    )
    if partial:
        push_url(response, f"{request.path}?{query.urlencode()}".rstrip("?"))
    # The same URL answers a whole page or an htmx fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@staff_permission_required(VIEW_PERMISSION)
def path_detail(request: HttpRequest, path: str) -> HttpResponse:
    # Only paths the inventory lists exist here: nothing is opened from the request itself.
    inventory = recent_inventory()
    record = inventory.get(path)
    if record is None:
        raise Http404("No static source has this path.")
    manifest = recent_manifest(inventory)
    return render(
        request,
        "inspector/path_detail.html",
        {
            "record": record,
            "details": candidate_details(record),
            "static_url": static_url(record.path),
            "manifest": manifest,
            "manifest_entry": manifest.entry(record.path),
        },
    )


def _positive_int(raw: str | None, default: int) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return default
    return value if value > 0 else default


def _per_page(request: HttpRequest) -> int:
    config = get_config()
    wanted = _positive_int(request.GET.get("per_page"), config["PAGE_SIZE"])
    return min(wanted, config["MAX_PAGE_SIZE"])


def _criteria(request: HttpRequest) -> QueryDict:
    """Return the query string's parameters without the empty ones."""
    query = request.GET.copy()
    for name in list(query):
        values = [value for value in query.getlist(name) if value]
        if values:
            query.setlist(name, values)
        else:
            del query[name]
    return query
