"""Inline image previews for the detail page, as ``data:`` URIs.

A ``data:`` URI inside ``<img>`` never runs script (not even an SVG's), needs no second view that
serves files, and so no URL that could be pointed at a file the inventory did not list.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from django.utils.translation import gettext

from ..core.fingerprints import FileStamp, read_recorded

IMAGE_TYPES = {
    ".apng": "image/apng",
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


@dataclass(frozen=True, slots=True)
class Preview:
    data_uri: str | None = None
    note: str | None = None


def is_image(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in IMAGE_TYPES


def image_preview(path: str, stamp: FileStamp, *, max_bytes: int) -> Preview:
    """Return the listed image ``stamp`` (served as ``path``) as a data URI, or why not: as
    it is now, should it have been written since the check."""
    content_type = IMAGE_TYPES[os.path.splitext(path)[1].lower()]
    try:
        data = read_recorded(stamp, max_bytes, any_version=True)
    except OSError as exc:
        return Preview(note=gettext("could not read: %(why)s") % {"why": exc.strerror or exc})
    if len(data) > max_bytes:
        return Preview(
            note=gettext("larger than %(size)s bytes: no preview") % {"size": f"{max_bytes:,}"}
        )
    encoded = base64.b64encode(data).decode("ascii")
    return Preview(data_uri=f"data:{content_type};base64,{encoded}")
