"""The detail page reads only the files the layers listed: the very files, though perhaps
written since (the page shows them as they are now)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.support.layout import Layout, age

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
URL = "/assets/paths/css/site.css"  # reverse("inspector:path", args=["css/site.css"])


@contextmanager
def checked_and_kept(client: Client, layout: Layout, winner: str, shadowed: str) -> Iterator[Path]:
    """Two sources of css/site.css, checked once by a first page and kept (RECHECK_SECONDS is
    long): yield the shadowed file, and the page that checked them."""
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "css/site.css", winner)
    path = layout.write(second, "css/site.css", shadowed)
    age(first, second)
    settings = {"CACHE": "inspector", "RECHECK_SECONDS": 600}
    with (
        layout.settings(dirs=[first, second], finders=[FS]),
        override_settings(ASSET_INSPECTOR=settings),
    ):
        assert client.get(URL).status_code == 200  # the layers are checked and kept
        yield path


def test_a_candidate_swapped_for_a_symlink_is_not_read_through_it(
    viewer_client: Client, layout: Layout
) -> None:
    secret = layout.write(layout.folder("outside"), "secret.txt", "TOP-SECRET-VALUE\n")
    red, blue = "body { color: red }\n", "body { color: blue }\n"
    with checked_and_kept(viewer_client, layout, red, blue) as shadowed:
        shadowed.unlink()
        shadowed.symlink_to(secret)  # within RECHECK_SECONDS: the page uses the kept layers
        body = viewer_client.get(URL).content.decode()
    assert "TOP-SECRET-VALUE" not in body
    assert "not the file that was listed" in body


def test_a_candidate_edited_since_the_check_is_shown_as_it_is_now(
    viewer_client: Client, layout: Layout
) -> None:
    # The same size: the check compared them, and knows both md5s.
    red, tan = "body { color: red }\n", "body { color: tan }\n"
    with checked_and_kept(viewer_client, layout, red, tan) as shadowed:
        assert hashlib.md5(tan.encode()).hexdigest() in viewer_client.get(URL).content.decode()
        with open(shadowed, "r+") as stream:  # saved in place: the very file the check listed
            stream.write("body { color: aquamarine }\n")
        body = viewer_client.get(URL).content.decode()
    assert "<mark>aquamarine</mark>" in body, "the page shows the edit, not an error"
    assert "changed since it was listed" not in body and "unreadable" not in body
    table = body[body.index('class="candidates"') : body.index("</table>")]
    assert hashlib.md5(b"body { color: aquamarine }\n").hexdigest() in table, "its md5 now"
    assert hashlib.md5(tan.encode()).hexdigest() not in table
    assert 'title="27 bytes"' in table, "its size now"
