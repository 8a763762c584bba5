"""The inspector's own pages with the inspected storage down (issue 15, item 3).

With ``DEBUG=False`` a manifest storage reads its manifest when it is built: on S3 that is a
request, which fails when the endpoint is down. The inspector's pages must render all the same,
with their own stylesheet and htmx, which never come from the inspected storage.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from tests.support.layout import Layout

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3_down(layout: Layout) -> Iterator[Layout]:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    options = {
        "bucket_name": "nowhere",
        "endpoint_url": f"http://127.0.0.1:{closed_port()}",
        "access_key": "any",
        "secret_key": "any",
        "region_name": "us-east-1",
        "location": "static",
        "querystring_auth": False,
    }
    stores = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "storages.backends.s3.S3ManifestStaticStorage",
            "OPTIONS": options,
        },
    }
    with layout.settings(
        apps=["js_lib_htmx"],
        dirs=[str(project)],
        STORAGES=stores,
        STATIC_URL="http://127.0.0.1:1/nowhere/static/",
        DEBUG=False,
        ASSET_INSPECTOR={"CACHE": "inspector", "RECHECK_SECONDS": 0, "TIMEOUT": 1.0},
    ):
        # As in a fresh process: overriding STORAGES drops the shared storage, which is built
        # (and its manifest read) on first use.
        yield layout


PAGES = [
    reverse("inspector:overview"),
    reverse("inspector:paths"),
    reverse("inspector:path", args=["css/site.css"]),
    reverse("inspector:collect"),
    reverse("inspector:runs"),
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_with_its_own_css_and_htmx(
    viewer_client: Client, s3_down: Layout, url: str
) -> None:
    response = viewer_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)
    script = re.search(r'<script src="([^"]+)"', page)
    assert stylesheet is not None and script is not None
    css = viewer_client.get(stylesheet.group(1).replace("&amp;", "&"))
    assert css.status_code == 200 and css["Content-Type"] == "text/css"
    assert b".htmx-indicator" in css.content
    js = viewer_client.get(script.group(1).replace("&amp;", "&"))
    assert js.status_code == 200 and b"htmx" in js.content


def test_own_files_are_only_the_two_and_only_for_viewers(
    client: Client, viewer_client: Client
) -> None:
    assert viewer_client.get(reverse("inspector:asset", args=["..%2Fconf.py"])).status_code == 404
    assert viewer_client.get(reverse("inspector:asset", args=["base.css"])).status_code == 404
    assert Client().get(reverse("inspector:asset", args=["inspector.css"])).status_code == 302
