"""The overview's settings section never shows a password inside a URL (issue 15, item 16)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from inspector.core.resolution import without_userinfo
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("https://user:pa55@s3.example.com/x", "https://…@s3.example.com/x"),
        ("user:pa55@cdn.example.com", "…@cdn.example.com"),
        ("https://s3.example.com/a@b.css", "https://s3.example.com/a@b.css"),
        ("https://u:p@h@host:9000/?q=@", "https://…@host:9000/?q=@"),
        ("https://s3.example.com", "https://s3.example.com"),
        (None, None),
    ],
)
def test_userinfo_is_masked(value: str | None, shown: str | None) -> None:
    assert without_userinfo(value) == shown


def test_the_overview_masks_the_endpoint_domain_and_static_url(
    viewer_client: Client, layout: Layout
) -> None:
    project = layout.folder("project")
    layout.write(project, "a.css", "a")
    stores = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "OPTIONS": {
                "base_url": "https://alice:s3cr3t-base@static.example.com/static/",
            },
        },
    }
    with layout.settings(
        dirs=[str(project)],
        STORAGES=stores,
        STATIC_URL="https://bob:s3cr3t-url@static.example.com/static/",
    ):
        page = viewer_client.get(reverse("inspector:overview")).content.decode()
    assert "s3cr3t" not in page and "alice" not in page and "bob" not in page
    assert "https://…@static.example.com/static/" in page
