"""Each reference against the other layers: not found, never collected, no manifest entry, or
a URL that bypasses the manifest."""

from __future__ import annotations

from ..layers import Layers
from ..severity import judge_reference
from ..status import ManifestStatus, ReferenceKind, ReferenceProblem, Severity
from .model import Found, Origin, Reference, StaticNames

# Resolved through the storage's url() when the page renders: the manifest must name them.
_THROUGH_STORAGE = frozenset({ReferenceKind.STATIC_TAG, ReferenceKind.FORM_MEDIA})
# Written as URLs: served under the unhashed name whatever the manifest says.
_AROUND_STORAGE = frozenset({ReferenceKind.STATIC_URL, ReferenceKind.HARDCODED_URL})


def problem_of(found: Found, layers: Layers, hashing: bool) -> ReferenceProblem | None:
    """Return the worst problem of ``found``: its path has no source, is never collected, has
    no manifest entry, or is written around a manifest storage; None for none."""
    if found.kind == ReferenceKind.STATIC_DYNAMIC:
        return None
    if found.path is None:
        # "{{ STATIC_URL }}{{ name }}": no file to check, yet the storage is bypassed.
        return (
            ReferenceProblem.BYPASSES_MANIFEST
            if found.kind in _AROUND_STORAGE and hashing
            else None
        )
    record = layers.inventory.get(found.path)
    if record is None:
        return ReferenceProblem.NOT_FOUND
    if record.collect_winner is None:
        return ReferenceProblem.IGNORED_BY_COLLECT
    if (
        found.kind in _THROUGH_STORAGE
        and layers.manifest_status(found.path) == ManifestStatus.MISSING_ENTRY
    ):
        return ReferenceProblem.MISSING_ENTRY
    if found.kind in _AROUND_STORAGE and hashing:
        return ReferenceProblem.BYPASSES_MANIFEST
    return None


def judged(
    found: Found, origin: Origin, layers: Layers, names: StaticNames, rewritten: bool
) -> Reference:
    """Return ``found`` written at ``origin`` as a judged reference; ``rewritten`` says the
    referring file is a CSS or JS file a manifest storage's collectstatic rewrites."""
    problem = problem_of(found, layers, names.hashing)
    if problem is None:
        return Reference(found.kind, origin, found.reference, found.path, None, Severity.OK)
    entry = layers.manifest.entry(found.path) if found.path and layers.manifest.applicable else None
    reason = judge_reference(problem, found.kind, entry, rewritten)
    return Reference(
        found.kind, origin, found.reference, found.path, problem, reason.severity, reason.why
    )
