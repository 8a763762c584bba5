"""The dashboard's probe targets configuration only and stays within its budget (item 1); the
expensive POSTs cool down, and the pages say when the next is allowed (item 18)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import caches as django_caches
from django.test import Client
from django.urls import reverse

from inspector.web.cooldown import probe_key, recheck_key
from tests.support.layout import Layout, collect

pytestmark = pytest.mark.django_db
DETAIL = reverse("inspector:path", args=["css/site.css"])


@dataclass
class Listener:
    """A loopback socket that records every connection and answers none (or stalls)."""

    sock: socket.socket = field(default_factory=socket.socket)
    accepted: list[socket.socket] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                self.accepted.append(self.sock.accept()[0])
            except TimeoutError:
                continue

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        for held in self.accepted:
            held.close()
        self.sock.close()


class _Ok(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"body {}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    """A loopback web server that serves every URL (the configured site)."""
    _Ok.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def settings_for(layout: Layout, **config: Any) -> Any:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    layout.write(project, "css/other.css", "p {}")
    inspector = {"CACHE": "inspector", "RECHECK_SECONDS": 0, **config}
    return layout.settings(dirs=[str(project)], STATIC_URL="/static/", ASSET_INSPECTOR=inspector)


def post_probe(client: Client, *paths: str, **headers: str) -> Any:
    return client.post(
        reverse("inspector:probe"), {"path": list(paths), "next": DETAIL}, headers=headers
    )


def test_the_probe_never_requests_the_host_a_client_sends(
    viewer_client: Client, layout: Layout, site: str, listener: Listener
) -> None:
    with settings_for(layout, BASE_URL=site), pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.ALLOWED_HOSTS", ["*"])
        collect(layout)
        spoofed = f"127.0.0.1:{listener.port}"
        response = post_probe(viewer_client, "css/site.css", HTTP_HOST=spoofed, Host=spoofed)
        assert response.status_code == 302
        page = viewer_client.get(DETAIL).content.decode()
    time.sleep(0.2)
    assert listener.accepted == []
    assert _Ok.hits == ["/static/css/site.css"]
    assert 'class="badge served-ok" title="served">served ok</span>' in page


def test_without_a_base_url_the_page_says_how_to_set_it_and_nothing_is_requested(
    viewer_client: Client, layout: Layout, listener: Listener
) -> None:
    with settings_for(layout), pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.ALLOWED_HOSTS", ["*"])
        page = viewer_client.get(DETAIL).content.decode()
        table = viewer_client.get(reverse("inspector:paths")).content.decode()
        spoofed = f"127.0.0.1:{listener.port}"
        response = post_probe(viewer_client, "css/site.css", Host=spoofed)
    hint = "set ASSET_INSPECTOR[&quot;BASE_URL&quot;] to where the site is served"
    assert hint in page and hint in table
    assert 'action="/assets/probe/"' not in page and 'action="/assets/probe/"' not in table
    assert response.status_code == 400
    assert b'ASSET_INSPECTOR["BASE_URL"]' in response.content
    assert listener.accepted == []


def test_one_probe_post_returns_within_the_budget(
    viewer_client: Client, layout: Layout, listener: Listener
) -> None:
    base_url = f"http://127.0.0.1:{listener.port}"
    # The stalling server would hold each request for TIMEOUT; the budget is far shorter.
    with settings_for(layout, BASE_URL=base_url, TIMEOUT=30.0, PROBE_BUDGET=1.0):
        collect(layout)
        began = time.monotonic()
        response = post_probe(viewer_client, "css/site.css", "css/other.css")
        took = time.monotonic() - began
        page = viewer_client.get(DETAIL).content.decode()
    assert response.status_code == 302
    assert took < 10, f"a 1 s budget held the request {took:.1f} s"
    assert "timed out" in page


def test_re_check_cools_down_across_users_and_says_when(
    viewer_client: Client, layout: Layout
) -> None:
    with settings_for(layout, COOLDOWN_SECONDS=60.0):
        assert viewer_client.post(reverse("inspector:recheck")).status_code == 302
        again = viewer_client.post(reverse("inspector:recheck"))
        overview = viewer_client.get(reverse("inspector:overview")).content.decode()
        shared = django_caches["inspector"].get("inspector:cooldown:" + recheck_key())
    assert again.status_code == 429 and 50 <= int(again["Retry-After"]) <= 60
    assert b"the next is allowed in" in again.content
    assert "the next re-check is allowed in" in overview
    assert 'action="/assets/recheck/"' not in overview
    assert shared is not None, "the cooldown is shared through CACHE"


def test_probe_cools_down_per_set_of_paths(
    viewer_client: Client, layout: Layout, site: str
) -> None:
    with settings_for(layout, BASE_URL=site, COOLDOWN_SECONDS=60.0):
        collect(layout)
        assert post_probe(viewer_client, "css/site.css").status_code == 302
        assert post_probe(viewer_client, "css/site.css").status_code == 429
        assert post_probe(viewer_client, "css/other.css", "css/site.css").status_code == 302
        page = viewer_client.get(DETAIL).content.decode()
        assert django_caches["inspector"].get("inspector:cooldown:" + probe_key(["css/site.css"]))
    assert "the next probe of this path is allowed in" in page
    assert len(_Ok.hits) == 3
