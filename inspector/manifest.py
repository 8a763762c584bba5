"""The manifest layer: what a ``ManifestFilesMixin`` storage's ``staticfiles.json`` says per path,
checked against the storage's files and against what collectstatic would write now.

``get_manifest_report()`` works on a fresh instance of the configured class, never on the shared
``staticfiles_storage``: a ``post_process`` (even a dry run) on that one empties ``hashed_files``
and breaks ``{% static %}`` for the rest of the process. Nothing here writes to any storage.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.storage import ManifestFilesMixin

from .collected import Snapshot, collected_storage, file_size, read_bytes
from .inventory import Inventory, get_inventory
from .listings import forget_cli_answer, snapshot_of
from .manifest_checks import Finding, Judge, Verdict, storage_findings
from .manifest_files import clear_verdicts
from .manifest_hashing import (
    ExpectedNames,
    SourceFile,
    clear_rewrites,
    compute_expected,
    configured_class,
    key_of,
    production_url,
)
from .status import ManifestFinding, ManifestStatus

__all__ = [
    "Finding",
    "ManifestEntry",
    "ManifestReport",
    "clear_manifest_cache",
    "get_manifest_report",
]

SUPPORTED_VERSIONS = ("1.0", "1.1")  # what ManifestFilesMixin.load_manifest accepts


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """What the manifest says about one static path, and whether that still holds."""

    path: str
    status: ManifestStatus
    hashed_name: str | None  # what the manifest (and so {% static %}) gives for the path
    url: str | None
    expected_hashed_name: str | None  # what collectstatic would write for today's source
    note: str
    findings: tuple[Finding, ...] = ()


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
    # Informational: the stored "hash" no longer matches the stored paths (edited by hand?).
    hash_matches: bool | None = None
    built_at: float = 0.0
    _verdicts: dict[str, Verdict] = field(default_factory=dict, repr=False, compare=False)
    _by_path: dict[str, tuple[Finding, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _storage: Any = field(default=None, repr=False, compare=False)

    def entry(self, path: str) -> ManifestEntry:
        """Return the entry of ``path`` (status ``n/a`` when there is no manifest storage or
        the path is unknown)."""
        verdict = self._verdicts.get(path)
        findings = self._by_path.get(path, ())
        if verdict is None:
            note = "" if self.applicable else "the staticfiles storage keeps no manifest"
            return ManifestEntry(path, ManifestStatus.NOT_APPLICABLE, None, None, None, note)
        url = None
        if verdict.hashed_name is not None and self._storage is not None:
            url = production_url(self._storage, path, verdict.hashed_name)
        return ManifestEntry(
            path, verdict.status, verdict.hashed_name, url, verdict.expected, verdict.note, findings
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
        to, old hashed versions and compressed variants it found, and the manifest itself."""
        names = {v.hashed_name for v in self._verdicts.values() if v.hashed_name}
        names.update(f.file for f in self.findings)
        storage = self._storage
        if storage is not None and storage.manifest_storage is storage:
            names.add(storage.manifest_name)
        return names

    @property
    def reclaimable_bytes(self) -> int:
        """Return the bytes the old hashed versions take (what deleting them would free)."""
        old = self.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)
        return sum(f.size or 0 for f in old)


# --- the process cache -------------------------------------------------------------------------


@dataclass
class _State:
    storage: Any = None
    storage_error: str | None = None
    inventory: Inventory | None = None
    report: ManifestReport | None = None
    snapshot: Snapshot | None = None
    manifest: tuple[str | None, str | None] | None = None
    racy: bool = True
    checked_at: float = float("-inf")


_state = _State()
_lock = threading.Lock()


def clear_manifest_cache() -> None:
    """Forget the storage instance and the last report of this process."""
    with _lock:
        _state.__init__()  # type: ignore[misc]
    clear_verdicts()
    clear_rewrites()
    forget_cli_answer()


def get_manifest_report(
    inventory: Inventory | None = None,
    *,
    refresh: bool = False,
    max_age: float = 0.0,
    snapshot: Snapshot | None = None,
    manifest_text: tuple[str | None, str | None] | None = None,
) -> ManifestReport:
    """Return the manifest report for ``inventory`` (the current one by default).

    Cheap when nothing changed: one read of the manifest and one listing of the storage decide
    whether the last report still holds (local storages only: a remote listing carries no
    stamps that prove a file unchanged). ``max_age`` reuses a report checked at most that many
    seconds ago for the same inventory without even that, as pages do. Never raises for a broken
    manifest or storage: the report's ``problems`` carry the message instead.

    ``snapshot`` and ``manifest_text`` (``read_manifest_text()``'s answer) are what the caller
    read of the configured storage itself: the CLI reads them once for all its layers.
    """
    if inventory is None:
        inventory = get_inventory()
    with _lock:
        if refresh:
            _state.__init__()  # type: ignore[misc]
        params = settings.STORAGES.get(STATICFILES_STORAGE_ALIAS) or {}
        backend = str(params.get("BACKEND", ""))
        storage, storage_error = collected_storage()
        if _state.storage is not storage or _state.storage_error != storage_error:
            _state.__init__()  # type: ignore[misc]
            clear_rewrites()  # keyed by the old instance's id
            _state.storage, _state.storage_error = storage, storage_error
        if storage is None:
            return _broken(backend, None, None, [str(storage_error)], inventory)
        if not isinstance(storage, ManifestFilesMixin):
            return ManifestReport(backend, False, None, None, None, 0, None, built_at=time.time())
        started = time.monotonic()
        last = _state.report
        same_inventory = last is not None and _state.inventory is inventory
        if same_inventory and started - _state.checked_at < max_age:
            return last  # type: ignore[return-value]
        raw, read_error = manifest_text or read_manifest_text(storage)
        # An unreadable manifest makes every path unknown anyway; not listing then halves the
        # wait when a remote endpoint is down or stalls (each request waits out its timeout).
        if read_error is not None:
            snapshot = Snapshot()
        elif snapshot is None:
            snapshot = snapshot_of(storage, max_age=max_age)
        if (
            same_inventory
            and (raw, read_error) == _state.manifest
            and not _state.racy
            and (snapshot is _state.snapshot or snapshot.same_files(_state.snapshot))
        ):
            _state.checked_at = started
            return last  # type: ignore[return-value]
        report = _build(backend, storage, raw, read_error, snapshot, inventory)
        _state.inventory, _state.report, _state.snapshot = inventory, report, snapshot
        _state.manifest, _state.checked_at = (raw, read_error), started
        # A file changed within the last clock tick may change again unseen: check in full.
        _state.racy = snapshot.racy
        return report


def read_manifest_text(storage: Any) -> tuple[str | None, str | None]:
    """Return (manifest text or None if there is none, read error)."""
    try:
        return storage.read_manifest(), None
    except Exception as exc:  # unreadable bytes, permissions, network
        return None, f"cannot read the manifest: {exc}"


@dataclass
class _Parsed:
    paths: dict[str, str] = field(default_factory=dict)
    version: str | None = None
    stored_hash: str | None = None
    problem: str | None = None


def parse_manifest(raw: str) -> _Parsed:
    """Parse manifest text as ``load_manifest`` would; a problem says why Django would refuse."""
    try:
        stored = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _Parsed(problem=f"malformed manifest (not JSON: {exc})")
    if not isinstance(stored, dict):
        return _Parsed(problem="malformed manifest (not a JSON object)")
    version = stored.get("version")
    if version not in SUPPORTED_VERSIONS:
        return _Parsed(
            version=str(version) if version is not None else None,
            problem=f"unsupported manifest version {version!r} (Django reads "
            f"{' and '.join(SUPPORTED_VERSIONS)})",
        )
    paths = stored.get("paths", {})
    if not isinstance(paths, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in paths.items()
    ):
        return _Parsed(version=version, problem="malformed manifest: 'paths' is not a str->str map")
    stored_hash = stored.get("hash")
    return _Parsed(paths, version, stored_hash if isinstance(stored_hash, str) else None)


def _broken(
    backend: str,
    storage: Any,
    location: str | None,
    problems: list[str],
    inventory: Inventory,
    version: str | None = None,
) -> ManifestReport:
    """Return a report that says what is wrong and marks every path ``unknown``."""
    note = "not checked: " + problems[0]
    verdicts = {r.path: Verdict(ManifestStatus.UNKNOWN, None, None, note) for r in inventory}
    return ManifestReport(
        backend,
        True,
        location,
        version,
        None,
        0,
        getattr(storage, "manifest_strict", None),
        tuple(problems),
        built_at=time.time(),
        _verdicts=verdicts,
        _storage=storage,
    )


def _build(
    backend: str,
    storage: Any,
    raw: str | None,
    read_error: str | None,
    snapshot: Snapshot,
    inventory: Inventory,
) -> ManifestReport:
    location = manifest_location(storage)
    strict = bool(storage.manifest_strict)
    problems = list(snapshot.errors)
    if read_error:
        return _broken(backend, storage, location, [read_error, *problems], inventory)
    if raw is None:
        parsed = _Parsed()
        problems.append(
            f"no manifest at {location}: collectstatic has not run, so with DEBUG=False every "
            "{% static %} "
            + ("raises (manifest_strict)" if strict else "hashes files at request time")
        )
    else:
        parsed = parse_manifest(raw)
        if parsed.problem:
            message = (
                f'{parsed.problem} at {location}: Django raises "Couldn\'t load manifest" '
                "when the staticfiles storage is first used, so every {% static %} fails"
            )
            return _broken(
                backend, storage, location, [message, *problems], inventory, parsed.version
            )
    manifest = parsed.paths
    sources = _sources(inventory, storage, snapshot)
    expected = compute_expected(storage, sources.values()) if manifest else ExpectedNames()
    judge = Judge(storage, manifest, snapshot, expected, strict)
    verdicts: dict[str, Verdict] = {}
    findings: list[Finding] = []
    for record in inventory:
        if record.collect_winner is None and key_of(storage, record.path) not in manifest:
            verdicts[record.path] = Verdict(
                ManifestStatus.NOT_APPLICABLE,
                None,
                None,
                "never collected (collectstatic ignores it), so never in the manifest",
            )
            continue
        verdicts[record.path] = judge.path(record.path, record.path in sources)
    for path in manifest:
        if path not in sources:
            if path not in verdicts:
                verdicts[path] = judge.path(path, False)
            hashed = manifest[path]
            findings.append(
                Finding(
                    ManifestFinding.ENTRY_WITHOUT_SOURCE,
                    path,
                    hashed,
                    file_size(storage, snapshot.files[hashed])
                    if hashed in snapshot.files
                    else None,
                    "the manifest still lists it, but no finder has a source for it any more",
                )
            )
    judge.verify_hashed_files(verdicts)
    findings.extend(storage_findings(storage, snapshot, manifest, inventory, problems))
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
        hash_matches=_hash_matches(storage, parsed),
        built_at=time.time(),
        _verdicts=verdicts,
        _by_path={path: tuple(found) for path, found in by_path.items()},
        _storage=storage,
    )


def _sources(inventory: Inventory, storage: Any, snapshot: Snapshot) -> dict[str, SourceFile]:
    """Return the file collectstatic takes for each path (its collect winner)."""
    sources: dict[str, SourceFile] = {}
    for record in inventory:
        winner = record.collect_winner
        if winner is None:
            continue
        if winner.stamp is not None:
            sources[record.path] = SourceFile(record.path, winner.stamp)
            continue
        # A custom finder with no file on disk: its collected copy stands in for it.
        collected = snapshot.files.get(record.path)
        if collected is not None:
            sources[record.path] = SourceFile(
                record.path,
                None,
                read=lambda c=collected: read_bytes(storage, c),
                caveat="compared with the collected copy (the source is not a local file)",
            )
    return sources


def _hash_matches(storage: Any, parsed: _Parsed) -> bool | None:
    if not parsed.stored_hash:
        return None
    from django.core.files.base import ContentFile

    payload = json.dumps(sorted(parsed.paths.items())).encode()
    try:
        return bool(storage.file_hash(None, ContentFile(payload)) == parsed.stored_hash)
    except Exception:
        return None


def manifest_location(storage: Any) -> str:
    """Return where the manifest lives: a local path, or the backend's own name for it."""
    target = storage.manifest_storage
    name = storage.manifest_name
    try:
        return str(target.path(name))
    except Exception:  # remote storages have no local path
        where = "/".join(
            str(part)
            for part in (getattr(target, "bucket_name", None), getattr(target, "location", None))
            if part
        )
        kind = configured_class(target).__name__
        return f"{kind}:{where}/{name}" if where else f"{kind}:{name}"
