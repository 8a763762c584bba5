"""The releases of the release-specific manifest pattern: two of them compared path by path."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..core.manifest.releases import Release, compare_releases
from ..core.severity import judge_release
from ..core.status import ManifestFinding
from .building import page_layers
from .forms import ReleaseCompareForm
from .permissions import VIEW_PERMISSION, staff_permission_required

# The page lists this many reclaimable files; the count and the bytes cover them all.
RECLAIMABLE_SHOWN = 200


@staff_permission_required(VIEW_PERMISSION)
def releases(request: HttpRequest) -> HttpResponse:
    """Every release, and what changes from release ``a`` to release ``b``."""
    layers = page_layers(request)
    if isinstance(layers, HttpResponse):
        return layers
    manifest = layers.manifest
    found = manifest.releases
    asked = bool({"a", "b"} & set(request.GET))
    form = ReleaseCompareForm(request.GET if asked else _default_pair(found), releases=found)
    changes = None
    if found and form.is_valid():
        before = manifest.release(form.cleaned_data["a"])
        after = manifest.release(form.cleaned_data["b"])
        assert before is not None and after is not None  # the form's choices are the releases
        changes = [
            (change, layers.get(change.path) is not None)
            for change in compare_releases(before, after)
        ]
    reclaimable = manifest.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)
    return render(
        request,
        "inspector/releases.html",
        {
            "manifest": manifest,
            "releases": [(release, judge_release(release)) for release in found],
            "form": form,
            "changes": changes,
            "reclaimable": reclaimable[:RECLAIMABLE_SHOWN],
            "reclaimable_count": len(reclaimable),
            "asked": asked,
        },
        status=400 if asked and form.errors else 200,
    )


def _default_pair(found: tuple[Release, ...]) -> dict[str, str]:
    """Return the comparison a visitor most likely wants: the newest other release against the
    configured one (what a rollback would undo)."""
    configured = next((r for r in found if r.configured), None)
    other = next((r for r in found if not r.configured), None)
    if configured is None or other is None:
        return {}
    return {"a": other.id, "b": configured.id}
