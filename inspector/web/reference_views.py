"""The references page: every reference of the templates, CSS, JS and form media, filtered."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..core.freshness import page_max_age
from ..core.layers import PAGE_SHARE, Layers
from ..core.references.current import current_references
from ..core.references.model import ReferenceScan
from .building import page_layers
from .forms import ReferenceFilterForm
from .http import EXPORT_FORMATS, export_name, table_page, unknown_export_format
from .permissions import VIEW_PERMISSION, staff_permission_required
from .tables import ReferenceRowsData, ReferencesTable, export_references


def references_for_page(layers: Layers) -> ReferenceScan:
    """Return the scan a page shows: the last one at once, re-scanned in the background
    against ``layers`` once older than ``RECHECK_SECONDS`` (the first scan is waited for, and
    every scan when ``RECHECK_SECONDS`` is 0, as the layers are)."""
    max_age = page_max_age()
    return current_references(layers, max_age=max_age, stale_ok=max_age.local > 0, share=PAGE_SHARE)


def referenced_paths(layers: Layers) -> frozenset[str]:
    return references_for_page(layers).referenced


@staff_permission_required(VIEW_PERMISSION)
def references(request: HttpRequest) -> HttpResponse:
    layers = page_layers(request)
    if isinstance(layers, HttpResponse):
        return layers
    scan = references_for_page(layers)
    form = ReferenceFilterForm(request.GET, scan=scan)
    refs = form.select(scan)
    export_format = request.GET.get("_export")
    if export_format is not None:
        if export_format not in EXPORT_FORMATS:
            return unknown_export_format()
        name = export_name("asset-references", form.export_words())
        return export_references(refs, export_format, name)
    return table_page(
        request,
        ReferencesTable(ReferenceRowsData(refs)),
        form=form,
        matched=len(refs),
        total=len(scan),
        templates=("inspector/references.html", "inspector/_references_results.html"),
        context=lambda table: {"scan": scan, "asset_files": scan.files["css/js"]},
    )
