"""The overview when ``STATIC_URL`` points at a CDN: said next to the storage, with what a
collection would leave to invalidate, and the paths the last probes found it serving stale.

The CDN is a real HTTP server on loopback answering like a cache (``Age``, ``X-Cache``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from storages.backends.s3 import S3Storage

from inspector.core.invalidation import cdn_host
from tests.served.test_probe import Route, Server, server  # noqa: F401  (server: the fixture)
from tests.support.layout import Layout, age, collected_app

pytestmark = pytest.mark.django_db

PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
FILES = {"css/site.css": "body { color: red }\n", "js/app.js": "console.log(1);\n"}
OLD_CSS = b"body { color: blue }\n"


def overview(client: Client) -> str:
    return re.sub(r"\s+", " ", client.get(reverse("inspector:overview")).content.decode())


def test_a_cdn_static_url_is_said_next_to_the_storage(
    layout: Layout, viewer_client: Client
) -> None:
    with collected_app(layout, "cdn", FILES, PLAIN) as static:
        assert "Served through a CDN" not in overview(viewer_client)
        layout.write(static, "js/app.js", "console.log(2);\n")
        age(static, seconds=30)
        with override_settings(STATIC_URL="https://d111111abcdef8.cloudfront.net/static/"):
            page = overview(viewer_client)
    assert "Served through a CDN: <code>STATIC_URL</code> points at <code>d111111abcdef8" in page
    assert "collecting now would leave <strong>1</strong> to invalidate" in page


def test_the_paths_a_cdn_still_serves_stale_are_named(
    layout: Layout,
    viewer_client: Client,
    server: Server,  # noqa: F811
) -> None:
    headers = {"Content-Type": "text/css", "Cache-Control": "max-age=60"}
    cached = {**headers, "Age": "120", "X-Cache": "Hit from cloudfront"}
    with (
        collected_app(layout, "cdnstale", FILES, PLAIN),
        override_settings(STATIC_URL=f"{server.base}/static/"),
    ):
        server.add("static/css/site.css", Route(OLD_CSS, headers=cached))
        server.add("static/js/app.js", Route(FILES["js/app.js"].encode(), headers=headers))
        probe = {"path": ["css/site.css", "js/app.js"], "next": reverse("inspector:overview")}
        assert viewer_client.post(reverse("inspector:probe"), probe).status_code == 302
        page = overview(viewer_client)
        assert "A CDN still serves stale copies of 1 path: " in page
        assert (
            f'<a href="{reverse("inspector:path", args=["css/site.css"])}"><code><bdi>css/site.css'
            "</bdi></code></a> (Hit from cloudfront, Age 120 s): invalidate them"
        ) in page
        assert "js/app.js</code></a> (" not in page
        # Invalidated: the CDN now answers with the collected bytes, and the line is gone.
        server.add("static/css/site.css", Route(FILES["css/site.css"].encode(), headers=cached))
        viewer_client.post(reverse("inspector:probe"), probe)
        assert "still serves stale" not in overview(viewer_client)


def test_stale_bytes_from_the_origin_itself_are_not_blamed_on_a_cdn(
    layout: Layout,
    viewer_client: Client,
    server: Server,  # noqa: F811
) -> None:
    with (
        collected_app(layout, "origin", FILES, PLAIN),
        override_settings(STATIC_URL=f"{server.base}/static/"),
    ):
        server.add("static/css/site.css", Route(OLD_CSS, headers={"Content-Type": "text/css"}))
        viewer_client.post(reverse("inspector:probe"), {"path": ["css/site.css"]})
        assert "still serves stale" not in overview(viewer_client)


@pytest.mark.parametrize(
    ("static_url", "options", "host"),
    [
        ("/static/", {}, None),
        ("https://cdn.example.com/static/", {}, "cdn.example.com"),
        # The bucket itself, at its endpoint or on AWS: not a cache in front of it.
        ("http://127.0.0.1:9000/bucket/static/", {"endpoint_url": "http://127.0.0.1:9000"}, None),
        ("https://bucket.s3.amazonaws.com/static/", {}, None),
        (
            "https://d1.cloudfront.net/static/",
            {"custom_domain": "d1.cloudfront.net"},
            "d1.cloudfront.net",
        ),
    ],
)
def test_cdn_host(
    settings: Any, static_url: str, options: dict[str, str], host: str | None
) -> None:
    settings.STATIC_URL = static_url
    storage = S3Storage(bucket_name="bucket", **options) if "s3" in static_url or options else None
    assert cdn_host(storage) == host
