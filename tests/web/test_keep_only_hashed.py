"""``WHITENOISE_KEEP_ONLY_HASHED_FILES``: the overview's counts against the tables they link to."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.support.layout import Layout, age, collect
from tests.support.own_files import OWN_COUNT

pytestmark = pytest.mark.django_db
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
FILES = {
    "css/site.css": (
        "body { background: url(../img/logo.png?v=2#frag); }\n"
        "/*# sourceMappingURL=site.css.map */\n"
    ),
    "css/site.css.map": '{"version": 3}\n',
    "img/logo.png": b"\x89PNG logo",
    "img/gone.png": b"\x89PNG soon deleted",
    "js/app.js": "console.log(1);\n",
}


def counts_and_tables(client: Client) -> list[tuple[str, int, int]]:
    """Return (link, count shown, rows the linked table exports) for every layer count."""
    page = client.get(reverse("inspector:overview")).content.decode()
    paths = reverse("inspector:paths")
    found = []
    for facet, word, count in re.findall(
        rf'href="{paths}\?(live|manifest)=([\w-]+)"><strong>(\d+)</strong>', page
    ):
        rows = client.get(paths, {facet: word, "_export": "json"}).json()
        found.append((f"{facet}={word}", int(count), len(rows)))
    return found


def test_every_count_of_a_keep_only_hashed_project_opens_as_many_rows(
    viewer_client: Client, layout: Layout
) -> None:
    app, static = layout.app("hashed")
    for path, content in FILES.items():
        layout.write(static, path, content)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": WHITENOISE},
    }
    with layout.settings(
        apps=[app], STORAGES=storages, DEBUG=False, WHITENOISE_KEEP_ONLY_HASHED_FILES=True
    ):
        collect(layout)
        age(layout.root, static)
        clean = counts_and_tables(viewer_client)
        # Nothing differs right after a clean collection: every row (the site's five and the
        # inspector's own files) is current and ok.
        shown = {link: count for link, count, _ in clean if count}
        rows = len(FILES) + OWN_COUNT
        assert shown == {"live=current": rows, "manifest=ok": rows}, clean
        assert all(count == rows for _, count, rows in clean), clean

        # A source deleted since: its manifest entry and hashed copy stay (its
        # unhashed copy was deleted on purpose): an orphan row through its hashed copy.
        (static / "img" / "gone.png").unlink()
        (static / "js" / "app.js").write_text("console.log(2);\n")
        age(static)
        after = counts_and_tables(viewer_client)
        assert all(count == rows for _, count, rows in after), after
        assert ("live=modified", 1, 1) in after
        assert ("live=orphaned", 1, 1) in after  # img/gone.png, as in a storage keeping both
        for path in ("img/gone.png", "js/app.js", "css/site.css"):
            detail = viewer_client.get(reverse("inspector:path", args=[path]))
            assert detail.status_code == 200, path
        page = viewer_client.get(reverse("inspector:path", args=["js/app.js"])).content.decode()
        assert "live modified" in page and "collected, but no source" not in page

        # Its hashed copy deleted too: the manifest entry is left with nothing, and no row.
        manifest = json.loads((layout.root / "collected" / "staticfiles.json").read_text())
        (layout.root / "collected" / manifest["paths"]["img/gone.png"]).unlink()
        gone = counts_and_tables(viewer_client)
        assert all(count == rows for _, count, rows in gone), gone
        assert ("live=orphaned", 0, 0) in gone
