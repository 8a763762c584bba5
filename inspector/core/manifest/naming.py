"""How a manifest storage names files: hash keys, hashed names (and whether a hashed copy's
bytes still give it its own), production URLs.

Fast paths stand in for the storage's own methods only where the storage's answers for sample
names agree with them, checked once per instance, so a subclass that names files otherwise is
always asked itself.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.contrib.staticfiles.storage import HashedFilesMixin
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from ..paths import is_plain_name
from ..storage.instance import InspectingMixin, KnownDigest, ManifestStorage


def uses_md5_names(cls: type) -> bool:
    """Return True if names carry Django's own 12-hex md5: then cached digests can be used."""
    for klass in cls.__mro__:
        if klass is InspectingMixin:
            continue
        if "file_hash" in vars(klass):
            return klass is HashedFilesMixin
    return False


def is_adjustable(storage: ManifestStorage, path: str) -> bool:
    """Return True if post_process rewrites references inside ``path`` (CSS, JS by default)."""
    return adjustable_match(storage)(path) is not None


def adjustable_match(storage: ManifestStorage) -> Callable[[str], re.Match[str] | None]:
    """Return the ``match`` of one expression for every ``_patterns`` glob: a path matches
    (``is_adjustable``) if any glob does. One C call per path, or a C loop with ``filter``."""
    known = getattr(storage, "_inspector_adjustable", None)
    if known is None:
        either = "|".join(f"(?:{glob.pattern})" for glob, _ in pattern_globs(storage))
        known = re.compile(either or "(?!)").match  # no pattern: nothing is adjustable
        setattr(storage, "_inspector_adjustable", known)  # noqa: B010 (a memo on the instance)
    return known


def pattern_globs(storage: ManifestStorage) -> list[tuple[re.Pattern[str], str]]:
    """Return each ``_patterns`` key (a glob such as ``*.css``) compiled as ``matches_patterns``
    applies it (``fnmatchcase``), with the key: one C call per path instead of fnmatch's."""
    known = getattr(storage, "_inspector_globs", None)
    if known is None:
        known = [(re.compile(fnmatch.translate(glob)), glob) for glob in storage._patterns]
        setattr(storage, "_inspector_globs", known)  # noqa: B010 (a memo on the instance)
    return list(known)


def key_of(storage: ManifestStorage, path: str) -> str:
    """Return the manifest key post_process stores ``path`` under."""
    return str(storage.hash_key(storage.clean_name(path)))


def hashed_name_for(storage: ManifestStorage, path: str, data: bytes | KnownDigest) -> str:
    """Return the name ``storage`` gives ``path`` when its (final) content is ``data``."""
    if isinstance(data, bytes):
        data = KnownDigest(hashlib.md5(data, usedforsecurity=False).hexdigest())
    if is_plain_name(path) and _fast_names_agree(storage):
        return _fast_hashed_name(path, data.md5_hex[:12])
    return str(storage.clean_name(storage.hashed_name(path, data)))


def name_from_bytes(storage: ManifestStorage, path: str, data: bytes) -> str:
    """Return the name ``storage`` gives ``path`` with these bytes, whatever its ``file_hash``."""
    if uses_md5_names(type(storage)):
        return hashed_name_for(storage, path, data)
    # A custom file_hash decides the name: give it real content, as post_process does.
    return str(storage.clean_name(storage.hashed_name(path, ContentFile(data))))


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


def _fast_hashed_name(path: str, digest12: str) -> str:
    """``hashed_name`` for a plain name, without its URL parsing (a third of the cold time)."""
    folder, slash, filename = path.rpartition("/")
    # os.path.splitext's rule, without its general case: the extension starts at the last dot,
    # unless only dots come before it (".hidden", "..x" have none).
    dot = filename.rfind(".")
    if dot <= 0 or (filename[0] == "." and not filename[:dot].lstrip(".")):
        return f"{folder}{slash}{filename}.{digest12}"
    return f"{folder}{slash}{filename[:dot]}.{digest12}{filename[dot:]}"


def _fast_names_agree(storage: ManifestStorage) -> bool:
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
        setattr(storage, "_inspector_fast_names", agreed)  # noqa: B010 (a memo on the instance)
    return bool(agreed)


# Names whose URL is the storage's base URL followed by the name, unchanged: no character that
# quoting, unquoting or URL joining would touch; ``_PLAIN_URL_FILE`` also has no "." or ".."
# segment, which joining would resolve.
_PLAIN_URL_NAME = re.compile(r"[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*")
_SEGMENT = r"(?!\.\.?(?:/|$))[A-Za-z0-9_.\-]+"
_PLAIN_URL_FILE = re.compile(f"{_SEGMENT}(?:/{_SEGMENT})*")


def production_url(storage: ManifestStorage, path: str, hashed: str) -> str | None:
    """Return the URL ``{% static path %}`` renders with DEBUG=False and ``hashed`` as entry."""
    base = _plain_url_base(storage)
    if base and _PLAIN_URL_NAME.fullmatch(path) and _PLAIN_URL_FILE.fullmatch(hashed):
        # What _url's urldefrag, urljoin and unquote give for such a name, at a fraction of the
        # cost (a third of the CLI's JSON time at 20,000 paths).
        return base + hashed
    try:
        return str(storage._url(_always(hashed), path, force=True))
    except Exception:
        return None


def _plain_url_base(storage: ManifestStorage) -> str:
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
    own_url = getattr(type(storage), "_url", None)
    if own_url is getattr(HashedFilesMixin, "_url", None) and url_owner is FileSystemStorage:
        try:
            candidate = str(getattr(storage, "base_url", ""))
            samples = ("a/b.c", "x.0123456789ab.css", "d-e/f_g.h.js")
            if all(storage._url(_always(s), s, force=True) == candidate + s for s in samples):
                base = candidate
        except Exception:
            base = ""
    setattr(storage, "_inspector_url_base", base)  # noqa: B010 (a memo on the instance)
    return base


def _always(name: str) -> Callable[[str], str]:
    """Return a ``hashed_name_func`` for ``_url`` that names every file ``name``."""
    return lambda _original: name
