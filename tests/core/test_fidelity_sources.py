"""Source shapes of real projects, against a real ``collectstatic``: symlinked workspace folders
(pnpm/yarn workspaces, a linked design system) and one folder in ``STATICFILES_DIRS`` twice.

Oracles: Django's finders, what ``collectstatic`` wrote, and the bytes on disk.
"""

from __future__ import annotations

import json
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from inspector.core import fingerprints
from inspector.core.inventory import current_inventory
from inspector.core.layers import current_layers
from inspector.core.status import Flag, LiveStatus, SourceStatus
from tests.support.fidelity import assert_agrees_with_django
from tests.support.layout import Layout, age, collect

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
APPS = "django.contrib.staticfiles.finders.AppDirectoriesFinder"


def workspace(layout: Layout) -> tuple[Path, Path, Path]:
    """A project folder whose ``ds`` folder and ``vendor.js`` are symlinks into a workspace
    outside it, as pnpm or a linked design system leave them; return (assets, package, vendor)."""
    package = layout.folder("workspace/packages/ds/static/ds")
    layout.write(package, "button.css", ".button { color: red }\n")
    layout.write(package, "img/logo.svg", "<svg/>")
    vendor = layout.write(layout.folder("workspace/vendor"), "vendor.js", "export const v = 1;\n")
    assets = layout.folder("assets")
    layout.write(assets, "css/site.css", "body { margin: 0 }\n")
    os.symlink(package, assets / "ds")
    os.symlink(vendor, assets / "vendor.js")
    return assets, package, vendor


def inspect_json(*args: str) -> dict[str, dict]:
    out = StringIO()
    call_command("inspect_assets", "--format", "json", *args, stdout=out, stderr=StringIO())
    return {row["path"]: row for row in json.loads(out.getvalue())}


@pytest.mark.parametrize("link", [False, True], ids=["copied", "collectstatic-link"])
def test_a_symlinked_workspace_gives_no_false_orphan_after_a_clean_collectstatic(
    layout: Layout, link: bool
) -> None:
    assets, package, vendor = workspace(layout)
    with layout.settings(dirs=[assets], finders=[FS], STORAGES=STORAGES):
        if link:
            call_command("collectstatic", interactive=False, verbosity=0, link=True)
        else:
            collected = collect(layout)
            assert_agrees_with_django(current_inventory(), collected)
        age(layout.root)
        layers = current_layers()
        assert layers.live is not None
        assert layers.live.orphans == ()
        assert layers.live.problems == (), "no link refused: they lead to sources"
        linked = ["ds/button.css", "ds/img/logo.svg", "vendor.js"]
        for path in [*linked, "css/site.css"]:
            assert layers.live.status_of(path) == LiveStatus.CURRENT, path
        assert not [p for p in layers.inventory.problems if "symlink" in p.message]
        rows = inspect_json("--fail-on", "orphaned,missing,modified")
    assert set(rows) == {*linked, "css/site.css"}
    assert rows["ds/button.css"]["status"] == "unique"
    assert rows["ds/button.css"]["winner"]["location"] == str(assets / "ds" / "button.css")
    assert rows["ds/button.css"]["winner"]["symlink"] == str(package / "button.css")
    assert rows["ds/img/logo.svg"]["winner"]["symlink"] == str(package / "img" / "logo.svg")
    assert rows["vendor.js"]["winner"]["symlink"] == str(vendor)
    assert rows["css/site.css"]["winner"]["symlink"] is None


def test_linked_files_are_hashed_as_collectstatic_hashes_them(layout: Layout) -> None:
    assets, package, _ = workspace(layout)
    layout.write(package, "button.css", ".button { background: url(img/logo.svg) }\n")
    manifest = {
        **STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with layout.settings(dirs=[assets], finders=[FS], STORAGES=manifest, DEBUG=False):
        collect(layout)
        age(layout.root)
        rows = inspect_json("--fail-on", "warning")
    assert rows["ds/button.css"]["manifest"]["status"] == "ok"
    assert {r["severity"] for r in rows.values()} == {"ok"}


def test_linked_files_are_hashed_and_compared_by_their_bytes(layout: Layout) -> None:
    assets, package, _ = workspace(layout)
    theme = layout.folder("theme")
    layout.write(theme, "ds/button.css", ".button { color: blue }\n")  # same size, other bytes
    with layout.settings(dirs=[assets, theme], finders=[FS], STORAGES=STORAGES):
        age(layout.root)
        record = current_inventory().get("ds/button.css")
    assert record is not None and record.status == SourceStatus.CONFLICT
    assert record.candidates[1].identical_to_winner is False
    assert record.winner is not None and record.winner.symlink == str(package / "button.css")


def test_a_link_retargeted_after_the_listing_is_not_read_through(layout: Layout) -> None:
    assets, _, _ = workspace(layout)
    secret = layout.folder("secret")
    layout.write(secret, "button.css", "SECRET SECRET SECRET\n")
    with layout.settings(dirs=[assets], finders=[FS], STORAGES=STORAGES):
        age(layout.root)
        record = current_inventory().get("ds/button.css")
        assert record is not None and record.winner is not None
        stamp = record.winner.stamp
        assert stamp is not None and b".button" in fingerprints.read_recorded(stamp)
        os.unlink(assets / "ds")
        os.symlink(secret, assets / "ds")
        with pytest.raises(fingerprints.ChangedSinceListed):
            fingerprints.read_recorded(stamp)


def test_a_link_in_static_root_to_outside_every_source_stays_refused(layout: Layout) -> None:
    assets, _, _ = workspace(layout)
    outside = layout.folder("outside")
    layout.write(outside, "passwd", "root:x:0:0\n")
    with layout.settings(dirs=[assets], finders=[FS], STORAGES=STORAGES):
        collect(layout)
        root = layout.root / "collected"
        (root / "passwd").symlink_to(outside / "passwd")
        # Named through a source folder, but climbing out of it: refused too.
        (root / "climb").symlink_to(f"{assets}/ds/../../../../outside/passwd")
        age(layout.root)
        live = current_layers().live
        assert live is not None and live.orphans == ()
        said = "\n".join(live.problems)
    assert "'passwd' is a symlink to" in said and "'climb' is a symlink to" in said


# --- one folder in STATICFILES_DIRS twice -------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [("", "legacy"), ("legacy", ""), ("a", "b")],
    ids=["none-then-legacy", "legacy-then-none", "a-then-b"],
)
def test_a_folder_listed_twice_gives_dev_only_rows_and_no_false_duplicate(
    layout: Layout, first: str, second: str
) -> None:
    shared = layout.folder("static")
    layout.write(shared, "css/site.css", "body {}\n")
    layout.write(shared, "js/app.js", "run();\n")
    dirs = [(p, str(shared)) if p else str(shared) for p in (first, second)]
    served = [os.path.join(p, name) if p else name for p in (first, second) for name in NAMES]
    dev_only = set(served[:2])
    with layout.settings(dirs=dirs, finders=[FS], STORAGES=STORAGES):
        collected = collect(layout)
        age(layout.root)
        inventory = current_inventory()
        assert_agrees_with_django(inventory, collected)
        assert {r.path for r in inventory} == set(served), "development serves both prefixes"
        assert set(collected) == set(served[2:])
        for record in inventory:
            assert record.status == SourceStatus.UNIQUE, record.path
            assert len(record.candidates) == 1, record.path
        layers = current_layers()
        rows = inspect_json()
    for path in dev_only:
        assert rows[path]["flags"] == ["ignored-by-collect"]
        assert rows[path]["live_status"] == "missing"
        assert "in STATICFILES_DIRS more than once" in rows[path]["notes"][0]
        why = [r.why for r in layers.judgement(path).reasons]
        assert any("never collects the paths this entry serves" in w for w in why), why
    for path in served[2:]:
        assert rows[path]["flags"] == [] and rows[path]["live_status"] == "current"
        assert rows[path]["notes"] == []
    assert layers.live is not None and layers.live.orphans == ()


def test_a_folder_listed_twice_is_collected_where_its_first_entry_stands(layout: Layout) -> None:
    shared = layout.folder("static")
    layout.write(shared, "css/site.css", "body {}\n")
    between = layout.folder("between")
    layout.write(between, "legacy/css/site.css", "p {}\n")
    dirs = [str(shared), str(between), ("legacy", str(shared))]
    with layout.settings(dirs=dirs, finders=[FS], STORAGES=STORAGES):
        collected = collect(layout)
        inventory = current_inventory()
        assert_agrees_with_django(inventory, collected)
    record = inventory.get("legacy/css/site.css")
    assert record is not None and record.status == SourceStatus.CONFLICT
    assert record.winner is not None and record.winner.location.startswith(str(between))
    assert record.collect_winner is not None
    assert record.collect_winner.location == str(shared / "css" / "site.css")
    assert Flag.ORDER_MISMATCH in record.flags


NAMES = ["css/site.css", "js/app.js"]
