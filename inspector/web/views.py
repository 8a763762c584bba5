"""The web layer: thin views over the inventory."""

from __future__ import annotations

from collections import Counter

from django.core.files.storage import FileSystemStorage
from django.core.handlers.wsgi import get_script_name
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from ..core.diffs import live_diff
from ..core.invalidation import cdn_host, pending_invalidation
from ..core.layers import Layers, current_layers
from ..core.paths import from_url_part
from ..core.records import PathRecord
from ..core.references.current import current_references
from ..core.resolution import resolution_settings
from ..core.severity import Judgement, judge_release
from ..core.status import (
    Flag,
    LiveStatus,
    ManifestFinding,
    ManifestStatus,
    ReferenceKind,
    Severity,
    SourceStatus,
)
from ..core.storage.instance import collected_storage
from ..core.storage.kept import forget_listings
from ..models import CollectionRun
from ..served.targets import (
    cdn_stale,
    configured_base_url,
    last_probes,
    probe_setup_problem,
    run_probe,
)
from . import cooldown
from .building import page_layers
from .charts import source_rows
from .details import candidate_details, static_url
from .forms import PathFilterForm
from .http import (
    EXPORT_FORMATS,
    cooling_down,
    export_name,
    render_page,
    safe_next,
    table_page,
    unknown_export_format,
)
from .permissions import VIEW_PERMISSION, not_found, staff_permission_required
from .reference_views import referenced_paths, references_for_page
from .tables import PathRowsData, PathsTable, export_response

# The overview lists this many paths that need a look; the paths table has them all.
NEEDS_A_LOOK_SHOWN = 20


@staff_permission_required(VIEW_PERMISSION)
def overview(request: HttpRequest) -> HttpResponse:
    layers = page_layers(request)
    if isinstance(layers, HttpResponse):
        return layers
    inventory, manifest, live = layers.inventory, layers.manifest, layers.live
    manifest_counts = layers.manifest_counts
    counts = layers.counts
    live_counts = live.counts() if live is not None else Counter[str]()
    severities = layers.severity_counts
    scan = references_for_page(layers)
    reference_severities = Counter(ref.severity for ref in scan.with_problems)
    needs_a_look = layers.derive("needs-a-look", lambda: _needs_a_look(layers))
    return render_page(
        request,
        "inspector/overview.html",
        {
            "inventory": inventory,
            "headline": [
                (severity, severities[severity], reference_severities[severity], meaning)
                for severity, meaning in (
                    (Severity.ERROR, gettext("will break production")),
                    (Severity.WARNING, gettext("differ from the sources")),
                    (Severity.INFO, gettext("worth knowing")),
                )
            ],
            "accepted_count": severities["accepted"],
            "stale_rules": layers.stale_rules,
            "needs_a_look": needs_a_look[:NEEDS_A_LOOK_SHOWN],
            "needs_a_look_total": len(needs_a_look),
            "reference_problems": scan.with_problems[:NEEDS_A_LOOK_SHOWN],
            "reference_problems_total": len(scan.with_problems),
            "references_known": {
                r.path for r in scan.with_problems if r.path and layers.get(r.path)
            },
            "status_counts": [(s.value, counts[s]) for s in SourceStatus],
            "flag_counts": [(f.value, counts[f]) for f in Flag],
            "source_rows": source_rows(inventory.sources),
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
            "live": live,
            "live_counts": [(s.value, live_counts[s]) for s in LiveStatus],
            "live_differs": layers.derive("live-differs", lambda: _live_differs(layers)),
            "last_run": CollectionRun.objects.first(),
            "recheck_wait": cooldown.seconds_left(cooldown.recheck_key()),
            "releases": [(release, judge_release(release)) for release in manifest.releases],
            "reclaimable_count": len(manifest.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)),
            **_cdn_facts(layers),
        },
    )


def _needs_a_look(layers: Layers) -> list[tuple[PathRecord, Judgement]]:
    """Return the rows at ``error`` or ``warning`` that no rule accepts, worst first."""
    found = [
        (record, judgement)
        for record in layers.records
        if (judgement := layers.judgement(record.path)).accepted is None
        and judgement.severity in (Severity.ERROR, Severity.WARNING)
    ]
    return sorted(found, key=lambda pair: (-pair[1].severity.rank, pair[0].path))


def _live_differs(layers: Layers) -> int:
    """Return how many paths collection would copy: missing or modified in the storage."""
    return sum(
        1
        for record in layers.inventory
        if record.collect_winner is not None
        and layers.live_status(record.path) in (LiveStatus.MISSING, LiveStatus.MODIFIED)
    )


def _cdn_facts(layers: Layers) -> dict[str, object]:
    """What the overview says about a CDN in front of STATIC_URL: its host, how many URLs it
    must drop once the differences are collected, and the paths the last probes found it
    serving stale; and whether the storage is a folder that is not set (no ``STATIC_ROOT``),
    which nothing is collected to and no listing can be taken of."""
    storage = layers.live.storage if layers.live is not None else None
    host = cdn_host(storage)
    return {
        "no_collect_folder": _no_collect_folder(),
        "cdn_host": host,
        "cdn_pending": len(pending_invalidation(layers).names) if host else 0,
        "cdn_stale": cdn_stale(),
    }


def _no_collect_folder() -> bool:
    # The live report keeps no storage when its listing failed: ask for the configured one.
    storage, _ = collected_storage()
    return isinstance(storage, FileSystemStorage) and not storage.location


@staff_permission_required(VIEW_PERMISSION)
def paths(request: HttpRequest) -> HttpResponse:
    layers = page_layers(request)
    if isinstance(layers, HttpResponse):
        return layers
    form = PathFilterForm(request.GET, layers=layers, referenced=referenced_paths(layers))
    records = form.select(layers)
    export_format = request.GET.get("_export")
    if export_format is not None:
        if export_format not in EXPORT_FORMATS:
            return unknown_export_format()
        name = export_name("asset-paths", form.export_words())
        return export_response(records, export_format, name=name, layers=layers)

    # No request for django-tables2 to read: it would take ``per_page`` unbounded.
    table = PathsTable(PathRowsData(records, layers))
    return table_page(
        request,
        table,
        form=form,
        matched=len(records),
        total=len(layers.records),
        templates=("inspector/paths.html", "inspector/_paths_results.html"),
        default_sort=("-severity",),  # none asked for, or none that names a column: worst first
        context=lambda table: {
            "probe": cooldown.probe_state(row.record.record.path for row in table.page.object_list)
        },
    )


@staff_permission_required(VIEW_PERMISSION)
def path_detail(request: HttpRequest, path: str) -> HttpResponse:
    # Only paths the layers list exist here: nothing is opened from the request itself.
    layers = page_layers(request)
    if isinstance(layers, HttpResponse):
        return layers
    record = layers.get(path) or layers.get(from_url_part(path))
    if record is None:
        return not_found(request, gettext("No static source and no collected file has this path."))
    manifest, live = layers.manifest, layers.live
    assert live is not None
    live_entry = live.entry(record.path)
    probed = last_probes([record.path]).get(record.path)
    scan = references_for_page(layers)
    return render_page(
        request,
        "inspector/path_detail.html",
        {
            "record": record,
            "judgement": layers.judge_row(record, probed.result if probed else None),
            "details": candidate_details(record),
            "static_url": static_url(record.path),
            "manifest": manifest,
            "manifest_entry": manifest.entry(record.path),
            "live": live,
            "live_entry": live_entry,
            "live_diff": live_diff(record, live_entry, live),
            "probed": probed,
            "probe": cooldown.probe_state([record.path]),
            "recheck_wait": cooldown.seconds_left(cooldown.recheck_key()),
            "referenced_from": scan.by_path.get(record.path, ()),
            "refers_to": scan.by_file.get(record.winner.location, ()) if record.winner else (),
            "dynamic_references": scan.counts[ReferenceKind.STATIC_DYNAMIC],
        },
    )


@staff_permission_required(VIEW_PERMISSION)
@require_POST
def recheck(request: HttpRequest) -> HttpResponse:
    """Check the files, take the collected storage's listing and scan the references again
    now, and wait for them (pages otherwise show the last check and re-check in the
    background), unless it was re-checked within ``COOLDOWN_SECONDS``."""
    left = cooldown.take(cooldown.recheck_key())
    if left:
        return cooling_down(gettext("re-check of the collected storage"), left)
    forget_listings()
    current_references(current_layers())  # pages take the references from here on too
    return redirect(safe_next(request))


# A page of the paths table at most: a probe run is bounded in time, not unlimited in size.
MAX_PROBED_PATHS = 500


@staff_permission_required(VIEW_PERMISSION)
@require_POST
def probe(request: HttpRequest) -> HttpResponse:
    """Request the served URL of the posted paths (each one the layers list) and keep the
    results; then back to the page that asked."""
    layers = page_layers(request)
    if isinstance(layers, HttpResponse):
        return layers
    wanted = [from_url_part(path) for path in request.POST.getlist("path")]
    records = [layers.get(path) for path in wanted[: MAX_PROBED_PATHS + 1]]
    if not wanted or len(wanted) > MAX_PROBED_PATHS or None in records:
        return HttpResponseBadRequest(
            gettext("Post 1 to %(max)s paths that the inspector lists.")
            % {"max": MAX_PROBED_PATHS},
            content_type="text/plain; charset=utf-8",
        )
    problem = probe_setup_problem()
    if problem:
        return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
    left = cooldown.take(cooldown.probe_key(wanted))
    if left:
        return cooling_down(gettext("probe of these paths"), left)
    run_probe(layers, [r for r in records if r is not None], configured_base_url())
    return redirect(safe_next(request))


@staff_permission_required(VIEW_PERMISSION)
def unknown_page(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other URL under the inspector's: a 404 in its layout, with the way back."""
    return not_found(request, gettext("The asset inspector has no page at this address."))
