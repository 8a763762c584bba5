"""The detail page reads only the files the layers listed: the very files, though perhaps
written since (the page shows them as they are now)."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.support.layout import Layout, age

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"


def test_a_candidate_swapped_for_a_symlink_is_not_read_through_it(
    viewer_client: Client, layout: Layout
) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "css/site.css", "body { color: red }\n")
    shadowed = layout.write(second, "css/site.css", "body { color: blue }\n")
    secret = layout.write(layout.folder("outside"), "secret.txt", "TOP-SECRET-VALUE\n")
    age(first, second)
    url = reverse("inspector:path", args=["css/site.css"])
    settings = {"CACHE": "inspector", "RECHECK_SECONDS": 600}
    with (
        layout.settings(dirs=[first, second], finders=[FS]),
        override_settings(ASSET_INSPECTOR=settings),
    ):
        assert viewer_client.get(url).status_code == 200  # the layers are checked and kept
        shadowed.unlink()
        shadowed.symlink_to(secret)  # within RECHECK_SECONDS: the page uses the kept layers
        body = viewer_client.get(url).content.decode()
    assert "TOP-SECRET-VALUE" not in body
    assert "not the file that was listed" in body


def test_a_candidate_edited_since_the_check_is_diffed_as_it_is_now(
    viewer_client: Client, layout: Layout
) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "css/site.css", "body { color: red }\n")
    shadowed = layout.write(second, "css/site.css", "body { color: blue }\n")
    age(first, second)
    url = reverse("inspector:path", args=["css/site.css"])
    settings = {"CACHE": "inspector", "RECHECK_SECONDS": 600}
    with (
        layout.settings(dirs=[first, second], finders=[FS]),
        override_settings(ASSET_INSPECTOR=settings),
    ):
        assert "<mark>blue</mark>" in viewer_client.get(url).content.decode()
        with open(shadowed, "r+") as stream:  # saved in place: the very file the check listed
            stream.write("body { color: pink }\n")
        body = viewer_client.get(url).content.decode()
    assert "<mark>pink</mark>" in body, "the page shows the edit, not an error"
    assert "changed since it was listed" not in body and "unreadable" not in body
    assert hashlib.md5(b"body { color: pink }\n").hexdigest() in body, "its md5 as it is now"
