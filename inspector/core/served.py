"""The served layer's records: what to request for a path, and what the request found.

The HTTP work is ``inspector.served``'s; these are the values the layers, rows and pages share.
"""

from __future__ import annotations

from dataclasses import dataclass

from .status import ServedStatus


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    path: str  # the static path, for reporting
    url: str  # absolute http(s) URL to GET
    hashed: bool  # the URL names a content-hashed file, so a long cache is expected
    expected_md5: str | None  # md5 of the collected copy; None: bytes not compared
    expected_size: int | None


@dataclass(frozen=True, slots=True)
class ServedResult:
    path: str
    url: str
    status: ServedStatus
    http_status: int | None
    detail: str  # one sentence saying why this status
    problems: tuple[str, ...] = ()  # header problems: any of them makes the status `headers`
    notes: tuple[str, ...] = ()  # informational only
    content_type: str | None = None
    cache_control: str | None = None
    content_encoding: str | None = None
    age: str | None = None
    x_cache: str | None = None  # value of X-Cache, CF-Cache-Status or X-Cache-Status
    size: int | None = None  # of the decoded body
    md5: str | None = None  # of the decoded body
    elapsed_ms: float | None = None
