"""The web layer: thin views over the inventory."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .inventory import get_inventory
from .permissions import VIEW_PERMISSION, staff_permission_required
from .report import candidate_md5
from .status import SourceStatus

# Paths that need a look come first; the overview lists at most this many unique ones.
UNIQUE_ROWS_SHOWN = 200


@staff_permission_required(VIEW_PERMISSION)
def overview(request: HttpRequest) -> HttpResponse:
    inventory = get_inventory()
    notable, unique = [], []
    for record in inventory:
        needs_a_look = record.status != SourceStatus.UNIQUE or record.flags or record.errors
        (notable if needs_a_look else unique).append(record)
    counts = inventory.counts()
    return render(
        request,
        "inspector/overview.html",
        {
            "inventory": inventory,
            "status_counts": [(s.value, counts[s]) for s in SourceStatus],
            "notable": notable,
            "unique": unique[:UNIQUE_ROWS_SHOWN],
            "unique_hidden": max(0, len(unique) - UNIQUE_ROWS_SHOWN),
        },
    )


@staff_permission_required(VIEW_PERMISSION)
def path_detail(request: HttpRequest, path: str) -> HttpResponse:
    # Only paths the inventory lists exist here: nothing is opened from the request itself.
    record = get_inventory().get(path)
    if record is None:
        raise Http404("No static source has this path.")
    rows = [(candidate, candidate_md5(candidate, force=True)) for candidate in record.candidates]
    return render(request, "inspector/path_detail.html", {"record": record, "rows": rows})
