"""What a manifest storage *would* write for the current sources, computed without writing.

``ManifestFilesMixin.post_process`` names a plain file after the md5 of its bytes, but a CSS or JS
file after the md5 of its text *once its ``url()``/``@import``/sourceMappingURL references are
rewritten* to the hashed names of their targets, repeated until no name changes any more. This
module reproduces that fixed point in memory with the storage's own regular expressions and URL
converter, so the Django version's own rules apply (6.1 skips URLs inside comments, 5.2 does not)
and an untouched collection never looks stale.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.staticfiles.storage import HashedFilesMixin, ManifestFilesMixin
from django.contrib.staticfiles.utils import matches_patterns
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from . import fingerprints
from .fingerprints import FileStamp

# A chain of N files that import each other needs N rounds; Django gives up after 1 + 5 passes,
# so a longer wait can only mean a reference cycle that post_process could never have resolved.
MAX_ROUNDS = 64


class KnownDigest:
    """Content whose md5 is already known: ``file_hash`` uses it instead of reading bytes."""

    def __init__(self, md5_hex: str) -> None:
        self.md5_hex = md5_hex


class _InspectingMixin:
    """Never load the manifest on construction, and accept precomputed digests.

    Loading on construction would raise for a corrupt manifest before anything could be reported,
    and would cost one more read (a GET on S3) per instance; the inspector reads it itself.
    """

    def load_manifest(self) -> tuple[dict[str, str], str]:
        return {}, ""

    def file_hash(self, name: str | None, content: Any = None) -> str | None:
        if isinstance(content, KnownDigest):
            return content.md5_hex[:12]
        return super().file_hash(name, content)  # type: ignore[misc]


def inspecting_class(cls: type[ManifestFilesMixin]) -> type[ManifestFilesMixin]:
    """Return a subclass of the configured storage class that is safe for the inspector."""
    return type(
        f"Inspecting{cls.__name__}",
        (_InspectingMixin, cls),
        {"__module__": __name__, "__qualname__": f"Inspecting{cls.__name__}"},
    )


def configured_class(storage: object) -> type:
    """Return the configured storage class behind an inspecting instance (for messages)."""
    mro = type(storage).__mro__
    if _InspectingMixin in mro:
        return mro[mro.index(_InspectingMixin) + 1]
    return type(storage)


def uses_md5_names(cls: type) -> bool:
    """Return True if names carry Django's own 12-hex md5: then cached digests can be used."""
    for klass in cls.__mro__:
        if klass is _InspectingMixin:
            continue
        if "file_hash" in vars(klass):
            return klass is HashedFilesMixin
    return False


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


class _RecordingDict(dict[str, str]):
    """The ``hashed_files`` handed to Django's converter: remembers every key it looks up."""

    def __init__(self, data: Mapping[str, str]) -> None:
        super().__init__(data)
        self.seen: set[str] = set()

    def __setitem__(self, key: str, value: str) -> None:
        # Never called by Django's converter; only by _settle, which owns the mapping.
        super().__setitem__(key, value)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.seen.add(key)
        return super().get(key, default)


def is_adjustable(storage: HashedFilesMixin, path: str) -> bool:
    """Return True if post_process rewrites references inside ``path`` (CSS, JS by default)."""
    return matches_patterns(path, storage._patterns)  # type: ignore[attr-defined]


def key_of(storage: HashedFilesMixin, path: str) -> str:
    """Return the manifest key post_process stores ``path`` under."""
    return storage.hash_key(storage.clean_name(path))


def rewrite(storage: HashedFilesMixin, name: str, content: str, hashed_files: dict) -> str:
    """Return ``content`` with its references rewritten exactly as ``_post_process`` does."""
    patterns_by_ext: dict[str, list[tuple[Any, ...]]] = storage._patterns  # type: ignore[attr-defined]
    for extension, patterns in patterns_by_ext.items():
        if not matches_patterns(name, (extension,)):
            continue
        for entry in patterns:
            pattern, template = entry[0], entry[1]
            if len(entry) == 3:  # Django >= 6.1: URLs inside comments and strings are skipped
                ignored = storage.get_ignored_blocks(content, entry[2])  # type: ignore[attr-defined]
                converter = storage.url_converter(name, hashed_files, template, ignored)  # type: ignore[call-arg]
            else:
                converter = storage.url_converter(name, hashed_files, template)
            content = pattern.sub(converter, content)
    return content


def hashed_name_for(storage: ManifestFilesMixin, path: str, data: bytes | KnownDigest) -> str:
    """Return the name ``storage`` gives ``path`` when its (final) content is ``data``."""
    if isinstance(data, bytes):
        data = KnownDigest(hashlib.md5(data, usedforsecurity=False).hexdigest())
    if _is_plain(path) and _fast_names_agree(storage):
        return _fast_hashed_name(path, data.md5_hex[:12])
    return storage.clean_name(storage.hashed_name(path, data))


# Characters that make ``hashed_name``'s unquote/urlsplit/strip change a name.
_URL_SIGNIFICANT = frozenset("%?#:\\")


def _is_plain(path: str) -> bool:
    return (
        not _URL_SIGNIFICANT.intersection(path)
        and not path.startswith("//")
        and path == path.strip()
    )


def _fast_hashed_name(path: str, digest12: str) -> str:
    """``hashed_name`` for a plain name, without its URL parsing (a third of the cold time)."""
    folder, _, filename = path.rpartition("/")
    root, ext = os.path.splitext(filename)
    return f"{folder}/{root}.{digest12}{ext}" if folder else f"{root}.{digest12}{ext}"


def _fast_names_agree(storage: ManifestFilesMixin) -> bool:
    """Return True if the storage's own ``hashed_name`` gives the fast path's names.

    Checked once per instance on sample names, so a subclass that names files otherwise is
    always asked itself.
    """
    agreed = getattr(storage, "_inspector_fast_names", None)
    if agreed is None:
        samples = ("css/a b.x.css", "noext", "d/.hidden", "d/e.tar.gz", "ünï/çødé's.js")
        digest = "0123456789abcdef0123456789abcdef"
        agreed = all(
            storage.clean_name(storage.hashed_name(s, KnownDigest(digest)))
            == _fast_hashed_name(s, digest[:12])
            for s in samples
        )
        storage._inspector_fast_names = agreed  # type: ignore[attr-defined]
    return bool(agreed)


# Names whose URL is the storage's base URL followed by the name, unchanged: no character that
# quoting, unquoting or URL joining would touch (dot segments are checked apart).
_PLAIN_URL_NAME = re.compile(r"[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*")


def production_url(storage: ManifestFilesMixin, path: str, hashed: str) -> str | None:
    """Return the URL ``{% static path %}`` renders with DEBUG=False and ``hashed`` as entry."""
    base = _plain_url_base(storage)
    if (
        base
        and _PLAIN_URL_NAME.fullmatch(path)
        and _PLAIN_URL_NAME.fullmatch(hashed)
        and "/./" not in f"/{hashed}/"
        and "/../" not in f"/{hashed}/"
    ):
        # What _url's urldefrag, urljoin and unquote give for such a name, at a fraction of the
        # cost (a third of the CLI's JSON time at 20,000 paths).
        return base + hashed
    try:
        return str(storage._url(lambda _name: hashed, path, force=True))  # type: ignore[attr-defined]
    except Exception:
        return None


def _plain_url_base(storage: ManifestFilesMixin) -> str:
    """Return the base URL that plain names are appended to, or "" to always ask the storage.

    Only for the stock ``_url`` over ``FileSystemStorage.url``, and only if the storage's own
    answers for sample names agree (a base URL with dot segments or escapes would not).
    """
    known = getattr(storage, "_inspector_url_base", None)
    if known is not None:
        return str(known)
    base = ""
    mro = type(storage).__mro__
    after = mro[mro.index(HashedFilesMixin) + 1 :] if HashedFilesMixin in mro else ()
    url_owner = next((k for k in after if "url" in vars(k)), None)
    if type(storage)._url is HashedFilesMixin._url and url_owner is FileSystemStorage:
        try:
            candidate = str(storage.base_url)
            samples = ("a/b.c", "x.0123456789ab.css", "d-e/f_g.h.js")
            if all(
                storage._url(lambda _n, s=s: s, s, force=True) == candidate + s  # type: ignore[attr-defined]
                for s in samples
            ):
                base = candidate
        except Exception:
            base = ""
    storage._inspector_url_base = base  # type: ignore[attr-defined]
    return base


# (storage id, path, source stamp) -> (the hashed names its rewrite looked up, its hashed name)
_rewrites: dict[tuple[int, str, FileStamp], tuple[dict[str, str | None], str]] = {}
_rewrites_lock = threading.Lock()


def clear_rewrites() -> None:
    with _rewrites_lock:
        _rewrites.clear()


def compute_expected(storage: ManifestFilesMixin, sources: Iterable[SourceFile]) -> ExpectedNames:
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
        known = _rewrites.get((id(storage), path, files[path].stamp))
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
    storage: ManifestFilesMixin, sources: dict[str, SourceFile], result: ExpectedNames
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
            memo_key = (id(storage), path, stamp) if stamp is not None else None
            known = _rewrites.get(memo_key) if memo_key else None
            if known is not None and all(dict.get(names, k) == v for k, v in known[0].items()):
                seen, name = set(known[0]), known[1]
            else:
                names.seen = set()
                try:
                    text = rewrite(storage, path, _text(sources[path]), names)
                except (OSError, ValueError) as exc:
                    # Unreadable, not UTF-8, or a reference to a file collectstatic cannot find.
                    result.errors[path] = (
                        f"cannot read the source: {exc}"
                        if isinstance(exc, OSError)
                        else f"collectstatic would fail: {_first_line(exc)}"
                    )
                    names.pop(keys[path], None)
                    continue
                seen, name = names.seen, _name_from_bytes(storage, path, text.encode())
                if memo_key is not None and not stamp.is_racy():  # type: ignore[union-attr]
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
        result.errors[path] = "its references form a cycle that post_process cannot settle"
        names.pop(keys[path], None)
    result.names = dict(names)


def _name_from_bytes(storage: ManifestFilesMixin, path: str, data: bytes) -> str:
    if uses_md5_names(type(storage)):
        return hashed_name_for(storage, path, data)
    # A custom file_hash decides the name: give it real content, as post_process does.
    return storage.clean_name(storage.hashed_name(path, ContentFile(data)))


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
    storage: ManifestFilesMixin,
    path: str,
    hashed: str,
    digest: str | None,
    opener: Callable[[str], File] | None = None,
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
