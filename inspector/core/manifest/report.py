"""The manifest layer put together: one verdict per path and the manifest-wide findings.

``build_manifest_report()`` is a function of what was read (the inventory, the manifest's text
and one listing of the storage) and works on the inspecting instance, never the shared
``staticfiles_storage``: a ``post_process`` (even a dry run) on that one empties ``hashed_files``
and breaks ``{% static %}`` for the rest of the process. Nothing here writes to any storage.
Whether a report can be reused is decided where the layers are assembled (``layers``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from django.core.files.storage import Storage

from ..fingerprints import FileStamp
from ..records import Inventory
from ..status import ManifestFinding, ManifestStatus
from ..storage.instance import ManifestStorage, as_manifest_storage
from ..storage.listing import Snapshot
from .naming import production_url
from .reading import ManifestText, ParsedManifest, manifest_location
from .reading import hash_matches as stored_hash_matches
from .releases import (
    Release,
    ReleaseLayout,
    find_releases,
    manifest_name_in_storage,
    release_layout,
)
from .verdicts import (
    Finding,
    Verdict,
    hashing_view,
    judge_paths,
    raises_without_entry,
    storage_findings,
)


class ManifestEntry(NamedTuple):
    """What the manifest says about one static path, and whether that still holds.

    A named tuple: one is made per path each time a row is judged or written, and a tuple is
    made at a fifth of a frozen dataclass's cost."""

    path: str
    status: ManifestStatus
    hashed_name: str | None  # what the manifest (and so {% static %}) gives for the path
    url: str | None
    expected_hashed_name: str | None  # what collectstatic would write for today's source
    note: str
    findings: tuple[Finding, ...] = ()
    # ``{% static %}`` of the path raises with DEBUG=False (``verdicts.raises_without_entry``).
    raises: bool = False
    # collectstatic itself fails on this path (a reference it cannot find, undecodable text).
    breaks_collection: bool = False


@dataclass(frozen=True)
class ManifestReport:
    """The manifest of the configured staticfiles storage, checked path by path."""

    storage_class: str
    applicable: bool
    location: str | None
    version: str | None
    manifest_hash: str | None
    entry_count: int
    strict: bool | None
    problems: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    # Set when no path could be checked (no storage, an unreadable or unloadable manifest).
    unchecked: str | None = None
    built_at: float = 0.0
    # The local manifest file as it was when read (None: remote, absent or no manifest).
    manifest_stamp: FileStamp | None = None
    _verdicts: dict[str, Verdict] = field(default_factory=dict, repr=False, compare=False)
    _by_path: dict[str, tuple[Finding, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _storage: ManifestStorage | None = field(default=None, repr=False, compare=False)
    _fatal: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    # The parsed manifest (shared by every report built from the same version of the file).
    parsed: ParsedManifest | None = field(default=None, repr=False, compare=False)
    # The release-specific pattern (one manifest per release folder): where the releases are,
    # and every release found, the configured one among them (newest first).
    release_layout: ReleaseLayout | None = None
    releases: tuple[Release, ...] = ()

    @cached_property
    def hash_matches(self) -> bool | None:
        """Return whether the stored "hash" still matches the stored paths (None: no hash, or
        no manifest); informational, a manifest edited by hand. Worked out when first asked
        (the overview page asks, the CLI does not): it encodes and hashes every entry."""
        if self._storage is None or self.parsed is None:
            return None
        return stored_hash_matches(self._storage, self.parsed)

    def entry(self, path: str, *, url: bool = True) -> ManifestEntry:
        """Return the entry of ``path`` (status ``n/a`` when there is no manifest storage or
        the path is unknown); ``url=False`` leaves out the production URL (a third of the
        cost, which judging a row does not need)."""
        verdict = self._verdicts.get(path)
        findings = self._by_path.get(path, ())
        if verdict is None:
            if not self.applicable:
                note = "the staticfiles storage keeps no manifest"
                return ManifestEntry(path, ManifestStatus.NOT_APPLICABLE, None, None, None, note)
            # Neither a source nor the manifest has it: only a strict manifest is sure to raise.
            raises = raises_without_entry(bool(self.strict), collected=True)
            note = "no source has it and the manifest has no entry for it"
            return ManifestEntry(
                path, ManifestStatus.NOT_APPLICABLE, None, None, None, note, (), raises
            )
        production = None
        if url and verdict.hashed_name is not None and self._storage is not None:
            production = production_url(self._storage, path, verdict.hashed_name)
        return ManifestEntry(
            path,
            verdict.status,
            verdict.hashed_name,
            production,
            verdict.expected,
            verdict.note,
            findings,
            verdict.raises,
            path in self._fatal,
        )

    def status_of(self, path: str) -> ManifestStatus:
        """Return just the status of ``path``: what filters and sorting need, without the URL."""
        verdict = self._verdicts.get(path)
        return ManifestStatus.NOT_APPLICABLE if verdict is None else verdict.status

    def counts(self) -> Counter[str]:
        """Return how many paths carry each manifest status."""
        return Counter(str(v.status) for v in self._verdicts.values())

    def paths(self) -> list[str]:
        """Return every path the report judged: the inventory's and the manifest's."""
        return sorted(self._verdicts)

    def findings_of(self, kind: ManifestFinding) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)

    def accounted_names(self) -> set[str]:
        """Return the stored names this report explains: hashed copies the manifest points
        to, old hashed versions and compressed variants it found, and the manifest itself;
        with releases, every release's manifest and the hashed files it names."""
        names = {v.hashed_name for v in self._verdicts.values() if v.hashed_name}
        names.update(f.file for f in self.findings)
        storage = self._storage
        own = manifest_name_in_storage(storage) if storage is not None else None
        if own is not None:
            names.add(own)
        layout = self.release_layout
        for release in self.releases:
            names.update(release.paths.values())
            if layout is not None and layout.inside:
                names.add(release.manifest)
        return names

    def release(self, release_id: str) -> Release | None:
        """Return the release ``release_id`` (None if there is no such release)."""
        return next((r for r in self.releases if r.id == release_id), None)

    @property
    def reclaimable_bytes(self) -> int:
        """Return the bytes the old hashed versions take (what deleting them would free)."""
        old = self.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)
        return sum(f.size or 0 for f in old)


def build_manifest_report(
    inventory: Inventory,
    backend: str,
    storage: Storage | None,
    storage_error: str | None,
    manifest: ManifestText | None,
    snapshot: Snapshot,
    read_next: Iterable[FileStamp] = (),
) -> ManifestReport:
    """Return the manifest report of ``inventory`` against what was read of the storage.

    ``manifest`` is ``reading.read_manifest_text()``'s answer (None for a storage that keeps no
    manifest). Never raises for a broken manifest or storage: the report's ``problems`` carry
    the message instead, and every path is ``unknown``. ``read_next`` names the files the next
    report will hash: they are sent to be hashed once this report's own are.
    """
    if storage is None:
        return _broken(backend, None, None, [str(storage_error)], inventory)
    if as_manifest_storage(storage) is None or manifest is None:
        return ManifestReport(backend, False, None, None, None, 0, None, built_at=time.time())
    return _build(backend, storage, manifest, snapshot, inventory, read_next)


def _broken(
    backend: str,
    storage: ManifestStorage | None,
    location: str | None,
    problems: list[str],
    inventory: Inventory,
    version: str | None = None,
    *,
    unloadable: bool = False,
    layout: ReleaseLayout | None = None,
    releases: tuple[Release, ...] = (),
) -> ManifestReport:
    """Return a report that says what is wrong and marks every path ``unknown``.

    ``unloadable``: Django itself cannot load this manifest, so every ``{% static %}`` raises.
    """
    note = "not checked: " + problems[0]
    verdicts = {
        r.path: Verdict(ManifestStatus.UNKNOWN, None, None, note, unloadable) for r in inventory
    }
    return ManifestReport(
        backend,
        True,
        location,
        version,
        None,
        0,
        storage.manifest_strict if storage is not None else None,
        tuple(problems),
        unchecked=problems[0],
        built_at=time.time(),
        _verdicts=verdicts,
        _storage=storage,
        release_layout=layout,
        releases=releases,
    )


def _build(
    backend: str,
    storage: Storage,
    manifest_text: ManifestText,
    snapshot: Snapshot,
    inventory: Inventory,
    read_next: Iterable[FileStamp],
) -> ManifestReport:
    hashing = hashing_view(storage)
    location = manifest_location(hashing)
    strict = bool(hashing.manifest_strict)
    problems = list(snapshot.errors)
    layout = release_layout(hashing)
    releases = find_releases(layout, storage, snapshot, manifest_text) if layout else ()
    if manifest_text.error:
        others = [p for p in problems if p != manifest_text.error]
        return _broken(
            backend,
            hashing,
            location,
            [manifest_text.error, *others],
            inventory,
            layout=layout,
            releases=releases,
        )
    if manifest_text.parsed is None:
        parsed = ParsedManifest()
        problems.append(
            f"no manifest at {location}: collectstatic has not run, so with DEBUG=False every "
            "{% static %} "
            + ("raises (manifest_strict)" if strict else "hashes files at request time")
        )
    else:
        parsed = manifest_text.parsed
        if parsed.problem:
            message = (
                f'{parsed.problem} at {location}: Django raises "Couldn\'t load manifest" '
                "when the staticfiles storage is first used, so every {% static %} fails"
            )
            return _broken(
                backend,
                hashing,
                location,
                [message, *problems],
                inventory,
                parsed.version,
                unloadable=True,
                layout=layout,
                releases=releases,
            )
    manifest = parsed.paths
    verdicts, findings, fatal = judge_paths(
        storage, hashing, manifest, snapshot, inventory, read_next
    )
    kept = {
        hashed: path
        for release in releases
        if not release.configured
        for path, hashed in release.paths.items()
    }
    findings.extend(storage_findings(storage, snapshot, manifest, inventory, problems, kept))
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    return ManifestReport(
        storage_class=backend,
        applicable=True,
        location=location,
        version=parsed.version,
        manifest_hash=parsed.stored_hash,
        entry_count=len(manifest),
        strict=strict,
        problems=tuple(problems),
        findings=tuple(sorted(findings, key=lambda f: (f.path, f.kind, f.file))),
        manifest_stamp=manifest_text.stamp,
        built_at=time.time(),
        _verdicts=verdicts,
        _by_path={path: tuple(found) for path, found in by_path.items()},
        _storage=hashing,
        _fatal=fatal,
        parsed=parsed,
        release_layout=layout,
        releases=releases,
    )
