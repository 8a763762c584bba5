"""Served probes against a real HTTP server on loopback: no mocked urllib, each test bounded."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest

from inspector.core.status import ServedStatus
from inspector.served import probe as served
from inspector.served.probe import ProbeTarget, ServedResult, absolute_url, probe

LONG = "public, max-age=315360000, immutable"
CSS = b"body { color: red }\n"


@dataclass
class Route:
    body: bytes = CSS
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Seconds between single bytes of the body: a server that trickles its answer.
    trickle: float = 0.0


@dataclass
class Server:
    base: str
    routes: dict[str, Route]
    requests: list[dict[str, str]]
    stop: threading.Event

    def url(self, path: str) -> str:
        return f"{self.base}/{quote(path)}"

    def add(self, path: str, route: Route) -> str:
        self.routes["/" + quote(path)] = route
        return self.url(path)


@pytest.fixture
def server() -> Iterator[Server]:
    routes: dict[str, Route] = {}
    seen: list[dict[str, str]] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers.items()))
            route = routes.get(self.path)
            if route is None:
                route = Route(b"not found", 404, {"Content-Type": "text/plain"})
            # Waiting on the stop event, not sleeping, lets teardown release a stalled handler.
            stop.wait(route.delay)
            try:
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if not route.trickle:
                    self.wfile.write(route.body)
                    return
                for byte in route.body:
                    if stop.wait(route.trickle):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except OSError:  # the probe gave up and closed the connection: expected
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval keeps shutdown (and so each test) quick.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    try:
        yield Server(f"http://{host!s}:{port}", routes, seen, stop)
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def target(url: str, path: str, *, hashed: bool = True, body: bytes | None = CSS) -> ProbeTarget:
    expected = None if body is None else md5(body)
    return ProbeTarget(path, url, hashed, expected, None if body is None else len(body))


def css(cache_control: str = LONG, **headers: str) -> dict[str, str]:
    return {"Content-Type": "text/css; charset=utf-8", "Cache-Control": cache_control, **headers}


def probe_one(t: ProbeTarget, **options: Any) -> ServedResult:
    [result] = probe([t], **options)
    return result


def test_ok_hashed_file_with_right_bytes(server: Server) -> None:
    url = server.add("css/site.0123456789ab.css", Route(headers=css()))
    result = probe_one(target(url, "css/site.0123456789ab.css"))
    assert result.status == ServedStatus.OK, result
    assert result.http_status == 200
    assert result.problems == ()
    assert result.md5 == md5(CSS) and result.size == len(CSS)
    assert result.cache_control == LONG and result.content_type == "text/css; charset=utf-8"
    assert "match the collected copy" in result.detail
    assert result.elapsed_ms is not None and result.elapsed_ms >= 0
    assert server.requests[0]["User-Agent"] == "asset-inspector-probe"
    assert server.requests[0]["Accept-Encoding"] == served.ACCEPT_ENCODING


def test_different_bytes_are_stale(server: Server) -> None:
    url = server.add("css/site.css", Route(b"body { color: blue; }\n", headers=css("max-age=60")))
    result = probe_one(target(url, "css/site.css", hashed=False))
    assert result.status == ServedStatus.STALE
    assert result.detail == (
        f"served bytes differ from the collected copy (served 22 bytes, collected {len(CSS)})"
    )


def test_size_alone_proves_staleness(server: Server) -> None:
    url = server.add("a.css", Route(b"longer than expected", headers=css()))
    result = probe_one(ProbeTarget("a.css", url, True, None, 3))
    assert result.status == ServedStatus.STALE


@pytest.mark.parametrize("code", [404, 500])
def test_http_errors(server: Server, code: int) -> None:
    url = server.add("css/gone.css", Route(b"oops", code, {"Content-Type": "text/plain"}))
    result = probe_one(target(url, "css/gone.css"))
    assert result.status == ServedStatus.HTTP_ERROR
    assert result.http_status == code
    assert result.detail.startswith(f"HTTP {code}")
    assert result.content_type == "text/plain"


def test_unknown_path_is_404(server: Server) -> None:
    result = probe_one(target(server.url("nothing/here.css"), "nothing/here.css"))
    assert (result.status, result.http_status) == (ServedStatus.HTTP_ERROR, 404)


def test_stalled_server_times_out(server: Server) -> None:
    url = server.add("slow.css", Route(headers=css(), delay=5))
    began = time.monotonic()
    result = probe_one(target(url, "slow.css"), timeout=0.5)
    assert time.monotonic() - began < 3
    assert result.status == ServedStatus.HTTP_ERROR
    assert result.http_status is None
    assert result.detail == "timed out after 0.5 s"


def test_trickling_body_is_bounded_by_the_budget(server: Server) -> None:
    # Each byte arrives within the socket timeout, so only the overall deadline can stop it.
    url = server.add("drip.css", Route(b"x" * 100, headers=css(), trickle=0.1))
    began = time.monotonic()
    result = probe_one(target(url, "drip.css"), timeout=0.5, budget=0.5)
    assert time.monotonic() - began < 3
    assert result.status == ServedStatus.HTTP_ERROR
    assert result.detail.startswith("timed out")


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = probe_one(target(f"http://127.0.0.1:{port}/a.css", "a.css"), timeout=2)
    assert result.status == ServedStatus.HTTP_ERROR
    assert result.http_status is None
    assert result.detail == "connection refused"


def test_not_http_url_is_an_error() -> None:
    result = probe_one(target("file:///etc/passwd", "passwd"))
    assert result.status == ServedStatus.HTTP_ERROR
    assert "not an http(s) URL" in result.detail


@pytest.mark.parametrize(
    ("cache_control", "problem"),
    [
        ("public, max-age=3600", "hashed file cached for only 1 hour"),
        ("max-age=86400", "hashed file cached for only 1 day"),
        ("no-cache", "hashed file sent with Cache-Control: no-cache"),
    ],
)
def test_hashed_file_with_short_cache(server: Server, cache_control: str, problem: str) -> None:
    url = server.add("app.abcdef123456.css", Route(headers=css(cache_control)))
    result = probe_one(target(url, "app.abcdef123456.css"))
    assert result.status == ServedStatus.HEADERS
    assert result.problems == (f"{problem}; use a long max-age/immutable",)
    assert result.detail == result.problems[0]


def test_hashed_file_with_immutable_or_30_days_is_fine(server: Server) -> None:
    url = server.add("a.abcdef123456.css", Route(headers=css("immutable")))
    url2 = server.add("b.abcdef123456.css", Route(headers=css("max-age=2592000")))
    results = probe([target(url, "a.abcdef123456.css"), target(url2, "b.abcdef123456.css")])
    assert [r.status for r in results] == [ServedStatus.OK, ServedStatus.OK]


def test_hashed_file_without_cache_control(server: Server) -> None:
    url = server.add("app.abcdef123456.css", Route(headers={"Content-Type": "text/css"}))
    result = probe_one(target(url, "app.abcdef123456.css"))
    assert result.status == ServedStatus.HEADERS
    assert "without Cache-Control" in result.problems[0]


def test_unhashed_file_without_cache_control_is_only_a_note(server: Server) -> None:
    url = server.add("app.css", Route(headers={"Content-Type": "text/css"}))
    result = probe_one(target(url, "app.css", hashed=False))
    assert result.status == ServedStatus.OK
    assert any("no Cache-Control" in note for note in result.notes)


@pytest.mark.parametrize(
    ("cache_control", "words"),
    [(LONG, "marked immutable"), ("max-age=604800", "cached for 7 days")],
)
def test_unhashed_file_cached_too_long(server: Server, cache_control: str, words: str) -> None:
    url = server.add("app.css", Route(headers=css(cache_control)))
    result = probe_one(target(url, "app.css", hashed=False))
    assert result.status == ServedStatus.HEADERS
    assert result.problems == (f"unhashed file {words}: browsers keep the old file after a deploy",)


def test_wrong_content_type_for_css(server: Server) -> None:
    headers = css()
    headers["Content-Type"] = "text/plain; charset=utf-8"
    url = server.add("app.abcdef123456.css", Route(headers=headers))
    result = probe_one(target(url, "app.abcdef123456.css"))
    assert result.status == ServedStatus.HEADERS
    assert result.problems == ("Content-Type text/plain, expected text/css",)


def test_javascript_synonyms_are_not_a_problem(server: Server) -> None:
    url = server.add(
        "app.abcdef123456.js", Route(headers=css(**{"Content-Type": "application/javascript"}))
    )
    result = probe_one(target(url, "app.abcdef123456.js"))
    assert result.status == ServedStatus.OK, result.problems


def test_stale_wins_over_header_problems(server: Server) -> None:
    url = server.add("a.css", Route(b"other", headers={"Content-Type": "text/plain"}))
    result = probe_one(target(url, "a.css"))
    assert result.status == ServedStatus.STALE
    assert len(result.problems) == 2


def test_gzip_with_vary_decodes_and_matches(server: Server) -> None:
    raw = b"/* hashed */\n" + b"body { margin: 0 }\n" * 200
    headers = css(**{"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    url = server.add("app.abcdef123456.css", Route(gzip.compress(raw), headers=headers))
    result = probe_one(target(url, "app.abcdef123456.css", body=raw))
    assert result.status == ServedStatus.OK, result
    assert result.content_encoding == "gzip"
    assert (result.size, result.md5) == (len(raw), md5(raw))
    assert not any("uncompressed" in note for note in result.notes)


def test_gzip_without_vary_is_a_header_problem(server: Server) -> None:
    headers = css(**{"Content-Encoding": "gzip"})
    url = server.add("app.abcdef123456.css", Route(gzip.compress(CSS), headers=headers))
    result = probe_one(target(url, "app.abcdef123456.css"))
    assert result.status == ServedStatus.HEADERS
    assert result.problems[0].startswith("Content-Encoding gzip without Vary: Accept-Encoding")


def test_corrupt_gzip_is_an_error(server: Server) -> None:
    headers = css(**{"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    url = server.add("app.abcdef123456.css", Route(b"not gzip at all", headers=headers))
    result = probe_one(target(url, "app.abcdef123456.css"))
    assert result.status == ServedStatus.HTTP_ERROR
    assert "could not be decoded" in result.detail


def test_brotli_without_the_module_is_not_compared(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(served, "_brotli", None)
    headers = css(**{"Content-Encoding": "br", "Vary": "Accept-Encoding"})
    url = server.add("app.abcdef123456.css", Route(b"\x8b\x02\x80opaque", headers=headers))
    result = probe_one(target(url, "app.abcdef123456.css"))
    assert result.status == ServedStatus.OK
    assert (result.size, result.md5) == (None, None)
    assert "bytes not compared" in result.notes[0]
    assert "not compared" in result.detail


def test_large_uncompressed_text_gets_a_note(server: Server) -> None:
    body = b"a { b: c }\n" * 200
    url = server.add("app.abcdef123456.css", Route(body, headers=css()))
    result = probe_one(target(url, "app.abcdef123456.css", body=body))
    assert result.status == ServedStatus.OK
    assert f"served uncompressed ({len(body)} bytes)" in result.notes


def test_body_over_max_bytes_is_not_compared(server: Server) -> None:
    url = server.add("app.abcdef123456.css", Route(b"x" * 5000, headers=css()))
    result = probe_one(target(url, "app.abcdef123456.css"), max_bytes=1000)
    assert result.status == ServedStatus.OK
    assert result.md5 is None
    assert result.notes[0] == "body larger than 1000 bytes: stopped reading, not compared"


def test_gzip_bomb_is_capped(server: Server) -> None:
    headers = css(**{"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    url = server.add(
        "app.abcdef123456.css", Route(gzip.compress(b"\0" * 10_000_000), headers=headers)
    )
    result = probe_one(target(url, "app.abcdef123456.css"), max_bytes=100_000)
    assert result.md5 is None and result.status == ServedStatus.OK
    assert "larger than 100000 bytes" in result.notes[0]


def test_cdn_headers_are_reported(server: Server) -> None:
    url = server.add("a.0123456789ab.css", Route(headers=css(Age="120", **{"X-Cache": "HIT"})))
    result = probe_one(target(url, "a.0123456789ab.css"))
    assert result.status == ServedStatus.OK
    assert (result.age, result.x_cache) == ("120", "HIT")
    assert "Age: 120" in result.notes and "X-Cache: HIT" in result.notes


def test_redirect_is_followed_and_noted(server: Server) -> None:
    final = server.add("new/a.0123456789ab.css", Route(headers=css()))
    url = server.add("old/a.0123456789ab.css", Route(b"", 301, {"Location": final}))
    result = probe_one(target(url, "a.0123456789ab.css"))
    assert result.status == ServedStatus.OK
    assert f"redirected to {final}" in result.notes


def test_budget_exhausted_leaves_later_targets_unchecked(server: Server) -> None:
    targets = [
        target(server.add(f"slow{i}.0123456789ab.css", Route(headers=css(), delay=0.6)), "a.css")
        for i in range(3)
    ]
    began = time.monotonic()
    results = probe(targets, concurrency=1, timeout=2, budget=0.3)
    # The budget bounds the whole call: the request under way is cut at the budget, not given
    # its full timeout (a probe from a page never holds a web worker past PROBE_BUDGET).
    assert time.monotonic() - began < 1.5
    assert [r.status for r in results] == [
        ServedStatus.HTTP_ERROR,
        ServedStatus.UNCHECKED,
        ServedStatus.UNCHECKED,
    ]
    assert "timed out" in results[0].detail and "budget ran out" in results[1].detail
    assert len(server.requests) == 1


def test_targets_run_concurrently(server: Server) -> None:
    targets = [
        target(server.add(f"c{i}.0123456789ab.css", Route(headers=css(), delay=0.3)), "a.css")
        for i in range(4)
    ]
    began = time.monotonic()
    results = probe(targets, concurrency=4)
    assert time.monotonic() - began < 1.0  # one after another would take 1.2 s
    assert {r.status for r in results} == {ServedStatus.OK}


def test_results_keep_target_order(server: Server) -> None:
    paths = [f"n{i}.0123456789ab.css" for i in range(6)]
    targets = [
        target(server.add(p, Route(headers=css(), delay=0.05 * (6 - i))), p)
        for i, p in enumerate(paths)
    ]
    results = probe(targets, concurrency=3)
    assert [r.path for r in results] == paths
    assert {r.status for r in results} == {ServedStatus.OK}


def test_no_targets() -> None:
    assert probe([]) == []


@pytest.mark.parametrize("name", ["css/my file.0123456789ab.css", "img/café ☕.0123456789ab.svg"])
def test_quoted_names(server: Server, name: str) -> None:
    svg = name.endswith(".svg")
    headers = css(**{"Content-Type": "image/svg+xml"}) if svg else css()
    url = server.add(name, Route(headers=headers))
    assert "%20" in url or "%C3%A9" in url
    result = probe_one(target(url, name))
    assert result.status == ServedStatus.OK, result


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://cdn.example.com/s/a.css", None, "https://cdn.example.com/s/a.css"),
        ("https://cdn.example.com/s/a.css", "http://x.test/", "https://cdn.example.com/s/a.css"),
        ("/static/a.css", "https://example.com", "https://example.com/static/a.css"),
        ("/static/a.css", "https://example.com/app/", "https://example.com/static/a.css"),
        ("static/a.css", "https://example.com/app/", "https://example.com/app/static/a.css"),
        ("//cdn.example.com/a.css", "https://example.com", "https://cdn.example.com/a.css"),
        ("/static/a.css", None, None),
        ("/static/a.css", "", None),
        ("/static/a.css", "/relative/base/", None),
    ],
)
def test_absolute_url(url: str, base: str | None, expected: str | None) -> None:
    assert absolute_url(url, base) == expected
