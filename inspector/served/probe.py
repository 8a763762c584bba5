"""Served probes: what an HTTP client really gets from ``STATIC_URL``.

The sources and the collected storage can both be right while production still serves last week's
copy from a CDN, or serves a hashed file with a one-hour cache. Only asking the server tells. Probes
are opt-in and bounded (a thread pool, a per-request timeout, a total budget) and use the standard
library only, so the core stays importable anywhere and a slow server never hangs a page or CI.
"""

from __future__ import annotations

import hashlib
import http.client
import mimetypes
import socket
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from email.message import Message
from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..core.served import ProbeTarget, ServedResult
from ..core.status import ServedStatus

try:
    import brotli as _brotli  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # optional: without it a br body is reported as not compared, never stale
    _brotli = None

_DECODE_ERRORS: tuple[type[Exception], ...] = (zlib.error,) + (
    (_brotli.error,) if _brotli is not None else ()
)
# Offer br only when it can be decoded: a server preferring it would leave the bytes unchecked.
ACCEPT_ENCODING = "gzip, br" if _brotli is not None else "gzip"

USER_AGENT = "asset-inspector-probe"
LONG_MAX_AGE = 30 * 24 * 3600
SHORT_MAX_AGE = 24 * 3600
COMPRESS_MIN_BYTES = 1024
CHUNK_BYTES = 64 * 1024
CDN_CACHE_HEADERS = ("X-Cache", "CF-Cache-Status", "X-Cache-Status")
COMPRESSIBLE = ("text/", "javascript", "json", "svg", "xml")
# Servers and mimetypes tables name some formats differently; a synonym is not worth a finding.
_SYNONYMS = {
    **dict.fromkeys(
        ("application/javascript", "application/x-javascript", "application/ecmascript"),
        "text/javascript",
    ),
    **dict.fromkeys(("application/font-woff", "application/x-font-woff"), "font/woff"),
    "image/x-icon": "image/vnd.microsoft.icon",
    "text/xml": "application/xml",
}


class _Failed(Exception):
    """A response that cannot be judged; the message is the result's detail."""


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects as a browser would, but never to ``ftp:`` or ``file:`` URLs."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-HTTP URL", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def absolute_url(url: str, base_url: str | None) -> str | None:
    """Return ``storage.url()`` output as an absolute URL, or None if there is nothing to join."""
    if _is_absolute(url):
        return url
    joined = urljoin(base_url, url) if base_url else url
    return joined if _is_absolute(joined) else None


def _is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme and parts.netloc)


def probe(
    targets: Sequence[ProbeTarget],
    *,
    concurrency: int = 4,
    timeout: float = 5.0,
    budget: float = 30.0,
    max_bytes: int = 64 * 1024 * 1024,
) -> list[ServedResult]:
    """Return one result per target, in order, within about ``budget`` seconds: a request
    still running when the budget runs out is reported timed out (a page waits no longer)."""
    if not targets:
        return []
    start_by = time.monotonic() + budget
    give_up_at = start_by
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="inspector-probe")
    futures = [
        pool.submit(_probe_one, opener, t, timeout, max_bytes, start_by, give_up_at, budget)
        for t in targets
    ]
    wait(futures, timeout=max(0.0, give_up_at - time.monotonic()))
    # Never join the pool: a server trickling bytes must not hold the caller. Stragglers stop
    # at their next read (each one bounded by the socket timeout) once past ``give_up_at``.
    pool.shutdown(wait=False, cancel_futures=True)
    results = []
    for target, future in zip(targets, futures, strict=True):
        if future.cancelled():
            results.append(_unchecked(target, budget))
        elif future.done():
            results.append(future.result())
        else:
            detail = f"timed out: no complete answer before the {budget:g} s probe budget ran out"
            results.append(_result(target, ServedStatus.HTTP_ERROR, None, detail))
    return results


def _result(
    target: ProbeTarget,
    status: ServedStatus,
    code: int | None,
    detail: str,
    began: float | None = None,
    **fields: Any,
) -> ServedResult:
    elapsed = None if began is None else (time.monotonic() - began) * 1000
    return ServedResult(target.path, target.url, status, code, detail, elapsed_ms=elapsed, **fields)


def _unchecked(target: ProbeTarget, budget: float) -> ServedResult:
    detail = f"not probed: the {budget:g} s probe budget ran out first"
    return _result(target, ServedStatus.UNCHECKED, None, detail)


def _probe_one(
    opener: urllib.request.OpenerDirector,
    target: ProbeTarget,
    timeout: float,
    max_bytes: int,
    start_by: float,
    give_up_at: float,
    budget: float,
) -> ServedResult:
    began = time.monotonic()
    if began >= start_by:
        return _unchecked(target, budget)
    if urlsplit(target.url).scheme not in ("http", "https"):
        return _result(target, ServedStatus.HTTP_ERROR, None, f"not an http(s) URL: {target.url}")
    request = urllib.request.Request(
        target.url, headers={"Accept-Encoding": ACCEPT_ENCODING, "User-Agent": USER_AGENT}
    )
    # No request may outlast the budget: its socket timeout is what the budget has left.
    timeout = min(timeout, max(0.05, give_up_at - began))
    try:
        with opener.open(request, timeout=timeout) as resp:
            size, md5, body_note = _read_body(resp, max_bytes, give_up_at)
            final_url, code, headers = resp.geturl(), resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        exc.close()
        # urllib's reason for a redirect loop runs over several lines; the first one says it.
        reason = str(exc.reason).partition("\n")[0]
        detail = f"HTTP {exc.code} {reason}".rstrip()
        fields = _header_fields(exc.headers)
        return _result(target, ServedStatus.HTTP_ERROR, exc.code, detail, began=began, **fields)
    except (OSError, http.client.HTTPException, ValueError, _Failed) as exc:
        detail = _reason(exc, timeout)
        return _result(target, ServedStatus.HTTP_ERROR, None, detail, began=began)
    problems, notes = _check_headers(target, headers, size)
    if body_note:
        notes.insert(0, body_note)
    if final_url != target.url:
        notes.append(f"redirected to {final_url}")
    stale = _staleness(target, size, md5)
    if stale:
        status, detail = ServedStatus.STALE, stale
    elif problems:
        status, detail = ServedStatus.HEADERS, "; ".join(problems)
    elif md5 is not None and target.expected_md5 is not None:
        status, detail = ServedStatus.OK, f"HTTP {code}: the served bytes match the collected copy"
    else:
        status, detail = ServedStatus.OK, f"HTTP {code} with sound headers; bytes not compared"
    extra = {"problems": tuple(problems), "notes": tuple(notes), "size": size, "md5": md5}
    return _result(target, status, code, detail, began=began, **extra, **_header_fields(headers))


def _reason(exc: BaseException, timeout: float) -> str:
    """Return why a request failed, in words, looking inside urllib's URLError."""
    if isinstance(exc, _Failed):
        return str(exc)
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"timed out after {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"host not found ({reason.strerror or reason})"
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}".rstrip(": ")
    return str(reason)


def _cdn_header(headers: Message) -> str | None:
    return next((name for name in CDN_CACHE_HEADERS if headers[name]), None)


def _header_fields(headers: Message) -> dict[str, str | None]:
    cdn = _cdn_header(headers)
    return {
        "content_type": headers["Content-Type"],
        "cache_control": ", ".join(headers.get_all("Cache-Control") or []) or None,
        "content_encoding": headers["Content-Encoding"],
        "age": headers["Age"],
        "x_cache": headers[cdn] if cdn else None,
    }


def _read_body(
    resp: http.client.HTTPResponse, max_bytes: int, give_up_at: float
) -> tuple[int | None, str | None, str | None]:
    """Return (decoded size, md5, note); size and md5 are None when the bytes were not compared."""
    coding = (resp.headers["Content-Encoding"] or "identity").strip().lower()
    decode: Callable[[bytes], Iterable[bytes]]
    if coding == "identity":
        decode = lambda chunk: (chunk,)  # noqa: E731
    elif coding in ("gzip", "x-gzip", "deflate"):
        # wbits 47 accepts gzip and zlib framing.
        decode = partial(_inflate, zlib.decompressobj(47))
    elif coding == "br" and _brotli is not None:
        decompressor = _brotli.Decompressor()
        decode = lambda chunk: (decompressor.process(chunk),)  # noqa: E731
    else:
        hint = " (install brotli to compare it)" if coding == "br" else ""
        return None, None, f"served {coding}-encoded: bytes not compared{hint}"
    digest, size = hashlib.md5(usedforsecurity=False), 0
    try:
        # read1 returns after one socket read: the deadline is checked even on a trickling body.
        while chunk := resp.read1(CHUNK_BYTES):
            if time.monotonic() > give_up_at:
                raise _Failed("timed out: the probe budget ran out while reading the body")
            for data in decode(chunk):
                size += len(data)
                if size > max_bytes:
                    note = f"body larger than {max_bytes} bytes: stopped reading, not compared"
                    return None, None, note
                digest.update(data)
    except _DECODE_ERRORS as exc:
        raise _Failed(f"the {coding}-encoded body could not be decoded ({exc})") from exc
    return size, digest.hexdigest(), None


def _inflate(inflater: Any, chunk: bytes) -> Iterator[bytes]:
    # Bounded steps hold a decompression bomb to one chunk in memory while max_bytes stops it.
    while data := inflater.decompress(chunk, CHUNK_BYTES):
        yield data
        chunk = inflater.unconsumed_tail


def _staleness(target: ProbeTarget, size: int | None, md5: str | None) -> str | None:
    if md5 is None:
        return None
    if target.expected_md5 is not None:
        differs = md5 != target.expected_md5
    else:  # without a digest, a different size still proves the bytes differ
        differs = target.expected_size is not None and size != target.expected_size
    if not differs:
        return None
    collected = "" if target.expected_size is None else f", collected {target.expected_size}"
    return f"served bytes differ from the collected copy (served {size} bytes{collected})"


def _cache_directives(cache_control: str) -> tuple[bool, int | None]:
    """Return (immutable, max-age seconds or None) from a Cache-Control value."""
    immutable, max_age = False, None
    for directive in cache_control.split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "immutable":
            immutable = True
        elif name.lower() == "max-age" and max_age is None:
            value = value.strip().strip('"')
            max_age = int(value) if value.isdigit() else None
    return immutable, max_age


def _lifetime(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} s"


def _check_headers(
    target: ProbeTarget, headers: Message, size: int | None
) -> tuple[list[str], list[str]]:
    """Return (problems, notes) about the headers of a successful response."""
    problems: list[str] = []
    notes: list[str] = []
    cache_control = ", ".join(headers.get_all("Cache-Control") or [])
    immutable, max_age = _cache_directives(cache_control)
    if not cache_control and not target.hashed:
        notes.append("no Cache-Control: browsers guess how long to keep the file")
    elif target.hashed and not immutable and (max_age or 0) < LONG_MAX_AGE:
        if max_age is not None:
            kept = f"cached for only {_lifetime(max_age)}"
        elif cache_control:
            kept = f"sent with Cache-Control: {cache_control}"
        else:
            kept = "sent without Cache-Control"
        problems.append(f"hashed file {kept}; use a long max-age/immutable")
    elif not target.hashed and (immutable or (max_age or 0) > SHORT_MAX_AGE):
        kept = "marked immutable" if immutable else f"cached for {_lifetime(max_age or 0)}"
        problems.append(f"unhashed file {kept}: browsers keep the old file after a deploy")
    served_type = (headers["Content-Type"] or "").partition(";")[0].strip().lower()
    guessed, guessed_encoding = mimetypes.guess_type(target.path)
    # A .gz or .br file has no single right Content-Type, so it is not judged.
    if guessed and not guessed_encoding and _media(served_type) != _media(guessed):
        problems.append(f"Content-Type {served_type or 'missing'}, expected {guessed}")
    encoding = (headers["Content-Encoding"] or "").strip().lower()
    vary = {v.strip().lower() for v in ",".join(headers.get_all("Vary") or []).split(",")}
    if encoding not in ("", "identity") and not vary & {"accept-encoding", "*"}:
        problems.append(
            f"Content-Encoding {encoding} without Vary: Accept-Encoding: a shared cache may "
            "send the encoded bytes to clients that did not ask for them"
        )
    compressible = any(kind in served_type for kind in COMPRESSIBLE)
    if (
        compressible
        and encoding in ("", "identity")
        and size is not None
        and size >= COMPRESS_MIN_BYTES
    ):
        notes.append(f"served uncompressed ({size} bytes)")
    if headers["Age"] is not None:
        notes.append(f"Age: {headers['Age']}")
    if cdn := _cdn_header(headers):
        notes.append(f"{cdn}: {headers[cdn]}")
    return problems, notes


def _media(content_type: str) -> str:
    kind = content_type.lower()
    return _SYNONYMS.get(kind, kind)
