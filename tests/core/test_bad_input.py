"""Bad input is reported where it happens and everything else is still inventoried."""

from __future__ import annotations

import json
import os
from io import StringIO
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import override_settings

from inspector.core.inventory import current_inventory
from inspector.core.status import Flag, SourceStatus
from tests.support.layout import Layout
from tests.support.privileges import unreadable

FS = "django.contrib.staticfiles.finders.FileSystemFinder"
APPS = "django.contrib.staticfiles.finders.AppDirectoriesFinder"


def test_missing_staticfiles_dir_is_an_error_on_that_source(layout: Layout) -> None:
    present = layout.folder("present")
    layout.write(present, "css/a.css", "a")
    missing = layout.root / "not-there"
    with layout.settings(dirs=[missing, present]):
        inventory = current_inventory()
    assert inventory.get("css/a.css") is not None
    (summary,) = [s for s in inventory.sources if s.source.root == str(missing)]
    assert summary.files == 0
    assert any("does not exist" in e for e in summary.errors)


def test_symlink_loop_is_reported_and_the_rest_listed(layout: Layout) -> None:
    project = layout.folder("project")
    layout.write(project, "css/a.css", "a")
    layout.write(project, "js/b.js", "b")
    os.symlink("..", project / "css" / "loop")
    with layout.settings(dirs=[project], finders=[FS]):
        inventory = current_inventory()
    assert {r.path for r in inventory} == {"css/a.css", "js/b.js"}
    assert any("symlink loop" in p.message and p.source for p in inventory.problems)


def test_hostile_file_names_are_listed_exactly(layout: Layout) -> None:
    project = layout.folder("project")
    names = [
        "with space.css",
        "ünïcødé/日本.js",
        "quotes'\"`.css",
        "<script>alert(1)</script>.js",
        '=HYPERLINK("x").csv',
        "new\nline.txt",
    ]
    for name in names:
        layout.write(project, name, name)
    with layout.settings(dirs=[project], finders=[FS]):
        inventory = current_inventory()
        assert sorted(r.path for r in inventory) == sorted(names)
        for name in names:
            record = inventory.get(name)
            assert record and record.winner
            assert record.winner.location == finders.find(name)
            assert Path(record.winner.location).read_text() == name


def test_file_deleted_during_the_walk_is_reported(layout: Layout) -> None:
    folder = layout.folder("generated")
    layout.write(folder, "tmp/gone.css", "soon gone")
    layout.write(folder, "css/kept.css", "kept")
    with layout.settings(
        finders=["tests.support.finders.VanishingFinder"], INSPECTOR_TEST_FOLDER=str(folder)
    ):
        inventory = current_inventory()
    assert inventory.get("css/kept.css") is not None
    assert inventory.get("tmp/gone.css") is None
    assert any(p.path == "tmp/gone.css" and "gone" in p.message for p in inventory.problems)


def test_finder_that_raises_does_not_hide_the_others(layout: Layout) -> None:
    project = layout.folder("project")
    layout.write(project, "css/a.css", "a")
    with layout.settings(
        dirs=[project],
        finders=[FS, "tests.support.finders.ExplodingFinder", "tests.support.finders.NoSuchFinder"],
        INSPECTOR_TEST_FOLDER=str(project),
    ):
        inventory = current_inventory()
    assert inventory.get("css/a.css") is not None
    messages = {p.source: p.message for p in inventory.problems}
    assert "exploding finder" in messages["tests.support.finders.ExplodingFinder"]
    assert "could not load finder" in messages["tests.support.finders.NoSuchFinder"]


def test_file_too_large_to_hash_is_unverified_not_duplicate(layout: Layout) -> None:
    first, first_static = layout.app()
    second, second_static = layout.app()
    layout.write(first_static, "big.bin", b"x" * 2048)
    layout.write(second_static, "big.bin", b"x" * 2048)
    with (
        layout.settings(apps=[first, second]),
        override_settings(ASSET_INSPECTOR={"CACHE": None, "MAX_HASH_BYTES": 1024}),
    ):
        record = current_inventory().get("big.bin")
    assert record and record.status == SourceStatus.CONFLICT
    assert Flag.UNVERIFIED in record.flags
    assert any("MAX_HASH_BYTES" in e for e in record.errors)


def test_unreadable_file_and_folder_are_reported(layout: Layout) -> None:
    first = layout.folder("first")
    second = layout.folder("second")
    layout.write(first, "css/same-size.css", "aaaa")
    locked_file = layout.write(second, "css/same-size.css", "bbbb")
    layout.write(second, "locked/inside.css", "hidden")
    layout.write(second, "js/fine.js", "fine")
    out, err = StringIO(), StringIO()
    with (
        layout.settings(dirs=[first, second], finders=[FS]),
        unreadable(locked_file, second / "locked"),
    ):
        call_command("inspect_assets", "--format", "json", stdout=out, stderr=err)
    rows = {row["path"]: row for row in json.loads(out.getvalue())}
    assert set(rows) == {"css/same-size.css", "js/fine.js"}
    same = rows["css/same-size.css"]
    assert same["status"] == "conflict"
    assert "unverified" in same["flags"]
    assert any("Permission denied" in e for e in same["errors"])
    assert "cannot list 'locked': Permission denied" in err.getvalue()
