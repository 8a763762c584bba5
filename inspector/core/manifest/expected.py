"""What a manifest storage *would* write for the current sources, computed without writing.

``ManifestFilesMixin.post_process`` names a plain file after the md5 of its bytes, but a CSS or JS
file after the md5 of its text *once its ``url()``/``@import``/sourceMappingURL references are
rewritten* to the hashed names of their targets, repeated until no name changes any more. This
module reproduces that fixed point in memory with the storage's own regular expressions and URL
converter, so the Django version's own rules apply (6.1 skips URLs inside comments, 5.2 does not)
and an untouched collection never looks stale. A reference whose lookup key is no manifest key
(``logo.png?v=2``, a sourceMappingURL with blanks before ``*/``) is named, as in post_process,
after the copy collectstatic has just written into the storage: today's source, unless a stored
copy at least as new is left in place (``CopiedSources``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile, File

from .. import caches, fingerprints
from ..fingerprints import FileStamp
from ..screening import Screened, screen_bytes
from ..shared_strings import one_copy
from ..storage.instance import CopiedContent, KnownDigest, ManifestStorage, copied_content
from ..storage.listing import StoredFile
from .naming import (
    adjustable_match,
    hashed_name_for,
    key_of,
    name_from_bytes,
    pattern_globs,
    uses_md5_names,
)
from .prefilter import may_match, needles_for

# A chain of N files that import each other needs N rounds; Django gives up after 1 + 5 passes,
# so a longer wait can only mean a reference cycle that post_process could never have resolved.
MAX_ROUNDS = 64
# One shared empty answer for the many files that reference nothing, rather than an empty
# frozenset and two empty dicts of their own kept per file.
_NO_REFERENCES: frozenset[str] = frozenset()
_NOTHING_USED: Mapping[str, str | None] = MappingProxyType({})


class SourceFile(NamedTuple):
    """The bytes collectstatic takes for one path: a local file, or a reader for anything else
    (a named tuple: a check makes one per collected path, at a third of a dataclass's cost)."""

    path: str
    stamp: FileStamp | None
    read: Callable[[], bytes] | None = None
    # Said when the bytes are not the source's own (e.g. the collected copy stands in for them).
    caveat: str = ""
    # The stored copy collectstatic leaves in place (at least as new as the source, to the
    # second): a missed lookup then hashes it, not the source. None: it copies the source.
    left: StoredFile | None = None


@dataclass
class ExpectedNames:
    """The hashed name post_process would give each path now, or why it cannot be known."""

    names: dict[str, str] = field(default_factory=dict)  # hash key -> expected hashed name
    errors: dict[str, str] = field(default_factory=dict)  # path -> reason
    # path -> the paths whose hashed names its rewritten text depends on
    references: dict[str, frozenset[str]] = field(default_factory=dict)
    adjustable: frozenset[str] = frozenset()
    # Paths collectstatic itself would fail on (a reference it cannot find, text that is not
    # UTF-8, references in a cycle): a deploy that collects them stops with an error.
    fatal: set[str] = field(default_factory=set)
    # The paths named otherwise than after their source's bytes as stamped: the CSS and JS
    # whose text is rewritten (read now, or settled from the memo), and any file read while
    # it was being written. None where any path may be: two paths share one manifest key (a
    # storage's own ``hash_key`` may fold them), or no names were worked out.
    named_otherwise: frozenset[str] | None = None


class _RecordingDict(dict[str, str]):
    """The ``hashed_files`` handed to Django's converter: remembers every key it looks up while
    ``seen`` is a set (while one file is rewritten).

    The expected names are this very dict from the start: a copy of tens of thousands of names
    on the way in and out of settling would be two more large dicts.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] | None = None

    def __setitem__(self, key: str, value: str) -> None:
        # Never called by Django's converter; only by _settle, which owns the mapping.
        super().__setitem__(key, value)

    def get(self, key: str, default: Any = None) -> Any:
        if self.seen is not None:
            self.seen.add(key)
        return super().get(key, default)


class CopiedSources:
    """What ``collectstatic`` has just copied into the storage when ``post_process`` runs: the
    collect winner's bytes of every path it collects (``storage.instance.copied_content``).

    Remembers the md5 of each path it was asked for, so a memoised rewrite is reused only while
    those bytes are the same.
    """

    def __init__(self, files: Mapping[str, SourceFile], md5_names: bool) -> None:
        self.files, self.md5_names = files, md5_names
        self.seen: dict[str, str | None] = {}
        self._digests: dict[str, str] = {}

    def digest(self, path: str) -> str | None:
        """Return the md5 of the copy of ``path`` (None: collectstatic does not copy it, so
        Django hashes whatever the storage holds). Raises OSError for an unreadable source."""
        source = self.files.get(path)
        if source is None:
            return None
        if source.left is not None:
            if source.left.stamp is None:
                return None  # a remote copy: Django's own read of the storage
            return fingerprints.md5(source.left.stamp)
        if path not in self._digests:
            if source.stamp is not None:
                self._digests[path] = fingerprints.md5(source.stamp)
            else:
                self._digests[path] = hashlib.md5(_read(source), usedforsecurity=False).hexdigest()
        return self._digests[path]

    def __call__(self, path: str) -> File[Any] | KnownDigest | None:
        digest = self.digest(path)
        self.seen[path] = digest
        if digest is None:
            return None
        if self.md5_names:
            return KnownDigest(digest)
        source = self.files[path]
        if source.left is not None and source.left.stamp is not None:
            return ContentFile(fingerprints.read_recorded(source.left.stamp))
        return ContentFile(_read(source))  # a custom file_hash reads the bytes


def rewrite(
    storage: ManifestStorage,
    name: str,
    content: str,
    hashed_files: dict[str, str],
    copied: CopiedContent | None = None,
) -> str:
    """Return ``content`` with its references rewritten exactly as ``_post_process`` does.

    ``copied`` gives the content collectstatic has just copied for a path, which Django hashes
    for a reference its ``hashed_files`` lookup misses (None: the storage's copy). A pattern
    that cannot match the text (``may_match``) is not run, so the storage is not asked for its
    converter, nor for the blocks it ignores, where it would not have called them.
    """
    if copied is not None:
        with copied_content(copied):
            return rewrite(storage, name, content, hashed_files)
    for glob, extension in pattern_globs(storage):
        if not glob.match(name):
            continue
        for entry in storage._patterns[extension]:
            pattern, template = entry[0], entry[1]
            if not may_match(pattern, content):
                continue  # it would find nothing to rewrite
            if len(entry) == 3:  # Django >= 6.1: URLs inside comments and strings are skipped
                ignored = storage.get_ignored_blocks(content, entry[2])
                converter = storage.url_converter(name, hashed_files, template, ignored)
            else:
                converter = storage.url_converter(name, hashed_files, template)
            content = pattern.sub(converter, content)
    return content


# (storage class, path, source stamp) -> (the hashed names its rewrite looked up, the md5 of the
# copies it hashed on a missed lookup, its hashed name): a file whose source, looked-up names and
# hashed copies are as last time is not read or rewritten again.
_Memo = tuple[type, str, FileStamp]
_Used = Mapping[str, str | None]
_rewrites: dict[_Memo, tuple[_Used, _Used, str]] = {}
_rewrites_lock = threading.Lock()


def _clear_rewrites() -> None:
    with _rewrites_lock:
        _rewrites.clear()


caches.register(
    "rewrites",
    _clear_rewrites,
    fresh_while=(
        "the source's stamp, every hashed name its rewrite looked up and every copy it hashed "
        "are unchanged"
    ),
)


def compute_expected(
    storage: ManifestStorage, files: Mapping[str, SourceFile], then: Iterable[FileStamp] = ()
) -> ExpectedNames:
    """Return what post_process would name every path of ``files`` (the file collectstatic
    takes for each path) if collectstatic ran now.

    Each source is read once: plain files for their digest; CSS and JS for their digest and,
    only when it may hold a reference, their text (``screening``): the rest already have their
    final name. A check sends the plain files to be hashed first (``verdicts.plain_sources``),
    where a manifest is there; any not sent are read here. ``then`` names the files the next
    steps will hash: they are sent after these, and read while this thread names the files.
    """
    md5_names = uses_md5_names(type(storage))
    adjustable = frozenset(filter(adjustable_match(storage), files))
    result = ExpectedNames(names=_RecordingDict(), adjustable=adjustable)
    plain = [p for p in files if p not in adjustable]
    on_disk = [s for p in plain if (s := files[p].stamp) is not None] if md5_names else []
    ordered = sorted(adjustable)
    remembered = {
        path: known
        for path in ordered
        if (stamp := files[path].stamp) is not None
        and (known := _rewrites.get((type(storage), path, stamp))) is not None
    }
    unread = [path for path in ordered if path not in remembered]
    # The plain files were sent first, by the check (``verdicts.plain_sources``). The CSS
    # and JS follow (their answers are taken as they come, not left to pile up), then
    # ``then``, read while this thread names files.
    screened = _screened(storage, files, unread, md5_names)
    fingerprints.hash_ahead(then)

    texts: dict[str, str] = {}
    partly_read: list[str] = []
    for path, known in remembered.items():
        # Any starting name converges to the same fixed point; the last one gets there at once.
        result.names[key_of(storage, path)] = known[2]
        texts[path] = ""  # settled from the memo unless a name it looked up changed
    # Read where they are hashed: only the texts that may hold a reference come back.
    for path, seen, name in screened:
        if isinstance(seen, OSError):
            result.errors[path] = f"cannot read the source: {seen}"
            continue
        if seen.undecodable is not None:
            result.errors[path] = f"collectstatic would fail: not UTF-8: {seen.undecodable}"
            result.fatal.add(path)
            continue
        result.names[key_of(storage, path)] = name = one_copy(name)
        if not seen.whole:
            partly_read.append(path)
        if seen.text is not None:
            texts[path] = seen.text
            continue
        result.references[path] = _NO_REFERENCES  # rewriting leaves it as it is
        stamp = files[path].stamp
        if stamp is not None and not stamp.is_racy() and caches.for_later():
            with _rewrites_lock:
                _rewrites[(type(storage), path, stamp)] = (_NOTHING_USED, _NOTHING_USED, name)

    # Plain files: one digest each, through the shared fingerprint cache where they are on disk.
    digests = fingerprints.md5_many(on_disk)
    del on_disk
    for path in plain:
        source = files[path]
        try:
            if md5_names and source.stamp is not None:
                digest = digests[source.stamp]
                if isinstance(digest, OSError):
                    raise digest
                name = hashed_name_for(storage, path, KnownDigest(digest))
            else:
                name = name_from_bytes(storage, path, _read(source))
        except (OSError, ValueError) as exc:
            result.errors[path] = f"cannot read the source: {exc}"
            continue
        # The manifest and the listing hold this very name: one string for the three.
        result.names[key_of(storage, path)] = one_copy(name)
    if len(result.names) == len(files) - len(result.errors):  # no two paths share a key
        result.named_otherwise = frozenset(texts).union(partly_read)

    copied = CopiedSources(files, md5_names)
    _settle(storage, {p: files[p] for p in texts}, texts, result, copied)
    return result


def _screened(
    storage: ManifestStorage, files: Mapping[str, SourceFile], paths: list[str], md5_names: bool
) -> Iterator[tuple[str, Screened | OSError, str]]:
    """Return each CSS or JS path of ``paths`` with what its bytes tell (``screening``) and the
    name Django's first pass gives it, after its raw bytes ("" when it cannot be read). The
    local files are sent to be read at once, not when the first answer is asked for."""
    local = [p for p in paths if files[p].stamp is not None]
    stamps = [stamp for p in local if (stamp := files[p].stamp) is not None]
    found = None
    if md5_names:
        # The md5 names the file: its bytes need not come back.
        found = fingerprints.screen(stamps, [needles_for(storage, p) for p in local])
    return _named(storage, files, paths, local, found)


def _named(
    storage: ManifestStorage,
    files: Mapping[str, SourceFile],
    paths: list[str],
    local: list[str],
    found: Iterator[Screened | OSError] | None,
) -> Iterator[tuple[str, Screened | OSError, str]]:
    if found is not None:
        for path, seen in zip(local, found, strict=True):
            name = (
                ""
                if isinstance(seen, OSError)
                else hashed_name_for(storage, path, KnownDigest(seen.md5))
            )
            yield path, seen, name
    else:
        stamps = [stamp for p in local if (stamp := files[p].stamp) is not None]
        for path, data in zip(local, fingerprints.read_many(stamps), strict=True):
            yield path, *_screen_here(storage, path, data)
    for path in paths:
        if files[path].stamp is None:
            yield path, *_screen_here(storage, path, _read_or_error(files[path]))


def _screen_here(
    storage: ManifestStorage, path: str, data: bytes | OSError
) -> tuple[Screened | OSError, str]:
    if isinstance(data, OSError):
        return data, ""
    return screen_bytes(data, needles_for(storage, path)), name_from_bytes(storage, path, data)


def _read_or_error(source: SourceFile) -> bytes | OSError:
    try:
        return _read(source)
    except OSError as exc:
        return exc


def _text(source: SourceFile) -> str:
    """Return the source's text as post_process reads it (raises OSError or ValueError)."""
    try:
        return _read(source).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8, so collectstatic fails on it: {exc}") from exc


def _settle(
    storage: ManifestStorage,
    sources: dict[str, SourceFile],
    texts: dict[str, str],
    result: ExpectedNames,
    copied: CopiedSources,
) -> None:
    """Rewrite the text files until no hashed name changes: post_process's fixed point.

    Only files whose references changed are rewritten again, so most files are rewritten once;
    a file whose source and referenced names are as last time reuses its last result unread
    (its ``texts`` entry is then empty, and the file is read only if a name it uses changed).
    """
    keys = {path: key_of(storage, path) for path in sources}
    names = result.names
    assert isinstance(names, _RecordingDict)  # as compute_expected made it
    dependants: dict[str, set[str]] = {}
    pending = sorted(sources, key=lambda p: (-len(p.split("/")), p))
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        changed: set[str] = set()
        for path in pending:
            stamp = sources[path].stamp
            memo_key = (type(storage), path, stamp) if stamp is not None else None
            known = _rewrites.get(memo_key) if memo_key else None
            if known is not None and _still_holds(known, names, copied):
                seen, hashed, name = set(known[0]), set(known[1]), known[2]
            else:
                names.seen, copied.seen = set(), {}
                try:
                    text = texts.get(path) or _text(sources[path])
                    text = rewrite(storage, path, text, names, copied)
                except (OSError, ValueError, SuspiciousOperation) as exc:
                    # Unreadable, not UTF-8, or a reference to a file collectstatic cannot find
                    # (or that lies above the storage's root: Django refuses to open it).
                    if isinstance(exc, OSError):
                        result.errors[path] = f"cannot read the source: {exc}"
                    else:
                        result.errors[path] = f"collectstatic would fail: {_first_line(exc)}"
                        result.fatal.add(path)
                    names.pop(keys[path], None)
                    continue
                seen, hashed = names.seen or set(), set(copied.seen)
                name = one_copy(name_from_bytes(storage, path, text.encode()))
                if memo_key is not None and not memo_key[2].is_racy() and caches.for_later():
                    with _rewrites_lock:
                        if len(_rewrites) > 200_000:
                            _rewrites.clear()
                        looked_up = {k: dict.get(names, k) for k in seen}
                        _rewrites[memo_key] = (looked_up, dict(copied.seen), name)
            # The copies it hashed are references too ("files it references changed").
            result.references[path] = frozenset(seen | hashed) if seen or hashed else _NO_REFERENCES
            for target in seen:
                dependants.setdefault(target, set()).add(path)
            if dict.get(names, keys[path]) != name:
                names[keys[path]] = name
                changed.add(keys[path])
        pending = sorted(
            {p for key in changed for p in dependants.get(key, ()) if p not in result.errors},
            key=lambda p: (-len(p.split("/")), p),
        )
    for path in pending:
        result.errors[path] = (
            "collectstatic would fail: its references form a cycle that post_process cannot settle"
        )
        result.fatal.add(path)
        names.pop(keys[path], None)
    names.seen = None  # settled: the layers' lookups are not recorded


def _still_holds(
    known: tuple[_Used, _Used, str],
    names: _RecordingDict,
    copied: CopiedSources,
) -> bool:
    """Return True if every name and copy a memoised rewrite used is as it was then."""
    try:
        return all(dict.get(names, k) == v for k, v in known[0].items()) and all(
            copied.digest(path) == digest for path, digest in known[1].items()
        )
    except OSError:
        return False  # rewrite again, and say why it cannot be read


def _read(source: SourceFile) -> bytes:
    if source.read is not None:
        return source.read()
    if source.stamp is None:
        raise OSError(f"no readable file for {source.path!r}")
    return fingerprints.read_recorded(source.stamp)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
