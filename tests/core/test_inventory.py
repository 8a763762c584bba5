"""The inventory against Django's own answers: precedence, statuses, both winners, freshness."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import caches

from inspector.core import fingerprints
from inspector.core.inventory import clear_inventory_cache, current_inventory
from inspector.core.status import Flag, SourceStatus
from tests.support.layout import Layout, age, collect, files_cache

FS = "django.contrib.staticfiles.finders.FileSystemFinder"
APPS = "django.contrib.staticfiles.finders.AppDirectoriesFinder"


def test_precedence_and_statuses_match_django(layout: Layout) -> None:
    theme, theme_static = layout.app("theme")
    base, base_static = layout.app("base")
    project = layout.folder("project")
    layout.write(theme_static, "admin/base.css", "body { color: red }")
    layout.write(base_static, "admin/base.css", "body { color: blue; margin: 0 }")
    layout.write(project, "img/logo.svg", "<svg/>")
    layout.write(theme_static, "img/logo.svg", "<svg/>")
    layout.write(base_static, "js/only.js", "1")

    with layout.settings(apps=[theme, base], dirs=[project]):
        inventory = current_inventory()
        base_css = inventory.get("admin/base.css")
        logo = inventory.get("img/logo.svg")
        only = inventory.get("js/only.js")
        assert base_css and logo and only
        assert base_css.status == SourceStatus.CONFLICT
        assert logo.status == SourceStatus.DUPLICATE
        assert only.status == SourceStatus.UNIQUE
        for record in inventory:
            assert record.winner is not None
            assert record.winner.location == finders.find(record.path)
            assert [c.location for c in record.candidates] == finders.find(
                record.path, find_all=True
            )
        assert base_css.winner and base_css.winner.source == f"app:{theme}"
        assert [c.source for c in base_css.shadowed] == [f"app:{base}"]
        assert base_css.shadowed[0].identical_to_winner is False
        assert logo.winner and logo.winner.source == f"dir:{project}"
        assert logo.shadowed[0].identical_to_winner is True


def test_equal_sizes_are_compared_by_bytes(layout: Layout) -> None:
    first, first_static = layout.app()
    second, second_static = layout.app()
    layout.write(first_static, "same-size.txt", "aaaa")
    layout.write(second_static, "same-size.txt", "bbbb")
    layout.write(first_static, "other-size.txt", "a")
    layout.write(second_static, "other-size.txt", "bb")

    with layout.settings(apps=[first, second]):
        inventory = current_inventory()
    same = inventory.get("same-size.txt")
    other = inventory.get("other-size.txt")
    assert same and other
    assert same.status == other.status == SourceStatus.CONFLICT
    # Bytes were read only where the sizes left the question open.
    assert [c.md5 for c in same.candidates] == [
        hashlib.md5(b"aaaa").hexdigest(),
        hashlib.md5(b"bbbb").hexdigest(),
    ]
    assert [c.md5 for c in other.candidates] == [None, None]


def test_prefixed_folder_serves_under_its_prefix(layout: Layout) -> None:
    vendor = layout.folder("vendor")
    layout.write(vendor, "chart/chart.js", "chart")
    with layout.settings(dirs=[("lib", vendor)]):
        record = current_inventory().get("lib/chart/chart.js")
        assert record and record.winner
        assert record.winner.source == f"dir:lib={vendor}"
        assert record.winner.location == finders.find("lib/chart/chart.js")
        assert current_inventory().get("chart/chart.js") is None


def test_dotfiles_are_served_but_never_collected(layout: Layout) -> None:
    project = layout.folder("project")
    layout.write(project, ".browserslistrc", "defaults")
    layout.write(project, "css/site.css~", "backup")
    layout.write(project, ".hidden/inside.css", "x")
    layout.write(project, "css/site.css", "site")
    with layout.settings(dirs=[project]):
        inventory = current_inventory()
        collected = collect(layout)
    ignored = {r.path for r in inventory if Flag.IGNORED_BY_COLLECT in r.flags}
    assert ignored == {".browserslistrc", "css/site.css~", ".hidden/inside.css"}
    assert set(collected) == {r.path for r in inventory} - ignored


def test_order_mismatch_when_a_finder_serves_what_it_does_not_list(layout: Layout) -> None:
    """A finder like django-compressor's lists nothing yet wins in development."""
    app, app_static = layout.app()
    layout.write(app_static, "css/site.css", "from the app")
    generated = layout.folder("generated")
    layout.write(generated, "css/site.css", "generated, newer")
    with layout.settings(
        apps=[app],
        finders=["tests.support.finders.UnlistedFinder", APPS],
        INSPECTOR_TEST_FOLDER=str(generated),
    ):
        record = current_inventory().get("css/site.css")
        collected = collect(layout)
        dev_winner = finders.find("css/site.css")
    assert record and record.winner and record.collect_winner
    assert record.winner.location == dev_winner == str(generated / "css/site.css")
    assert Flag.ORDER_MISMATCH in record.flags
    assert collected["css/site.css"] == Path(record.collect_winner.location).read_bytes()
    assert collected["css/site.css"] == b"from the app"


def test_edits_additions_and_removals_show_up_without_restart(layout: Layout) -> None:
    project = layout.folder("project")
    layout.write(project, "css/a.css", "a")
    layout.write(project, "css/b.css", "b")
    age(project)
    with layout.settings(dirs=[project]):
        first = current_inventory()
        assert current_inventory() is first, "an unchanged tree must not be rebuilt"

        layout.write(project, "css/a.css", "a, edited")
        edited = current_inventory()
        record = edited.get("css/a.css")
        assert record and record.winner and record.winner.size == len("a, edited")

        layout.write(project, "css/new.css", "new")
        (project / "css/b.css").unlink()
        changed = current_inventory()
        assert changed.get("css/new.css") is not None
        assert changed.get("css/b.css") is None


def test_same_size_edit_within_one_clock_tick_is_seen(layout: Layout) -> None:
    """An edit that keeps size and lands in the same timestamp tick must still change status."""
    first, first_static = layout.app()
    second, second_static = layout.app()
    layout.write(first_static, "x.txt", "same")
    layout.write(second_static, "x.txt", "same")
    with layout.settings(apps=[first, second]):
        assert (rec := current_inventory().get("x.txt")) and rec.status == SourceStatus.DUPLICATE
        target = second_static / "x.txt"
        stat = target.stat()
        target.write_bytes(b"diff")
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert (rec := current_inventory().get("x.txt")) and rec.status == SourceStatus.CONFLICT


def test_fingerprints_are_shared_through_the_cache_framework(layout: Layout) -> None:
    first, first_static = layout.app()
    second, second_static = layout.app()
    layout.write(first_static, "x.txt", "same")
    layout.write(second_static, "x.txt", "same")
    age(first_static, second_static)
    shared = {"CACHE": "files", "SHARED_CACHE_MIN_BYTES": 0}
    with layout.settings(apps=[first, second], ASSET_INSPECTOR=shared, CACHES=files_cache(layout)):
        current_inventory()
        # Another process would start with empty memory; what it may reuse is the shared cache.
        fingerprints.clear_memory_cache()
        target = second_static / "x.txt"
        stamp = fingerprints.FileStamp.of(str(target))
        assert fingerprints.peek(stamp) is None
        # Rewrite the bytes but keep size, mtime and inode: only a cached digest can still say
        # "same", which proves the shared cache answered instead of the file.
        target.write_bytes(b"SAME")
        os.utime(target, ns=(stamp.mtime_ns, stamp.mtime_ns))
        assert fingerprints.FileStamp.of(str(target)) == stamp
        assert fingerprints.md5(stamp) == hashlib.md5(b"same").hexdigest()


def test_listings_shared_between_processes_still_see_changes(layout: Layout) -> None:
    project = layout.folder("project")
    layout.write(project, "css/a.css", "a")
    layout.write(project, "js/b.js", "b")
    age(project)
    shared = {"CACHE": "files"}
    with layout.settings(
        dirs=[project], finders=[FS], ASSET_INSPECTOR=shared, CACHES=files_cache(layout)
    ):
        assert {r.path for r in current_inventory()} == {"css/a.css", "js/b.js"}
        # A new process has no in-process state; it starts from what the shared cache holds.
        clear_inventory_cache()
        assert {r.path for r in current_inventory()} == {"css/a.css", "js/b.js"}

        clear_inventory_cache()
        layout.write(project, "css/new.css", "new")
        (project / "js/b.js").unlink()
        assert {r.path for r in current_inventory()} == {"css/a.css", "css/new.css"}


def test_a_cache_in_this_process_only_is_left_empty(layout: Layout) -> None:
    """A locmem ``CACHE`` would only hold a second copy of what the process keeps anyway."""
    project = layout.folder("project")
    layout.write(project, "css/a.css", "same")
    layout.write(project, "css/b.css", "same")
    other = layout.folder("other")
    layout.write(other, "css/a.css", "same")
    age(project, other)
    with layout.settings(dirs=[project, other], finders=[FS]):
        cache = caches[settings.ASSET_INSPECTOR["CACHE"]]
        cache.clear()
        record = current_inventory().get("css/a.css")
        assert record is not None and record.status == SourceStatus.DUPLICATE  # md5s were taken
        assert not cache._cache  # type: ignore[attr-defined]  # nothing written


def test_small_files_share_their_fingerprints_in_buckets(layout: Layout) -> None:
    project = layout.folder("project")
    files = [layout.write(project, f"d{i % 7}/f{i}.css", f"body{{n:{i}}}") for i in range(60)]
    age(project)
    with layout.settings(ASSET_INSPECTOR={"CACHE": "files"}, CACHES=files_cache(layout)):
        stamps = [fingerprints.FileStamp.of(str(path)) for path in files]
        first = fingerprints.md5_many(stamps)
        # A new process: empty memory. Disguise one file (new bytes, same stamp) and really
        # change another: the first is answered from the shared bucket, the second is read.
        fingerprints.clear_memory_cache()
        disguised, changed = files[3], files[4]
        disguised.write_bytes(b"XXXX{n:3}")
        os.utime(disguised, ns=(stamps[3].mtime_ns, stamps[3].mtime_ns))
        changed.write_text("body{n:4; changed: yes}")
        os.utime(changed, ns=(stamps[4].mtime_ns - 10**9, stamps[4].mtime_ns - 10**9))
        again = [fingerprints.FileStamp.of(str(path)) for path in files]
        assert again[3] == stamps[3] and again[4] != stamps[4]
        second = fingerprints.md5_many(again)
    assert second[again[3]] == first[stamps[3]] == hashlib.md5(b"body{n:3}").hexdigest()
    assert second[again[4]] == hashlib.md5(b"body{n:4; changed: yes}").hexdigest()
    assert all(second[a] == first[s] for a, s in zip(again, stamps, strict=True) if a == s)
