"""What a manifest storage *would* write for the current sources, computed without writing.

``ManifestFilesMixin.post_process`` names a plain file after the md5 of its bytes, but a CSS or JS
file after the md5 of its text *once its ``url()``/``@import``/sourceMappingURL references are
rewritten* to the hashed names of their targets, repeated until no name changes any more. This
module reproduces that fixed point in memory with the storage's own regular expressions and URL
converter, so the Django version's own rules apply (6.1 skips URLs inside comments, 5.2 does not)
and an untouched collection never looks stale.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.staticfiles.utils import matches_patterns
from django.core.files.base import ContentFile, File

from .. import caches, fingerprints
from ..fingerprints import FileStamp
from ..storage.instance import KnownDigest, ManifestStorage
from .naming import hashed_name_for, is_adjustable, key_of, uses_md5_names

# A chain of N files that import each other needs N rounds; Django gives up after 1 + 5 passes,
# so a longer wait can only mean a reference cycle that post_process could never have resolved.
MAX_ROUNDS = 64


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The bytes collectstatic takes for one path: a local file, or a reader for anything else."""

    path: str
    stamp: FileStamp | None
    read: Callable[[], bytes] | None = None
    # Said when the bytes are not the source's own (e.g. the collected copy stands in for them).
    caveat: str = ""


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


class _RecordingDict(dict[str, str]):
    """The ``hashed_files`` handed to Django's converter: remembers every key it looks up."""

    def __init__(self, data: Mapping[str, str]) -> None:
        super().__init__(data)
        self.seen: set[str] = set()

    def __setitem__(self, key: str, value: str) -> None:
        # Never called by Django's converter; only by _settle, which owns the mapping.
        super().__setitem__(key, value)

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)


def rewrite(storage: ManifestStorage, name: str, content: str, hashed_files: dict[str, str]) -> str:
    """Return ``content`` with its references rewritten exactly as ``_post_process`` does."""
    for extension, patterns in storage._patterns.items():
        if not matches_patterns(name, (extension,)):
            continue
        for entry in patterns:
            pattern, template = entry[0], entry[1]
            if len(entry) == 3:  # Django >= 6.1: URLs inside comments and strings are skipped
                ignored = storage.get_ignored_blocks(content, entry[2])
                converter = storage.url_converter(name, hashed_files, template, ignored)
            else:
                converter = storage.url_converter(name, hashed_files, template)
            content = pattern.sub(converter, content)
    return content


# (storage class, path, source stamp) -> (the hashed names its rewrite looked up, its hashed
# name): a file whose source and looked-up names are as last time is not read or rewritten again.
_Memo = tuple[type, str, FileStamp]
_rewrites: dict[_Memo, tuple[dict[str, str | None], str]] = {}
_rewrites_lock = threading.Lock()


def _clear_rewrites() -> None:
    with _rewrites_lock:
        _rewrites.clear()


caches.register(
    "rewrites",
    _clear_rewrites,
    fresh_while="the source's stamp and every hashed name its rewrite looked up are unchanged",
)


def compute_expected(storage: ManifestStorage, sources: Iterable[SourceFile]) -> ExpectedNames:
    """Return what post_process would name every path of ``sources`` if collectstatic ran now."""
    md5_names = uses_md5_names(type(storage))
    files = {source.path: source for source in sources}
    adjustable = frozenset(p for p in files if is_adjustable(storage, p))
    result = ExpectedNames(adjustable=adjustable)
    plain = [p for p in files if p not in adjustable]

    # Plain files: one digest each, through the shared fingerprint cache where they are on disk.
    on_disk = [files[p].stamp for p in plain if files[p].stamp is not None and md5_names]
    digests = fingerprints.md5_many(s for s in on_disk if s is not None)
    for path in plain:
        source = files[path]
        try:
            if md5_names and source.stamp is not None:
                digest = digests[source.stamp]
                if isinstance(digest, OSError):
                    raise digest
                name = hashed_name_for(storage, path, KnownDigest(digest))
            else:
                name = _name_from_bytes(storage, path, _read(source))
        except (OSError, ValueError) as exc:
            result.errors[path] = f"cannot read the source: {exc}"
            continue
        result.names[key_of(storage, path)] = name

    for path in sorted(adjustable):
        stamp = files[path].stamp
        known = _rewrites.get((type(storage), path, stamp)) if stamp is not None else None
        if known is not None:
            # Any starting name converges to the same fixed point; the last one gets there at once.
            result.names[key_of(storage, path)] = known[1]
            continue
        try:
            data = _read(files[path])
        except OSError as exc:
            result.errors[path] = f"cannot read the source: {exc}"
            continue
        # Django's first pass names a not-yet-processed target after its raw bytes.
        result.names[key_of(storage, path)] = _name_from_bytes(storage, path, data)
    _settle(storage, {p: files[p] for p in adjustable if p not in result.errors}, result)
    return result


def _text(source: SourceFile) -> str:
    """Return the source's text as post_process reads it (raises OSError or ValueError)."""
    try:
        return _read(source).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8, so collectstatic fails on it: {exc}") from exc


def _settle(
    storage: ManifestStorage, sources: dict[str, SourceFile], result: ExpectedNames
) -> None:
    """Rewrite the text files until no hashed name changes: post_process's fixed point.

    Only files whose references changed are rewritten again, so most files are rewritten once;
    a file whose source and referenced names are as last time reuses its last result unread.
    """
    keys = {path: key_of(storage, path) for path in sources}
    names = _RecordingDict(result.names)
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
            if known is not None and all(dict.get(names, k) == v for k, v in known[0].items()):
                seen, name = set(known[0]), known[1]
            else:
                names.seen = set()
                try:
                    text = rewrite(storage, path, _text(sources[path]), names)
                except (OSError, ValueError) as exc:
                    # Unreadable, not UTF-8, or a reference to a file collectstatic cannot find.
                    if isinstance(exc, OSError):
                        result.errors[path] = f"cannot read the source: {exc}"
                    else:
                        result.errors[path] = f"collectstatic would fail: {_first_line(exc)}"
                        result.fatal.add(path)
                    names.pop(keys[path], None)
                    continue
                seen, name = names.seen, _name_from_bytes(storage, path, text.encode())
                if memo_key is not None and not memo_key[2].is_racy():
                    with _rewrites_lock:
                        if len(_rewrites) > 200_000:
                            _rewrites.clear()
                        _rewrites[memo_key] = ({k: dict.get(names, k) for k in seen}, name)
            result.references[path] = frozenset(seen)
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
    result.names = dict(names)


def _name_from_bytes(storage: ManifestStorage, path: str, data: bytes) -> str:
    if uses_md5_names(type(storage)):
        return hashed_name_for(storage, path, data)
    # A custom file_hash decides the name: give it real content, as post_process does.
    return str(storage.clean_name(storage.hashed_name(path, ContentFile(data))))


def _read(source: SourceFile) -> bytes:
    if source.read is not None:
        return source.read()
    if source.stamp is None:
        raise OSError(f"no readable file for {source.path!r}")
    with open(source.stamp.location, "rb") as stream:
        return stream.read()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)


def verify_hashed_file(
    storage: ManifestStorage,
    path: str,
    hashed: str,
    digest: str | None,
    opener: Callable[[str], File[Any]] | None = None,
) -> bool:
    """Return True if the bytes of the hashed file ``hashed`` still give it its own name.

    ``digest`` is the md5 of those bytes when known (local files); otherwise ``opener`` reads them.
    """
    if digest is not None:
        return hashed_name_for(storage, path, KnownDigest(digest)) == hashed
    if opener is None:
        return True
    with opener(hashed) as content:
        return storage.clean_name(storage.hashed_name(path, content)) == hashed
