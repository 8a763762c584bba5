"""Sources: every place a configured finder reads static files from, listed through Django's API.

The built-in finders are listed storage by storage as Django's ``utils.get_files`` lists them
(exactly what their ``list()`` does), so that an error in one folder is reported on that source
and the rest carries on. Any other finder is listed through its own ``list()``, and probed with
its own ``find(path, find_all=True)`` because some (django-compressor's ``CompressorFinder``)
list nothing yet serve files in development.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, cast

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import Storage

from ..conf import cross_process_cache, get_config
from .fingerprints import RACY_NS
from .shared_strings import one_copy
from .walk import RecordingStorage, files_of, linked_target

SourceKind = Literal["dir", "app", "finder"]


@dataclass(frozen=True, slots=True)
class Source:
    """One place files come from, in precedence order (``index``)."""

    index: int
    label: str
    kind: SourceKind
    finder: str
    root: str | None = None
    # The prefix development serves this source's files under (``finders.find``).
    prefix: str = ""
    # Why collectstatic never takes this source's files, when it never does (said on its rows).
    never_collected: str = ""
    # Where collectstatic lists this source's files, when not at ``index``: a folder in
    # STATICFILES_DIRS twice is listed, under the last entry's prefix, at its first entry.
    listed_at: int | None = None


class ListedFile(NamedTuple):
    """A file a source lists: the path it is served at and where its bytes are.

    A tuple: a listing recalled from the shared cache makes tens of thousands of them.
    """

    path: str
    # The file is at ``folder + name``: for a folder source, the folder (ending in a separator,
    # one string for all its files) and the path its finder's ``list()`` gives. A file known
    # only by its whole path has the folder ''; one with no local file at all, None.
    name: str
    folder: str | None
    collectable: bool
    # Where the bytes really are when a symlink leading out of the source folder is on the way
    # (a linked workspace package): Django follows it, the row says so.
    link: str | None = None

    @property
    def location(self) -> str | None:
        """Return the file's path on disk (None: the finder's storage has no local path)."""
        return None if self.folder is None else self.folder + self.name


@dataclass(slots=True)
class SourceListing:
    """What one source listed, plus what is needed to tell cheaply whether that is still true."""

    source: Source
    files: list[ListedFile]
    errors: list[str]
    storage: Storage | None = None
    folder_mtimes: dict[str, int] = field(default_factory=dict)
    reusable: bool = False
    # ``{relative link: real target}`` of the symlinks leading out of the folder (followed).
    links: dict[str, str] = field(default_factory=dict)

    def is_unchanged(self) -> bool:
        """Return True if no folder of this source changed since it was listed."""
        if not self.reusable:
            return False
        try:
            return all(os.stat(p).st_mtime_ns == m for p, m in self.folder_mtimes.items())
        except OSError:
            return False


def collect_ignore_patterns() -> list[str]:
    """Return the ignore patterns a plain ``collectstatic`` run applies."""
    patterns: list[str] = getattr(apps.get_app_config("staticfiles"), "ignore_patterns", [])
    return list({os.path.normpath(p) for p in patterns})


def configured_finders() -> list[tuple[str, finders.BaseFinder | Exception]]:
    """Return each ``STATICFILES_FINDERS`` entry with its (cached) instance or load error."""
    loaded: list[tuple[str, finders.BaseFinder | Exception]] = []
    for dotted in settings.STATICFILES_FINDERS:
        try:
            loaded.append((dotted, finders.get_finder(dotted)))
        except Exception as exc:  # a broken finder must not hide the others
            loaded.append((dotted, exc))
    return loaded


def list_sources(previous: Sequence[SourceListing] = ()) -> list[SourceListing]:
    """List every source of every configured finder.

    A folder whose subfolders' mtimes are unchanged is not walked again: its listing comes from
    ``previous`` (this process) or from the shared cache (another process).
    """
    in_process = {(lst.source.label, lst.source.index): lst for lst in previous}
    patterns = collect_ignore_patterns()
    planned: list[tuple[finders.BaseFinder | Exception, Source, Storage | None]] = []
    for dotted, finder in configured_finders():
        planned.extend((finder, s, st) for s, st in _sources_of(dotted, finder, len(planned)))

    kept: dict[Source, SourceListing] = {}
    for _, source, storage in planned:
        old = in_process.get((source.label, source.index))
        if old is not None and old.storage is storage and old.is_unchanged():
            kept[source] = old

    folders = [(s, st) for _, s, st in planned if st is not None and s not in kept]
    recalled = _recall(folders, patterns)
    listings: list[SourceListing] = []
    walked: list[SourceListing] = []
    for finder, source, storage in planned:
        listing = kept.get(source) or recalled.get(source)
        if listing is None:
            if isinstance(finder, Exception):
                listing = SourceListing(source, [], [f"could not load finder: {finder!r}"])
            elif storage is None:
                listing = _list_through_finder(source, finder, patterns)
            else:
                listing = _list_folder(source, storage, patterns)
                walked.append(listing)
        listings.append(listing)
    _share(walked, patterns)
    return listings


def source_roots() -> tuple[str, ...]:
    """Return the real path of every folder a configured finder reads (a symlink in the
    collected storage may lead into one: ``collectstatic --link``)."""
    return tuple(dict.fromkeys(os.path.realpath(s.root) for s in _configured() if s.root))


def source_folders() -> tuple[str, ...]:
    """Return every folder a configured finder reads as configured (not resolved): the path
    ``collectstatic --link`` links to, which may go on through a symlink the source follows."""
    return tuple(dict.fromkeys(os.path.abspath(s.root) for s in _configured() if s.root))


def folder_sources() -> tuple[str, ...] | None:
    """Return ``source_folders()`` when every file comes from those folders (Django's two
    finders); None when a finder lists files some other way, which a walk of folders cannot
    vouch for."""
    if any(s.kind not in ("dir", "app") or not s.root for s in _configured()):
        return None
    return source_folders()


def _configured() -> Iterator[Source]:
    for dotted, finder in configured_finders():
        for source, _storage in _sources_of(dotted, finder, 0):
            yield source


def probe_finder(finder: finders.BaseFinder, path: str) -> list[str]:
    """Return every location ``finder`` finds for ``path`` (its ``find(path, find_all=True)``)."""
    found = finder.find(path, find_all=True)
    if not found:
        return []
    if isinstance(found, str | os.PathLike):
        return [os.fspath(found)]
    return [os.fspath(f) for f in found]


def _sources_of(
    dotted: str, finder: finders.BaseFinder | Exception, start: int
) -> Iterator[tuple[Source, Storage | None]]:
    """Yield the finder's sources, numbered from ``start`` in precedence order."""
    index = start
    if isinstance(finder, Exception):
        yield Source(index, dotted, "finder", dotted), None
        return
    cls = type(finder)
    if cls.list is finders.FileSystemFinder.list:
        fs_finder = cast(finders.FileSystemFinder, finder)
        first_entry: dict[object, int] = {}
        for prefix, root in fs_finder.locations:
            root_abs = os.path.abspath(os.fspath(root))
            label = f"dir:{prefix}={root_abs}" if prefix else f"dir:{root_abs}"
            storage = fs_finder.storages[root]
            listed_as = getattr(storage, "prefix", None) or ""
            never = "" if listed_as == prefix else _listed_under_another_prefix(root_abs, listed_as)
            first = first_entry.setdefault(root, index)
            listed_at = first if first != index else None
            yield Source(index, label, "dir", dotted, root_abs, prefix, never, listed_at), storage
            index += 1
    elif cls.list is finders.AppDirectoriesFinder.list:
        app_finder = cast(finders.AppDirectoriesFinder, finder)
        for app_name, storage in app_finder.storages.items():
            root = os.fspath(storage.location)
            yield Source(index, f"app:{app_name}", "app", dotted, root), storage
            index += 1
    else:
        yield (
            Source(index, dotted, "finder", dotted, _root_of(getattr(finder, "storage", None))),
            None,
        )


def _listed_under_another_prefix(root: str, listed_as: str) -> str:
    # FileSystemFinder keeps one storage per folder, the last entry's: its list() yields this
    # entry's files under that entry's prefix, while its find() serves them under this one's.
    under = f"the prefix {listed_as!r}" if listed_as else "no prefix"
    return (
        f"{root} is in STATICFILES_DIRS more than once: collectstatic lists it only under "
        f"{under} (the last entry's), so it never collects the paths this entry serves in "
        "development"
    )


def _root_of(storage: Storage | None) -> str | None:
    if storage is None:
        return None
    try:
        return storage.path("")
    except (NotImplementedError, AttributeError, ValueError):
        return None


def _list_folder(source: Source, storage: Storage, patterns: list[str]) -> SourceListing:
    """List one folder-backed source the way its finder's ``list()`` does."""
    listing = SourceListing(source, [], [], storage)
    root = source.root or storage.path("")
    if not os.path.isdir(root):
        listing.errors.append(f"folder does not exist: {root}")
        return listing
    recorder = RecordingStorage(storage, root)
    every, left_out = files_of(recorder.listdir, patterns)
    # The served prefix is the entry's own (what find() matches): a folder listed twice keeps
    # the last entry's storage, and collection never takes the other entries' paths.
    prefix = source.prefix
    collected = not source.never_collected
    links = recorder.links
    folder = os.path.join(root, "")
    for relative in every:
        if prefix:
            served = one_copy(os.path.join(prefix, relative))
        else:
            relative = served = one_copy(relative)
        link = linked_target(relative, links) if links else None
        taken = collected and relative not in left_out
        listing.files.append(ListedFile(served, relative, folder, taken, link))
    listing.errors.extend(recorder.errors)
    listing.links = links
    listing.folder_mtimes = recorder.mtimes
    now = time.time_ns()
    listing.reusable = not recorder.errors and all(
        now - m >= RACY_NS for m in recorder.mtimes.values()
    )
    return listing


def _list_through_finder(
    source: Source, finder: finders.BaseFinder, patterns: list[str]
) -> SourceListing:
    """List a custom finder through its own ``list()``, once for development and once for
    collection, because its storages are its own business."""
    listing = SourceListing(source, [], [])
    try:
        every = list(finder.list([]))
        collected = {(rel, id(st)) for rel, st in finder.list(patterns)}
    except Exception as exc:  # the finder's own bug: report it on the source and carry on
        listing.errors.append(f"list() raised {exc!r}")
        return listing
    for relative, storage in every:
        prefix = getattr(storage, "prefix", None) or ""
        served = one_copy(os.path.join(prefix, relative) if prefix else relative)
        location = _location_in(storage, relative)
        collectable = (relative, id(storage)) in collected
        if location is None:
            listing.files.append(ListedFile(served, relative, None, collectable))
        else:
            listing.files.append(ListedFile(served, location, "", collectable))
    return listing


def _location_in(storage: Storage, relative: str) -> str | None:
    try:
        return storage.path(relative)
    except (NotImplementedError, AttributeError, ValueError):
        return None


def _shared_key(source: Source, patterns: list[str]) -> str:
    raw = "\0".join([source.label, source.root or "", source.never_collected, *sorted(patterns)])
    # v2: files as one NUL-joined text (a file name never holds NUL): one string to unpickle
    # instead of tens of thousands of tuples. v3: with the symlinks leading out.
    return (
        "inspector:listing:v3:" + hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()
    )


def _recall(
    folders: Sequence[tuple[Source, Storage | None]], patterns: list[str]
) -> dict[Source, SourceListing]:
    """Return listings another process shared for these folders, if still true."""
    cache = cross_process_cache()
    if cache is None or not folders:
        return {}
    keys = {_shared_key(source, patterns): (source, storage) for source, storage in folders}
    recalled: dict[Source, SourceListing] = {}
    for key, (mtimes, prefix, relatives, collectable, links) in cache.get_many(list(keys)).items():
        source, storage = keys[key]
        listing = SourceListing(source, [], [], storage, mtimes, reusable=True, links=links)
        if not listing.is_unchanged():
            continue
        base = os.path.join(source.root or "", "")
        named = relatives.split("\0") if relatives else []
        new = tuple.__new__  # the named tuple's own __new__ is a Python call per file
        listing.files = [
            new(
                ListedFile,
                (
                    one_copy(os.path.join(prefix, rel) if prefix else rel),
                    rel,
                    base,
                    c == 1,
                    linked_target(rel, links) if links else None,
                ),
            )
            for rel, c in zip(named, collectable, strict=True)
        ]
        recalled[source] = listing
    return recalled


def _share(listings: list[SourceListing], patterns: list[str]) -> None:
    cache = cross_process_cache()
    if cache is None:
        return
    entries = {
        _shared_key(lst.source, patterns): (
            lst.folder_mtimes,
            lst.source.prefix,
            "\0".join(f.name for f in lst.files),
            bytes(f.collectable for f in lst.files),
            lst.links,
        )
        for lst in listings
        if lst.reusable
    }
    if entries:
        cache.set_many(entries, timeout=get_config()["CACHE_TIMEOUT"])
