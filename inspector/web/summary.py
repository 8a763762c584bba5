"""``/assets/summary.json``: the overview's numbers for monitoring, as one JSON object."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, JsonResponse

from ..collection.runs import layers_for_page
from ..core.layers import Building
from ..core.status import LiveStatus, ManifestStatus, Severity, SourceStatus
from ..models import CollectionRun
from .permissions import VIEW_PERMISSION, staff_permission_required


@staff_permission_required(VIEW_PERMISSION)
def summary(request: HttpRequest) -> JsonResponse:
    """Return counts per severity and status, the last run, and when each layer was checked."""
    layers = layers_for_page()
    if isinstance(layers, Building):  # the process's first check runs: say how far it got
        building = {
            "step": layers.step,
            "files_read": layers.files_read,
            "started_at": _iso(layers.started_at),
        }
        waiting = JsonResponse({"building": building}, status=202)
        waiting["Cache-Control"] = "private, no-store"
        return waiting
    counts, severities = layers.counts, layers.severity_counts
    live = layers.live
    manifest_counts = layers.manifest_counts
    live_counts = live.counts() if live is not None else None
    last = CollectionRun.objects.first()
    body: dict[str, Any] = {
        "paths": len(layers.records),
        "severity": {str(s): severities[s] for s in Severity},
        "accepted": severities["accepted"],
        "stale_acceptances": len(layers.stale_rules),
        "status": {str(s): counts[s] for s in SourceStatus},
        # Each layer counts its own words: both have an "unknown".
        "manifest": (
            {str(s): manifest_counts[s] for s in ManifestStatus}
            if layers.manifest.applicable
            else None
        ),
        "live": {str(s): live_counts[s] for s in LiveStatus} if live_counts is not None else None,
        "checked": {
            "sources": _iso(layers.inventory.built_at),
            "manifest": _iso(layers.manifest.built_at) if layers.manifest.applicable else None,
            "live": _iso(live.checked_at) if live is not None else None,
        },
        "problems": len(layers.inventory.problems)
        + len(layers.manifest.problems)
        + (len(live.problems) if live is not None else 0),
        "last_run": (
            {
                "id": last.pk,
                "phase": last.phase,
                "requested_at": last.created_at.isoformat(timespec="seconds"),
                "finished_at": last.finished_at.isoformat(timespec="seconds")
                if last.finished_at
                else None,
            }
            if last is not None
            else None
        ),
    }
    response = JsonResponse(body)
    response["Cache-Control"] = "private, no-store"
    return response


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds")
