"""The layers of design.md together, assembled in one place for every client.

``current_layers(max_age=...)`` is the one assembly: the pages, the CLI, the toolbar panel and
the collection worker all take their ``Layers`` from it, and differ only in how old an answer they
accept (a ``freshness.MaxAge``: ``NOW`` for the CLI and the worker, ``page_max_age()`` for pages
and the panel). A check re-lists only the source folders that changed (``inventory``), reads
the manifest once and lists the collected storage once (``storage.kept``, which keeps a remote
listing for ``REMOTE_MAX_AGE``). The manifest and live reports are rebuilt only when one of their
inputs changed (another inventory, manifest text or listing), so an unchanged tree gives the same
``Layers`` object back, whose rows and counts are then computed once.

One check at a time per process: a caller that arrives during a check waits for it and takes its
result when that is recent enough for it. A caller that prefers an answer now to a recent one
(``stale_ok``: the toolbar panel) gets the last layers at once while a background thread checks,
no more often than ``BACKGROUND_SHARE`` of the time allows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, TypeVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage

from ..conf import get_config
from . import caches, fingerprints
from .bulk import collector_paused
from .freshness import NOW, MaxAge
from .inventory import current_inventory
from .live import LiveReport, build_live_report, copies_to_compare
from .manifest.reading import ManifestText, read_manifest_text
from .manifest.report import ManifestReport, build_manifest_report
from .manifest.verdicts import send_plain_sources
from .paths import extension_of
from .recheck import digest_before_check
from .records import Inventory, PathRecord, orphan_record
from .remote import read_remote
from .served import ServedResult
from .severity import AcceptRule, InvalidRule, Judgement, judge, parse_rules
from .status import Severity
from .storage.instance import as_manifest_storage, collected_storage, is_remote, staticfiles_params
from .storage.kept import snapshot_of
from .storage.listing import ListingAhead, Snapshot

T = TypeVar("T")

# How many derived answers (a filter's rows, a sort order) one Layers keeps: the pages a few
# users click through, not every filter ever asked.
DERIVED_KEPT = 32
_derived_lock = threading.Lock()


@dataclass(frozen=True)
class Layers:
    """The sources (``inventory``), the manifest and live layers, and the served probe's
    results by path where a probe ran."""

    inventory: Inventory
    manifest: ManifestReport
    live: LiveReport | None = None
    served: Mapping[str, ServedResult] | None = None

    @cached_property
    def records(self) -> tuple[PathRecord, ...]:
        """Every row, sorted by path: the inventory's, then the paths only the storage has."""
        if not self._orphans:
            return self.inventory.paths
        orphans = [orphan_record(path) for path in sorted(self._orphans)]
        return tuple(sorted([*self.inventory.paths, *orphans], key=lambda r: r.path))

    @cached_property
    def _orphans(self) -> frozenset[str]:
        return frozenset(self.live.orphans) if self.live is not None else frozenset()

    def get(self, path: str) -> PathRecord | None:
        """Return the row of ``path``; None for a path no layer lists."""
        record = self.inventory.get(path)
        if record is None and path in self._orphans:
            return orphan_record(path)
        return record

    def manifest_status(self, path: str) -> str:
        return str(self.manifest.status_of(path))

    def live_status(self, path: str) -> str | None:
        if self.live is None:
            return None
        status = self.live.status_of(path)
        return str(status) if status is not None else None

    def served_status(self, path: str) -> str | None:
        if self.served is None:
            return None
        result = self.served.get(path)
        return str(result.status) if result is not None else None

    @cached_property
    def counts(self) -> Counter[str]:
        """Return how many rows carry each source status and each flag (the manifest and live
        layers count their own words, as both have an ``unknown`` one counter would add up)."""
        counts = self.inventory.counts()
        counts["absent"] += len(self._orphans)
        return counts

    @cached_property
    def manifest_counts(self) -> Counter[str]:
        """Return how many rows carry each manifest status: what ``?manifest=`` then selects
        (``manifest.counts()`` also counts entries that are no row; its findings name those)."""
        return Counter(self.manifest_status(record.path) for record in self.records)

    @cached_property
    def rules(self) -> tuple[AcceptRule, ...]:
        """The ``ACCEPT`` rules (``checks`` reports a malformed one; here it raises)."""
        try:
            return parse_rules(get_config()["ACCEPT"])
        except InvalidRule as exc:
            raise ImproperlyConfigured(f"ASSET_INSPECTOR: {exc}") from exc

    @cached_property
    def _judged(self) -> dict[str, Judgement]:
        return {}  # each row's judgement, made when first asked: a writer asks each row once

    @cached_property
    def _judgements(self) -> dict[str, Judgement]:
        """Every row's judgement. Threads only add to it: a reader copies its values at once."""
        judged = self._judged
        for record in self.records:
            judged[record.path] = judged.get(record.path) or self.judge_row(record)
        return judged

    def judge_row(self, record: PathRecord, served: ServedResult | None = None) -> Judgement:
        """Return how bad ``record`` is over every layer (``served``: a probe result kept
        outside these layers, as pages show the last one)."""
        path = record.path
        live = self.live.entry(path) if self.live is not None else None
        if served is None and self.served is not None:
            served = self.served.get(path)
        winner = record.winner.source if record.winner else None
        entry = self.manifest.entry(path, url=False)
        return judge(record, entry, live, served, self.rules, winner)

    def judgement(self, path: str) -> Judgement:
        """Return how bad the row of ``path`` is, and the rule that accepts it (``severity``)."""
        found = self._judged.get(path)
        if found is None:
            record = self.get(path)
            if record is None:
                raise KeyError(path)
            found = self._judged[path] = self.judge_row(record)
        return found

    def severity(self, path: str) -> Severity:
        return self.judgement(path).severity

    @cached_property
    def stale_rules(self) -> tuple[AcceptRule, ...]:
        """Return the ``ACCEPT`` rules that match no row: acceptances nothing needs any more."""
        if not self.rules:
            return ()
        judgements = list(self._judgements.values())
        used = {j.accepted.number for j in judgements if j.accepted is not None}
        return tuple(rule for rule in self.rules if rule.number not in used)

    @cached_property
    def severity_counts(self) -> Counter[str]:
        """Return how many rows are at each severity, accepted rows apart (``accepted``)."""
        counts: Counter[str] = Counter()
        for judgement in list(self._judgements.values()):
            counts["accepted" if judgement.accepted else judgement.severity] += 1
        return counts

    @cached_property
    def extensions(self) -> tuple[str, ...]:
        """Return the extensions of every row's path (``paths.extension_of``), sorted."""
        return tuple(sorted({extension_of(record.path) for record in self.records}))

    def derive(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return ``compute()``, kept under ``key`` on these layers for the next caller.

        A page asks for the same derived answer again and again (its filter's rows, a sort
        order); kept on the very object it was derived from, it is fresh exactly as long as
        these layers are: a check that finds a change gives new ``Layers``. Two threads may
        compute one key at once; both answers are equal, and one is kept.
        """
        derived = self._derived
        with _derived_lock:
            if key in derived:
                derived[key] = derived.pop(key)  # the most recently asked goes last
                return cast(T, derived[key])
        value = compute()
        with _derived_lock:
            while len(derived) >= DERIVED_KEPT:
                del derived[next(iter(derived))]  # the least recently asked first
            derived[key] = value
        return value

    @cached_property
    def _derived(self) -> dict[Hashable, Any]:
        return {}


logger = logging.getLogger(__name__)

# A background check starts no sooner than this many times its last duration after it ended, so
# checks nobody waits for take at most about 1/20 of a core (the panel's) or half a core (pages,
# where someone is looking at the answer).
BACKGROUND_SHARE = 20
PAGE_SHARE = 1
# A page waits this long for a first check before it shows the progress page instead.
FIRST_WAIT = 0.1


@dataclass
class _Last:
    """The last layers of this process, what they were built from, and when they were checked."""

    layers: Layers | None = None
    storage: Storage | None = None
    manifest_text: ManifestText | None = None
    snapshot: Snapshot | None = None
    # time.monotonic() when the check that last confirmed ``layers`` began, and how long it took.
    checked: float = float("-inf")
    took: float = 0.0
    # The digest of every file (``treewalk``) taken just before the check that built ``layers``.
    walked: str | None = None


_last = _Last()
_lock = threading.Condition()
# Set while one thread checks; bumped generations tell a check that a clear() came meanwhile.
_building = False
_generation = 0
# What the running check does now, when it started, and the files read before it did (progress).
_step = "starting"
_started_at = 0.0
_reads_at_start = 0
# time.perf_counter() when the step began; 0 while no check runs.
_step_began = 0.0
# How a step that ended is logged at DEBUG: its seconds, then what it did.
STEP_LOG = "%6.2f s  %s"


def _say(step: str | None) -> None:
    """Say what the running check does now (``None``: it is over); the step that ends is
    logged at DEBUG with its seconds, which ``inspect_assets -v 2`` prints."""
    global _step, _step_began
    now = time.perf_counter()
    if _step_began:
        logger.debug(STEP_LOG, now - _step_began, _step)
    _step, _step_began = (step, now) if step is not None else ("starting", 0.0)


def _forget() -> None:
    global _generation, _last
    with _lock:
        _last = _Last()
        _generation += 1


caches.register(
    "layers",
    _forget,
    fresh_while=(
        "younger than the caller's max_age, or built from the same inventory, manifest text "
        "and listing"
    ),
)


@dataclass(frozen=True, slots=True)
class Building:
    """A first check of this process, running in the background: what it does, how far."""

    step: str
    files_read: int
    started_at: float  # time.time()


def layers_or_building(max_age: MaxAge, *, wait: float = FIRST_WAIT) -> Layers | Building:
    """Return the last layers at once (checking in the background once they are older than
    ``max_age``), or, before this process has any, how far the first check got: that check
    runs in a thread, shared by every caller, and its layers are what the next call returns.
    A first check that ends within ``wait`` seconds is waited for (small projects)."""
    asked = time.monotonic()
    with _lock:
        if _last.layers is not None:
            if _last.checked <= asked - max_age.local:
                _check_in_background(max_age, asked, share=PAGE_SHARE)
            return _last.layers
        _check_in_background(max_age, asked, share=PAGE_SHARE)
        _lock.wait_for(lambda: _last.layers is not None or not _building, timeout=wait)
        ready = _kept_layers()
        if ready is not None:
            return ready
        return Building(_step, fingerprints.files_read() - _reads_at_start, _started_at)


def _kept_layers() -> Layers | None:
    return _last.layers


def current_layers(*, max_age: MaxAge = NOW, live: bool = True, stale_ok: bool = False) -> Layers:
    """Return the layers, checked against the files no longer ago than ``max_age`` allows.

    ``live=False`` leaves the live comparison out (the CLI's ``--no-live``); the manifest layer
    still lists the collected storage, which it needs. ``stale_ok`` returns the last layers at
    once whatever their age, and checks in the background if they are older than ``max_age``.
    """
    global _building
    asked = time.monotonic()
    with _lock:
        while True:
            layers = _last.layers
            if layers is not None and (_last.checked > asked - max_age.local or stale_ok):
                if stale_ok and _last.checked <= asked - max_age.local:
                    _check_in_background(max_age, asked, share=BACKGROUND_SHARE)
                return layers if live else replace(layers, live=None)
            if not _building:
                break
            _lock.wait()  # another thread is checking: its answer may be recent enough
        _building = True
        generation = _generation
    return _check_now(max_age, live, generation)


def _check_now(max_age: MaxAge, live: bool, generation: int, *, walk: bool = False) -> Layers:
    """Check and keep the result; the caller has set ``_building``. ``walk``: a background
    check first takes a digest of every file (``recheck``), elsewhere where it can, and keeps
    the last layers at once if it equals the digest taken before they were built."""
    global _building, _last
    try:
        started = time.monotonic()
        kept = _last.layers
        files = len(kept.records) if kept is not None else None
        walked = digest_before_check(files) if walk else None
        with _lock:
            if kept is not None and kept is _last.layers and walked and walked == _last.walked:
                # No file changed since the digest taken before the kept layers were built.
                _last.checked, _last.took = started, time.monotonic() - started
                return kept
        layers, inputs = _check(max_age, live)
        with _lock:
            if live and generation == _generation:
                took = time.monotonic() - started
                _last = _Last(*inputs, checked=started, took=took, walked=walked)
    finally:
        _say(None)
        with _lock:
            _building = False
            _lock.notify_all()
    return layers


def _check_quietly(max_age: MaxAge, generation: int) -> None:
    try:
        _check_now(max_age, True, generation, walk=True)
    except Exception:  # nobody waits for this check: the next caller's check says what failed
        logger.warning("background check of the static files failed", exc_info=True)


def _check_in_background(max_age: MaxAge, now: float, *, share: int) -> None:
    """Start a check in a thread unless one runs or the last one ended too recently (less
    than ``share`` times its duration ago)."""
    global _building, _started_at, _reads_at_start
    if _building or now < _last.checked + _last.took * (1 + share):
        return
    _building = True
    _started_at, _reads_at_start = time.time(), fingerprints.files_read()
    thread = threading.Thread(
        target=_check_quietly,
        args=(max_age, _generation),
        name="inspector-layers",
        daemon=True,
    )
    thread.start()


_Inputs = tuple[Layers, Storage | None, ManifestText | None, Snapshot]


def _check(max_age: MaxAge, live: bool) -> tuple[Layers, _Inputs]:
    """Check every input now; rebuild only the reports whose inputs changed."""
    _say("listing and stat'ing the sources")
    storage, error = collected_storage()
    ahead = ListingAhead(storage)  # a large project's collected folder is walked meanwhile
    inventory = current_inventory(ahead.start)
    backend = str(staticfiles_params().get("BACKEND", ""))
    hashing = as_manifest_storage(storage)
    _say("reading the manifest")
    if storage is not None and is_remote(storage):
        manifest_text, snapshot = read_remote(storage, hashing, max_age)
        send_plain_sources(hashing, inventory, manifest_text)
    else:
        sent = send_plain_sources(hashing, inventory, None)
        known = _last.manifest_text
        manifest_text = read_manifest_text(hashing, known) if hashing is not None else None
        if not sent:  # a manifest kept elsewhere, or none: known once read
            send_plain_sources(hashing, inventory, manifest_text)
        _say("listing the collected storage")
        if storage is None:
            snapshot = Snapshot()
        elif manifest_text is not None and manifest_text.error:
            snapshot = Snapshot(errors=[manifest_text.error])
        else:
            # A check reads the collected files by their listed stamps, and a listing kept from
            # before (a page's, the last check's) may predate a write: those files would be
            # refused as changed since listed. So the folder is listed again (``ahead``).
            snapshot = snapshot_of(storage, max_age=NOW, ahead=ahead)
    ahead.drop()  # not taken: the manifest could not be read
    last = _last
    previous = last.layers
    if (
        previous is not None
        and previous.inventory is inventory
        and last.storage is storage
        and last.manifest_text == manifest_text
        and last.snapshot is not None
        and not last.snapshot.racy
        and (snapshot is last.snapshot or snapshot.same_files(last.snapshot))
    ):
        # A listing that proves the same files (or is the same kept listing) cannot change
        # either report: the previous layers stand.
        layers = previous if live else replace(previous, live=None)
        return layers, (previous, storage, manifest_text, last.snapshot)
    with collector_paused():
        _say("reading sources and collected files for the manifest")
        manifest = build_manifest_report(
            inventory,
            backend,
            storage,
            error,
            manifest_text,
            snapshot,
            # The live report's reads are sent right after the manifest report's.
            read_next=copies_to_compare(inventory, snapshot) if live else (),
        )
        report = None
        if live:
            _say("comparing the sources with the collected copies")
            report = build_live_report(inventory, manifest, storage, error, snapshot)
        fingerprints.keep_sent_ahead()
    layers = Layers(inventory, manifest, report)
    return layers, (layers, storage, manifest_text, snapshot)
