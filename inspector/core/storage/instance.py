"""One inspecting instance of the configured staticfiles storage, per configuration.

Never the shared ``staticfiles_storage``: a manifest storage gets a subclass that does not load
its manifest on construction (the inspector reads it itself, and a corrupt one must be reported,
not raised) and accepts precomputed digests (and, for a missed lookup, the content collectstatic
would have just copied: ``copied_content``); a remote client gets the inspector's own timeouts,
so that no page waits on a stalled endpoint for long.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from re import Match, Pattern
from typing import Any, Protocol, cast
from urllib.parse import unquote, urlsplit

from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.module_loading import import_string

from ...conf import get_config
from .. import caches


class KnownDigest:
    """Content whose md5 is already known: ``file_hash`` uses it instead of reading bytes."""

    def __init__(self, md5_hex: str) -> None:
        self.md5_hex = md5_hex


class ManifestStorage(Protocol):
    """What the inspector uses of a ``ManifestFilesMixin`` storage (always a Storage too)."""

    manifest_name: str
    manifest_strict: bool
    manifest_storage: Storage
    # Per extension, (pattern, template) or, on Django >= 6.1, (pattern, template, ignored).
    _patterns: dict[str, list[tuple[Any, ...]]]

    def hash_key(self, name: str) -> str: ...

    def clean_name(self, name: str) -> str: ...

    def hashed_name(
        self, name: str, content: File[Any] | KnownDigest | None = None, filename: str | None = None
    ) -> str: ...

    def file_hash(
        self, name: str | None, content: File[Any] | KnownDigest | None = None
    ) -> str | None: ...

    def read_manifest(self) -> str | None: ...

    def url_converter(
        self,
        name: str,
        hashed_files: dict[str, Any],
        template: str | None = None,
        ignored_blocks: list[tuple[int, int]] | None = None,
    ) -> Callable[[Match[str]], str]: ...

    def get_ignored_blocks(self, content: str, pattern: Pattern[str]) -> list[tuple[int, int]]: ...

    def _url(
        self,
        hashed_name_func: Callable[[str], str],
        name: str,
        force: bool = False,
        hashed_files: dict[str, str] | None = None,
    ) -> str: ...

    def url(self, name: str, force: bool = False) -> str: ...

    def open(self, name: str, mode: str = "rb") -> File[Any]: ...


def as_manifest_storage(storage: object) -> ManifestStorage | None:
    """Return ``storage`` seen as a manifest storage, or None if it keeps no manifest."""
    return cast(ManifestStorage, storage) if isinstance(storage, ManifestFilesMixin) else None


# Per thread, while post_process's rewrite is reproduced: the content collectstatic has just
# copied into the storage for a path (see ``copied_content``).
_copied = threading.local()
CopiedContent = Callable[[str], "File[Any] | KnownDigest | None"]


@contextmanager
def copied_content(provider: CopiedContent) -> Iterator[None]:
    """Let ``hashed_name`` hash ``provider(path)`` instead of the stored copy of ``path``.

    Django's converter looks a reference up in ``hashed_files`` by a key that keeps its query
    (``logo.png?v=2``) or trailing whitespace (a CSS ``sourceMappingURL``); on a miss it hashes
    the unhashed copy in the storage, which ``collectstatic`` has just overwritten with today's
    source. The provider gives that content (None: the storage's own copy, as Django reads it).
    """
    previous = getattr(_copied, "provider", None)
    _copied.provider = provider
    try:
        yield
    finally:
        _copied.provider = previous


class InspectingMixin:
    """Never load the manifest on construction, and accept precomputed digests."""

    def load_manifest(self) -> tuple[dict[str, str], str]:
        return {}, ""

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        provider: CopiedContent | None = getattr(_copied, "provider", None)
        if content is None and provider is not None:
            # The file Django would open, found exactly as ``HashedFilesMixin.hashed_name`` does.
            path = (filename and urlsplit(unquote(filename)).path.strip()) or urlsplit(
                unquote(name)
            ).path.strip()
            content = provider(path)
        parent = cast(ManifestStorage, super())
        return parent.hashed_name(name, content, filename)

    def file_hash(self, name: str | None, content: Any = None) -> str | None:
        if isinstance(content, KnownDigest):
            return content.md5_hex[:12]
        parent = cast(ManifestStorage, super())
        return parent.file_hash(name, content)


def inspecting_class(cls: type[ManifestFilesMixin]) -> type[ManifestFilesMixin]:
    """Return a subclass of the configured storage class that is safe for the inspector."""
    return type(
        f"Inspecting{cls.__name__}",
        (InspectingMixin, cls),
        {"__module__": __name__, "__qualname__": f"Inspecting{cls.__name__}"},
    )


def configured_class(storage: object) -> type:
    """Return the configured storage class behind an inspecting instance (for messages)."""
    mro = type(storage).__mro__
    if InspectingMixin in mro:
        return mro[mro.index(InspectingMixin) + 1]
    return type(storage)


class S3Storage(Protocol):
    """What the inspector uses of django-storages' ``S3Storage`` (untyped upstream)."""

    bucket_name: str
    location: str
    gzip: bool
    client_config: Any  # botocore's Config, or None

    @property
    def connection(self) -> Any: ...  # a boto3 ServiceResource

    def _normalize_name(self, name: str) -> str: ...


def as_s3(storage: object) -> S3Storage | None:
    """Return ``storage`` seen as django-storages' S3 backend, or None if it is not one."""
    # An S3Storage instance means its module is loaded already; importing it otherwise would
    # pull in boto3 (a tenth of a second) just to learn that a local storage is not S3.
    module = sys.modules.get("storages.backends.s3")
    s3_class = getattr(module, "S3Storage", None) if module is not None else None
    if s3_class is not None and isinstance(storage, s3_class):
        return cast(S3Storage, storage)
    return None


def is_s3(storage: object) -> bool:
    """Return True for django-storages' S3 backends (an optional dependency)."""
    return as_s3(storage) is not None


def keeps_only_hashed(storage: object) -> bool:
    """Return True if ``storage`` deletes the unhashed copies after post-processing
    (whitenoise's ``WHITENOISE_KEEP_ONLY_HASHED_FILES``)."""
    return bool(getattr(storage, "keep_only_hashed_files", False))


def is_remote(storage: Storage) -> bool:
    """Return True unless the storage is a folder on this machine."""
    return not (isinstance(storage, FileSystemStorage) and storage.location)


def describe(storage: Storage) -> str:
    """Return where the storage keeps files: a folder, ``s3://bucket/location``, or its class."""
    if isinstance(storage, FileSystemStorage) and storage.location:
        return str(storage.location)
    s3 = as_s3(storage)
    if s3 is not None:
        location = str(s3.location or "").strip("/")
        return f"s3://{s3.bucket_name}/{location}".rstrip("/")
    return configured_class(storage).__name__


def staticfiles_params() -> dict[str, Any]:
    """Return the configured ``STORAGES['staticfiles']`` entry (a copy)."""
    return dict(settings.STORAGES.get(STATICFILES_STORAGE_ALIAS) or {})


def params_key() -> str:
    """Return the settings the storage is built from, as one string to compare or digest."""
    # The storage reads these at construction; a change (tests, setting_changed) makes a new one.
    return repr((staticfiles_params(), settings.STATIC_ROOT, settings.STATIC_URL))


@dataclass
class _Made:
    params: str = ""
    storage: Storage | None = None
    error: str | None = None


_made = _Made()
_lock = threading.Lock()


def collected_storage() -> tuple[Storage | None, str | None]:
    """Return (the inspecting instance of the configured staticfiles storage, or the error)."""
    key = params_key()
    with _lock:
        if _made.params != key:
            storage, error = _make(staticfiles_params())
            _made.params, _made.storage, _made.error = key, storage, error
        return _made.storage, _made.error


def _forget() -> None:
    with _lock:
        _made.params, _made.storage, _made.error = "", None, None


caches.register(
    "storage",
    _forget,
    fresh_while="STORAGES['staticfiles'], STATIC_ROOT and STATIC_URL are unchanged",
)


def _make(params: dict[str, Any]) -> tuple[Storage | None, str | None]:
    backend = params.get("BACKEND")
    if not backend:
        return None, "no staticfiles storage is configured (STORAGES['staticfiles'])"
    try:
        cls = import_string(str(backend))
    except Exception as exc:
        return None, f"cannot import the staticfiles storage {backend!r}: {exc}"
    if isinstance(cls, type) and issubclass(cls, ManifestFilesMixin):
        cls = inspecting_class(cls)
    try:
        storage = cls(**params.get("OPTIONS", {}))
    except Exception as exc:  # misconfiguration of any backend (STATIC_ROOT, credentials...)
        return None, f"cannot create {backend}: {exc}"
    if not isinstance(storage, Storage):
        return None, f"{backend} is not a Django storage class"
    timeout = float(get_config()["TIMEOUT"])
    s3 = as_s3(storage)
    if s3 is not None:
        _bound_waits(s3, timeout)
    # A manifest kept in a storage of its own (one folder per release) is read through it.
    target = getattr(storage, "manifest_storage", storage)
    manifest_s3 = as_s3(target) if target is not storage else None
    if manifest_s3 is not None:
        _bound_waits(manifest_s3, timeout)
    return storage, None


def _bound_waits(storage: S3Storage, timeout: float) -> None:
    """Give the S3 client the inspector's timeouts, and one retry instead of botocore's
    several with backoff (which turn a refused connection into a long wait)."""
    from botocore.config import Config

    ours = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"mode": "standard", "total_max_attempts": 2},
    )
    base = storage.client_config
    storage.client_config = base.merge(ours) if base is not None else ours
