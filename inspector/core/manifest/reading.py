"""Reading a manifest storage's ``staticfiles.json`` as ``load_manifest`` would, without raising."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from .. import caches
from ..fingerprints import FileStamp
from ..shared_strings import one_copy
from ..storage.instance import ManifestStorage, S3Storage, as_s3, configured_class

SUPPORTED_VERSIONS = ("1.0", "1.1")  # what ManifestFilesMixin.load_manifest accepts


@dataclass
class ParsedManifest:
    paths: dict[str, str] = field(default_factory=dict)
    version: str | None = None
    stored_hash: str | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ManifestText:
    """What reading the manifest gave: its content parsed (None if there is none), or why the
    read failed.

    The text is let go once parsed (a 100,000-path manifest is 10 MB of text): ``digest``, its
    md5, tells two readings of the same manifest apart from two of different ones. ``stamp`` is
    the local manifest file's stamp taken before reading it (size -1 when absent, None when
    remote): enough for a client to tell cheaply that the file changed since.
    """

    parsed: ParsedManifest | None
    error: str | None = None
    stamp: FileStamp | None = field(default=None, compare=False)
    digest: str | None = None

    @classmethod
    def of(cls, text: str | None, stamp: FileStamp | None = None) -> ManifestText:
        """Return the reading of ``text`` (None: there is no manifest), parsed once per text."""
        if text is None:
            return cls(None, None, stamp)
        digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
        return cls(_parsed_once(digest, text), None, stamp, digest)


def read_manifest_text(
    storage: ManifestStorage, previous: ManifestText | None = None, s3_client: Any = None
) -> ManifestText:
    """Read the manifest of ``storage`` (a ``ManifestFilesMixin`` storage) once.

    A local manifest whose stamp is ``previous``'s (and was not racy) is not read again:
    ``previous`` is returned. ``s3_client`` reads an S3 manifest with one GetObject through
    the caller's client (from any thread) where the storage reads it the stock way.
    """
    stamp = None
    target = storage.manifest_storage
    if isinstance(target, FileSystemStorage) and target.location:
        location = target.path(storage.manifest_name)
        try:
            stamp = FileStamp.of(location)
        except OSError:
            stamp = FileStamp("", location, -1, -1, 0)
        if (
            previous is not None
            and previous.stamp == stamp
            and stamp.size >= 0
            and not stamp.is_racy()
        ):
            return previous
    try:
        s3 = as_s3(target)
        stock = getattr(type(storage), "read_manifest", None) is ManifestFilesMixin.read_manifest
        if s3 is not None and s3_client is not None and stock:
            text = _read_s3(s3, storage.manifest_name, s3_client)
        else:
            text = storage.read_manifest()
    except Exception as exc:  # unreadable bytes, permissions, network
        return ManifestText(None, f"cannot read the manifest: {exc}", stamp)
    return ManifestText.of(text, stamp)


def _read_s3(storage: S3Storage, name: str, client: Any) -> str | None:
    """Return the text of ``name`` with one GetObject (None if there is no such object)."""
    from storages.utils import clean_name

    key = storage._normalize_name(clean_name(name))
    try:
        answer = client.get_object(Bucket=storage.bucket_name, Key=key)
    except client.exceptions.NoSuchKey:
        return None
    return bytes(answer["Body"].read()).decode()


# The last manifest parsed, by the md5 of its text: a remote manifest is read again once its
# listing is old, and a large one is parsed once per version of it, not once per reading.
_parsed: dict[str, ParsedManifest] = {}
_parsed_lock = threading.Lock()


def _forget_parsed() -> None:
    with _parsed_lock:
        _parsed.clear()


caches.register(
    "parsed-manifest",
    _forget_parsed,
    fresh_while="the md5 of the manifest's text is the same",
)


def _parsed_once(digest: str, text: str) -> ParsedManifest:
    with _parsed_lock:
        found = _parsed.get(digest)
    if found is None:
        found = parse_manifest(text)
        with _parsed_lock:
            _parsed.clear()  # one manifest per configuration: keep the latest only
            _parsed[digest] = found
    return found


def parse_manifest(raw: str) -> ParsedManifest:
    """Parse manifest text as ``load_manifest`` would; a problem says why Django would refuse."""
    try:
        stored = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        return ParsedManifest(problem=f"malformed manifest (not JSON: {exc})")
    if not isinstance(stored, dict):
        return ParsedManifest(problem="malformed manifest (not a JSON object)")
    version = stored.get("version")
    if version not in SUPPORTED_VERSIONS:
        return ParsedManifest(
            version=str(version) if version is not None else None,
            problem=f"unsupported manifest version {version!r} (Django reads "
            f"{' and '.join(SUPPORTED_VERSIONS)})",
        )
    paths = stored.get("paths", {})
    if not isinstance(paths, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in paths.items()
    ):
        return ParsedManifest(
            version=version, problem="malformed manifest: 'paths' is not a str->str map"
        )
    stored_hash = stored.get("hash")
    paths = {one_copy(path): one_copy(hashed) for path, hashed in paths.items()}
    return ParsedManifest(paths, version, stored_hash if isinstance(stored_hash, str) else None)


def hash_matches(storage: ManifestStorage, parsed: ParsedManifest) -> bool | None:
    """Return whether the stored ``hash`` still matches the stored paths (None: no hash)."""
    if not parsed.stored_hash:
        return None
    payload = json.dumps(sorted(parsed.paths.items())).encode()
    try:
        return bool(storage.file_hash(None, ContentFile(payload)) == parsed.stored_hash)
    except Exception:
        return None


def has_local_manifest(storage: ManifestStorage) -> bool:
    """Return True if ``storage`` keeps its manifest in a local folder and a file is there,
    without reading it."""
    target = storage.manifest_storage
    if not isinstance(target, FileSystemStorage) or not target.location:
        return False
    try:
        return os.path.isfile(target.path(storage.manifest_name))
    except Exception:  # a name the storage refuses: read_manifest_text says why
        return False


def manifest_location(storage: ManifestStorage) -> str:
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
