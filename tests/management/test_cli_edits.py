"""Every CLI run answers for the files as they are now, whatever the caches kept.

Each test runs ``inspect_assets`` twice as two processes would: the second starts with no
in-process state (``new_process()``) and only the shared cache (fingerprints by file stamp,
folder listings by folder mtimes) to go on; any edit between the runs must show up.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from inspector.core import caches
from inspector.core.inventory import current_inventory
from tests.support.layout import Layout, age, collect

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
FS = "django.contrib.staticfiles.finders.FileSystemFinder"


@pytest.fixture
def project(layout: Layout) -> Iterator[Path]:
    """A collected app (manifest storage) with a CSS file that references an image, aged."""
    name, static = layout.app()
    layout.write(static, "css/a.css", 'b { background: url("../img/x.png") }\n')
    layout.write(static, "img/x.png", b"png1")
    layout.write(static, "js/a.js", "console.log(1);\n")
    with layout.settings(apps=[name], STORAGES=MANIFEST_STORAGES):
        collect(layout)
        age(layout.root)
        yield static


def new_process() -> None:
    """Forget what this process knows; the shared cache stays, as for a new CLI process."""
    caches.clear()


def run(*args: str) -> tuple[str, str]:
    new_process()
    out, err = StringIO(), StringIO()
    call_command("inspect_assets", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rows(*args: str) -> dict[str, dict[str, Any]]:
    out, _ = run("--format", "json", *args)
    return {row["path"]: row for row in json.loads(out)}


def rewrite(path: Path, data: bytes, *, seconds_ago: float = 30.0) -> None:
    """Replace the bytes of ``path`` and date it back: a change no stamp can call racy."""
    path.write_bytes(data)
    then = time.time() - seconds_ago
    os.utime(path, (then, then))


def collected(layout: Layout) -> Path:
    return layout.root / "collected"


def test_an_edited_source_shows_up(project: Path) -> None:
    before = rows()
    assert before["img/x.png"]["live_status"] == "current"
    rewrite(project / "img/x.png", b"png2")  # same size, other bytes
    after = rows()
    assert after["img/x.png"]["live_status"] == "modified"
    assert after["img/x.png"]["manifest"]["status"] == "stale"
    # The CSS that references it is hashed after its references: stale too.
    assert after["css/a.css"]["manifest"]["status"] == "stale"
    assert before["css/a.css"]["manifest"]["status"] == "ok"


def test_an_edited_collected_copy_shows_up(layout: Layout, project: Path) -> None:
    assert rows()["js/a.js"]["live_status"] == "current"
    rewrite(collected(layout) / "js/a.js", b"console.log(2);\n")
    assert rows()["js/a.js"]["live_status"] == "modified"


def test_an_edited_hashed_copy_shows_up(layout: Layout, project: Path) -> None:
    hashed = rows()["img/x.png"]["manifest"]["hashed_name"]
    rewrite(collected(layout) / hashed, b"png9")
    assert rows()["img/x.png"]["manifest"]["status"] == "stale"


def test_a_manifest_edit_is_seen_by_its_bytes_not_its_stamp(layout: Layout, project: Path) -> None:
    assert rows()["js/a.js"]["manifest"]["status"] == "ok"
    manifest = collected(layout) / "staticfiles.json"
    stat = manifest.stat()
    data = json.loads(manifest.read_text())
    hashed = data["paths"]["js/a.js"]
    # Same length, same size, same mtime: only the bytes differ.
    data["paths"]["js/a.js"] = hashed.replace(hashed.split(".")[-2], "f" * 12)
    manifest.write_text(json.dumps(data))
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert manifest.stat().st_size == stat.st_size
    assert rows()["js/a.js"]["manifest"]["status"] == "hashed-file-missing"


def test_added_and_removed_files_show_up(layout: Layout, project: Path) -> None:
    assert set(rows()) >= {"css/a.css", "js/a.js"}
    rewrite(project / "js/new.js", b"new")
    age(project / "js")  # the folder changed too: a stale listing must not be trusted
    (project / "css/a.css").unlink()
    age(project / "css")
    after = rows()
    assert "js/new.js" in after and after["js/new.js"]["live_status"] == "missing"
    assert after["css/a.css"]["status"] == "absent", "only the collected copy is left"


def test_a_file_changed_twice_within_the_clock_tick_shows_both_times(project: Path) -> None:
    (project / "js/a.js").write_bytes(b"console.log(3);\n")  # now: racy
    first = rows()
    (project / "js/a.js").write_bytes(b"console.log(4);\n")  # the same size, and racy too
    assert rows() != first


def test_a_recalled_listing_keeps_prefixes_locations_and_ignored_files(layout: Layout) -> None:
    plain, vendor = layout.folder("plain"), layout.folder("vendor")
    layout.write(plain, "css/a.css", "a")
    layout.write(plain, "css/.hidden", "h")
    layout.write(vendor, "lib/v.js", "v")
    age(plain, vendor)
    dirs = [plain, ("vend", vendor)]
    with layout.settings(dirs=dirs, finders=[FS], ASSET_INSPECTOR={"CACHE": "inspector"}):
        walked = {r.path: r for r in current_inventory()}
        new_process()  # the second inventory comes from the shared listings
        recalled = {r.path: r for r in current_inventory()}
    assert set(walked) == {"css/a.css", "css/.hidden", "vend/lib/v.js"}
    assert recalled == walked
    assert recalled["vend/lib/v.js"].winner.location == str(vendor / "lib/v.js")
    assert recalled["css/.hidden"].collect_winner is None


@pytest.mark.parametrize("static_url", ["/static/", "https://cdn.example.com/a/", "/s%20t/x/../"])
def test_production_urls_are_the_storages_own(static_url: str) -> None:
    from inspector.core.manifest.naming import production_url
    from inspector.core.storage.instance import collected_storage

    names = [
        "css/site.css",
        "a b/ü.css",
        "x/./y.css",
        "x/../y.css",
        "a//b.css",
        "f%20.css",
        "font.eot?#iefix",
        "img/a.png#frag",
        "dir/",
        "-weird_.name-.js",
    ]
    with override_settings(STORAGES=MANIFEST_STORAGES, STATIC_URL=static_url):
        storage, _ = collected_storage()
        for name in names:
            hashed = name.replace(".", ".0123456789ab.", 1) if "." in name else name
            expected = storage._url(lambda _n, h=hashed: h, name, force=True)
            assert production_url(storage, name, hashed) == expected, name
        # Never taken where unquoting would change the base URL. (Nor here at all when
        # debug-toolbar's URLMixin wraps the storage's url(), as in the test settings.)
        if "%" in static_url:
            assert storage._inspector_url_base == ""
