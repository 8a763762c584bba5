"""The served probe end to end: a real collection, a real HTTP server on loopback in front of it
(an "edge" holding its own copy, as a CDN does), then the CLI and the dashboard probing it."""

from __future__ import annotations

import functools
import json
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.support.layout import Layout, age, collect

FILES = {
    "css/site.css": "body { color: red }\n",
    "js/app.js": "console.log('app');\n",
    "img/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
}
HASHED = re.compile(r"\.[0-9a-f]{12}\.")


class EdgeHandler(SimpleHTTPRequestHandler):
    """Serves a folder the way a careful CDN does: long caching for hashed names only."""

    def end_headers(self) -> None:
        hashed = HASHED.search(self.path) is not None
        self.send_header(
            "Cache-Control", "public, max-age=315360000, immutable" if hashed else "max-age=60"
        )
        super().end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Edge:
    layout: Layout
    static: Path
    folder: Path  # what the edge serves: a copy of the collection
    url: str

    @property
    def collected(self) -> Path:
        return self.layout.root / "collected"


@pytest.fixture
def edge(layout: Layout) -> Iterator[Edge]:
    app, static = layout.app("edge")
    for path, content in FILES.items():
        layout.write(static, path, content)
    folder = layout.root / "edge"
    handler = functools.partial(EdgeHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/static/"
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    try:
        with layout.settings(apps=[app], STORAGES=storages, STATIC_URL=url, DEBUG=False):
            collect(layout)
            shutil.copytree(layout.root / "collected", folder / "static")
            age(layout.root)
            yield Edge(layout, static, folder / "static", url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def probe_json(*args: str) -> dict[str, dict[str, Any]]:
    out = StringIO()
    call_command(
        "inspect_assets", "--format", "json", "--probe", *args, stdout=out, stderr=StringIO()
    )
    return {row["path"]: row for row in json.loads(out.getvalue())}


def test_an_edge_in_step_with_the_collection_is_ok_everywhere(edge: Edge) -> None:
    rows = probe_json()
    for path in FILES:
        served = rows[path]["served"]
        assert served["status"] == "ok", (path, served)
        assert served["http_status"] == 200 and HASHED.search(served["url"]), served


def test_a_stale_edge_and_a_missing_file_are_reported_on_their_paths(edge: Edge) -> None:
    # The edge still has the old bytes under the hashed name the manifest now gives.
    manifest = json.loads((edge.collected / "staticfiles.json").read_text())["paths"]
    (edge.folder / manifest["css/site.css"]).write_text("body { color: blue }\n")
    (edge.folder / manifest["js/app.js"]).unlink()
    rows = probe_json()
    assert rows["css/site.css"]["served"]["status"] == "stale"
    assert rows["js/app.js"]["served"]["status"] == "http-error"
    assert rows["js/app.js"]["served"]["http_status"] == 404
    assert rows["img/dot.svg"]["served"]["status"] == "ok"
    with pytest.raises(CommandError) as failed:
        call_command("inspect_assets", "--probe", "--fail-on", "http-error", stdout=StringIO())
    assert failed.value.returncode == 1 and "js/app.js" in str(failed.value)


def test_an_edge_that_lost_its_files_is_an_http_error(edge: Edge, layout: Layout) -> None:
    shutil.rmtree(edge.folder)
    rows = probe_json("--path", "css/*")
    assert rows["css/site.css"]["served"]["status"] == "http-error"


def test_without_probe_nothing_is_requested(edge: Edge) -> None:
    out = StringIO()
    call_command("inspect_assets", "--format", "json", stdout=out)
    assert {row["served"] for row in json.loads(out.getvalue())} == {None}


def test_a_relative_static_url_needs_a_base_url(edge: Edge, settings: Any) -> None:
    settings.STATIC_URL = "/static/"
    with pytest.raises(CommandError) as unusable:
        probe_json("--path", "css/*")
    assert unusable.value.returncode == 2 and "--base-url" in str(unusable.value)
    base = edge.url.removesuffix("/static/")
    assert (
        probe_json("--path", "css/*", "--base-url", base)["css/site.css"]["served"]["status"]
        == "ok"
    )
    with pytest.raises(CommandError) as refused:
        call_command("inspect_assets", "--probe", "--base-url", "ftp://x", stdout=StringIO())
    assert refused.value.returncode == 2


def test_the_dashboard_probes_on_a_csrf_protected_post_and_shows_the_result(
    edge: Edge, viewer: Any
) -> None:
    manifest = json.loads((edge.collected / "staticfiles.json").read_text())["paths"]
    (edge.folder / manifest["css/site.css"]).write_text("body { color: blue }\n")
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    detail = client.get("/assets/paths/css/site.css")
    assert "Not probed yet" in detail.content.decode()
    token = detail.cookies["csrftoken"].value
    assert client.post("/assets/probe/", {"path": "css/site.css"}).status_code == 403
    assert client.get("/assets/probe/").status_code == 405
    unlisted = {"path": "../../etc/passwd", "csrfmiddlewaretoken": token}
    assert client.post("/assets/probe/", unlisted).status_code == 400
    done = client.post(
        "/assets/probe/",
        {
            "path": "css/site.css",
            "next": "/assets/paths/css/site.css",
            "csrfmiddlewaretoken": token,
        },
    )
    assert done.status_code == 302 and done["Location"] == "/assets/paths/css/site.css"
    page = client.get("/assets/paths/css/site.css").content.decode()
    assert 'class="badge served-stale">stale</span>' in page
    table = client.get("/assets/paths/", {"q": "css"}).content.decode()
    assert 'served-stale">stale' in table and "Probe the served URLs of these" in table
    one = client.get("/assets/paths/", {"q": "css/site.css"}).content.decode()
    assert "Probe the served URL of this 1 path</button>" in one  # the count chooses the words
