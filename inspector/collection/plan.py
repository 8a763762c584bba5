"""What a collection would do, read from the live diff: the preview of ``/assets/collect/``.

Never computed with ``collectstatic --dry-run``: a dry run on the shared manifest storage
empties its ``hashed_files`` for the whole process, and on S3 it costs a request per object.
The same plan drives the run itself (``collector``), so what the preview promises is what
the run does: a file whose collected copy has the source's bytes is left alone and a differing
one is replaced, whatever their modification times say (collectstatic alone would skip a
differing copy that is newer than its source, and re-copy identical files that are older).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from ..core.invalidation import Invalidation, pending_invalidation
from ..core.layers import Layers
from ..core.manifest.naming import is_adjustable
from ..core.status import Flag, LiveStatus, ManifestFinding, ManifestStatus
from ..core.storage.instance import (
    as_manifest_storage,
    configured_class,
    describe,
    keeps_only_hashed,
)

__all__ = [
    "Action",
    "CollectionPlan",
    "Counts",
    "PlannedFile",
    "confirmation_text",
    "plan_collection",
]


@dataclass(frozen=True, slots=True)
class Counts:
    """What a run does, by action: promised by a plan, then counted by the run itself."""

    copied: int = 0
    unmodified: int = 0
    deleted: int = 0
    post_processed: int | None = None
    # Only a plan has these: copies the live diff could not compare (collectstatic decides).
    undecided: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts a run's row stores (``promised``), leaving out the unknown."""
        return {key: value for key, value in asdict(self).items() if value is not None}


class Action(StrEnum):
    COPY = "copy"
    LEAVE = "leave"
    # The live diff could not compare the copy: collectstatic's own rule (modification times)
    # decides during the run.
    UNDECIDED = "undecided"


@dataclass(frozen=True, slots=True)
class PlannedFile:
    path: str
    action: Action
    # The live status that decided the action ("missing", "modified", "current", "unknown").
    reason: str
    note: str = ""


@dataclass(frozen=True)
class CollectionPlan:
    """Every path collectstatic would collect, what happens to it, and what else the run does."""

    storage: str  # where the files go: a folder or s3://bucket/location
    storage_class: str
    clear: bool
    files: tuple[PlannedFile, ...]
    # Stored names ``clear`` deletes first (empty without ``clear``).
    deleted: tuple[str, ...]
    # Collected files no source has any more: left in place unless ``clear`` is chosen.
    orphans: tuple[str, ...]
    # Paths development serves but collection skips (ignore patterns): never collected.
    ignored: int
    # The storage's post-processing (hashed copies, the manifest), if it has any: its class
    # name, and how many files it will write or rewrite (None if that could not be told).
    post_processor: str | None
    post_process: int | None
    problems: tuple[str, ...] = ()
    # What a CDN in front of STATIC_URL must drop once the run is done (the copies that change
    # bytes, their compressed variants, the manifest; with ``clear`` the files no source has).
    invalidation: Invalidation = field(default_factory=lambda: Invalidation((), "/"))
    # Nothing differs anywhere: every copy has its source's bytes and, with a manifest storage,
    # every hashed name, hashed copy, compressed variant and manifest entry is what
    # collectstatic would write now. The run then writes nothing, and ends at once.
    settled: bool = False
    _by_action: dict[Action, list[PlannedFile]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for action in Action:
            self._by_action[action] = [f for f in self.files if f.action == action]

    def of(self, action: Action) -> list[PlannedFile]:
        return self._by_action[action]

    def counts(self) -> Counts:
        """What the run will report: the numbers a finished run is compared with."""
        return Counts(
            copied=len(self.of(Action.COPY)),
            unmodified=len(self.of(Action.LEAVE)),
            deleted=len(self.deleted),
            post_processed=self.post_process,
            undecided=len(self.of(Action.UNDECIDED)),
        )

    def decisions(self) -> Mapping[str, bool]:
        """Return, per collected path, whether the run copies it (absent: collectstatic decides)."""
        if self.clear:
            return {}
        return {f.path: f.action == Action.COPY for f in self.files if f.action != Action.UNDECIDED}

    @property
    def changes_anything(self) -> bool:
        return bool(self.of(Action.COPY) or self.of(Action.UNDECIDED) or self.deleted)


def confirmation_text(layers: Layers) -> str:
    """Return what a user types to confirm ``clear``: where the storage keeps its files."""
    storage = layers.live.storage if layers.live is not None else None
    return describe(storage) if storage is not None else ""


def plan_collection(layers: Layers, *, clear: bool = False) -> CollectionPlan:
    """Return what ``collectstatic`` (with ``clear`` or not) would do to the collected storage."""
    live = layers.live
    if live is None:
        raise ValueError("a collection plan needs the live layer")
    storage = live.storage
    snapshot = live.snapshot
    stored = snapshot.files if snapshot is not None else {}
    files: list[PlannedFile] = []
    ignored = 0
    # post_process hashes the unhashed copy of a file a reference names with a query (and
    # whitenoise deletes every unhashed copy after the run): each is copied again.
    recopy = keeps_only_hashed(storage)
    for record in layers.inventory.paths:
        if Flag.IGNORED_BY_COLLECT in record.flags or record.collect_winner is None:
            ignored += 1
            continue
        entry = live.entry(record.path)
        if recopy and not clear and record.path not in stored:
            files.append(PlannedFile(record.path, Action.COPY, str(entry.status), _RECOPY))
            continue
        files.append(_planned(record.path, entry.status, entry.note, clear=clear))
    problems = tuple(live.problems)
    changing = [
        f.path
        for f in files
        if f.action == Action.COPY and live.status_of(f.path) != LiveStatus.CURRENT
    ]
    removed = live.orphans if clear else ()
    settled = (
        not clear
        and not problems
        and all(f.action == Action.LEAVE for f in files)
        and _manifest_settled(layers, storage, files)
    )
    return CollectionPlan(
        storage=describe(storage) if storage is not None else "",
        storage_class=live.storage_class,
        clear=clear,
        files=tuple(files),
        deleted=tuple(sorted(stored)) if clear else (),
        orphans=() if clear else tuple(live.orphans),
        ignored=ignored,
        post_processor=_post_processor(storage),
        post_process=0
        if settled
        else _post_process_count(layers, storage, stored, files, clear=clear),
        problems=problems,
        invalidation=pending_invalidation(layers, changing, removed=removed),
        settled=settled,
    )


def _manifest_settled(layers: Layers, storage: Any, files: list[PlannedFile]) -> bool:
    """Return True if post-processing would write nothing new: no post-processing at all, or
    a manifest storage whose layer finds every path ``ok`` and nothing to redo (an entry
    without source, a compressed variant missing or different); an old hashed version, which
    collectstatic leaves in place, does not count."""
    if storage is None or not hasattr(storage, "post_process"):
        return True
    if as_manifest_storage(storage) is None or keeps_only_hashed(storage):
        return False  # someone else's post-processing, or copies it deletes: it must run
    manifest = layers.manifest
    if manifest.unchecked or manifest.problems:
        return False
    if any(f.kind != ManifestFinding.ORPHANED_HASHED_FILE for f in manifest.findings):
        return False
    return all(manifest.status_of(f.path) == ManifestStatus.OK for f in files)


_RECOPY = (
    "copied again for post-processing: the storage keeps only hashed copies "
    "(WHITENOISE_KEEP_ONLY_HASHED_FILES), as collectstatic does"
)


def _planned(path: str, status: LiveStatus, note: str, *, clear: bool) -> PlannedFile:
    if clear:
        return PlannedFile(path, Action.COPY, "cleared")
    if status in (LiveStatus.MISSING, LiveStatus.MODIFIED):
        return PlannedFile(path, Action.COPY, str(status), note)
    if status == LiveStatus.CURRENT:
        return PlannedFile(path, Action.LEAVE, str(status), note)
    return PlannedFile(path, Action.UNDECIDED, str(status), note)


def _post_processor(storage: Any) -> str | None:
    if storage is None or not hasattr(storage, "post_process"):
        return None
    return configured_class(storage).__name__


def _post_process_count(
    layers: Layers,
    storage: Any,
    stored: Mapping[str, Any],
    files: list[PlannedFile],
    *,
    clear: bool,
) -> int | None:
    """Return how many files post-processing will write, as collectstatic counts them.

    A hashing storage rewrites every file whose references it adjusts (CSS, JS) on every run,
    and writes any other file only when its hashed copy is not stored yet.
    """
    if storage is None or not hasattr(storage, "post_process"):
        return None
    hashing = as_manifest_storage(storage)
    if hashing is None:
        return None  # someone else's post-processing: nothing says what it will do
    manifest = layers.manifest
    count = 0
    for planned in files:
        if clear or is_adjustable(hashing, planned.path):
            count += 1
            continue
        expected = manifest.entry(planned.path).expected_hashed_name
        if expected is None:
            return None
        if expected not in stored:
            count += 1
    return count
