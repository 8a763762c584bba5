"""The CLI's kept answer: a run on unchanged inputs replays the last one, any change is seen.

Each test runs ``inspect_assets`` twice as two processes would: the second starts with no
in-process state (``new_process()``) and only the shared cache to go on.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from inspector import fingerprints
from inspector.collected import forget_storage
from inspector.deployed import clear_live_cache
from inspector.inventory import clear_inventory_cache, get_inventory
from inspector.listings import CLI_ANSWER_KEY, forget_snapshots
from inspector.management.commands import inspect_assets
from inspector.manifest import clear_manifest_cache

from .layout import Layout, age, collect

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
FS = "django.contrib.staticfiles.finders.FileSystemFinder"


class Counter:
    """Counts the runs that computed their layers instead of replaying a kept answer."""

    def __init__(self) -> None:
        self.computed = 0


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> Counter:
    counter = Counter()
    real: Callable[..., Any] = inspect_assets.command_layers

    def counting(*args: Any, **kwargs: Any) -> Any:
        counter.computed += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(inspect_assets, "command_layers", counting)
    return counter


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
    clear_inventory_cache()
    forget_storage()
    fingerprints.clear_memory_cache()


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


def test_an_unchanged_tree_replays_the_kept_answer(project: Path, computed: Counter) -> None:
    first_out, first_err = run("--format", "json")
    second_out, second_err = run("--format", "json")
    assert computed.computed == 1, "the second run on the same files must replay"
    assert second_out == first_out and second_err == first_err
    assert json.loads(second_out)[0]["manifest"]["status"] == "ok"


def test_an_edited_source_shows_up(project: Path, computed: Counter) -> None:
    before = rows()
    assert before["img/x.png"]["live_status"] == "current"
    rewrite(project / "img/x.png", b"png2")  # same size, other bytes
    after = rows()
    assert computed.computed == 2
    assert after["img/x.png"]["live_status"] == "modified"
    assert after["img/x.png"]["manifest"]["status"] == "stale"
    # The CSS that references it is hashed after its references: stale too.
    assert after["css/a.css"]["manifest"]["status"] == "stale"
    assert before["css/a.css"]["manifest"]["status"] == "ok"


def test_an_edited_collected_copy_shows_up(
    layout: Layout, project: Path, computed: Counter
) -> None:
    assert rows()["js/a.js"]["live_status"] == "current"
    rewrite(collected(layout) / "js/a.js", b"console.log(2);\n")
    assert rows()["js/a.js"]["live_status"] == "modified"
    assert computed.computed == 2


def test_an_edited_hashed_copy_shows_up(layout: Layout, project: Path, computed: Counter) -> None:
    hashed = rows()["img/x.png"]["manifest"]["hashed_name"]
    rewrite(collected(layout) / hashed, b"png9")
    assert rows()["img/x.png"]["manifest"]["status"] == "stale"
    assert computed.computed == 2


def test_a_manifest_edit_is_seen_by_its_bytes_not_its_stamp(
    layout: Layout, project: Path, computed: Counter
) -> None:
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
    assert computed.computed == 2


def test_added_and_removed_files_show_up(layout: Layout, project: Path, computed: Counter) -> None:
    assert set(rows()) >= {"css/a.css", "js/a.js"}
    rewrite(project / "js/new.js", b"new")
    age(project / "js")  # the folder changed too: a stale listing must not be trusted
    (project / "css/a.css").unlink()
    age(project / "css")
    after = rows()
    assert "js/new.js" in after and after["js/new.js"]["live_status"] == "missing"
    assert after["css/a.css"]["status"] == "absent", "only the collected copy is left"
    assert computed.computed == 2


def test_a_file_changed_within_the_clock_tick_is_never_kept(
    project: Path, computed: Counter
) -> None:
    (project / "js/a.js").write_bytes(b"console.log(3);\n")  # now: racy
    first = rows()
    assert caches["inspector"].get(CLI_ANSWER_KEY) is None
    assert rows() == first
    assert computed.computed == 2, "a racy tree is checked in full every time"


def test_options_are_part_of_the_signature(project: Path, computed: Counter) -> None:
    assert set(rows("--path", "js/*")) == {"js/a.js"}
    assert set(rows()) >= {"css/a.css", "img/x.png", "js/a.js"}
    out, _ = run("--format", "csv")
    assert out.startswith("path,status,")
    assert computed.computed == 3


def test_the_table_is_never_kept(project: Path, computed: Counter) -> None:
    run()
    run()
    assert computed.computed == 2


def test_a_settings_change_is_a_new_answer(project: Path, computed: Counter) -> None:
    assert rows()["js/a.js"]["manifest"]["url"].startswith("/static/")
    with override_settings(STATIC_URL="/assets/"):
        assert rows()["js/a.js"]["manifest"]["url"].startswith("/assets/")
    assert computed.computed == 2


def test_fail_on_and_warnings_are_replayed(
    layout: Layout, project: Path, computed: Counter
) -> None:
    manifest = collected(layout) / "staticfiles.json"
    data = json.loads(manifest.read_text())
    del data["paths"]["js/a.js"]
    manifest.write_text(json.dumps(data))
    age(manifest)
    outcomes = []
    for _ in range(2):
        with pytest.raises(CommandError) as raised:
            run("--format", "json", "--fail-on", "missing-entry")
        outcomes.append((str(raised.value), raised.value.returncode))
    assert computed.computed == 1
    assert outcomes[0] == outcomes[1] and outcomes[0][1] == 1 and "js/a.js" in outcomes[0][0]
    _, first_err = run("--format", "json")
    _, second_err = run("--format", "json")
    assert "orphaned-hashed-file" in first_err and second_err == first_err


@pytest.mark.parametrize("clear", [clear_manifest_cache, clear_live_cache, forget_snapshots])
def test_the_clear_functions_forget_the_kept_answer(
    project: Path, computed: Counter, clear: Callable[[], None]
) -> None:
    run("--format", "json")
    assert caches["inspector"].get(CLI_ANSWER_KEY) is not None
    clear()
    assert caches["inspector"].get(CLI_ANSWER_KEY) is None
    run("--format", "json")
    assert computed.computed == 2


def test_without_a_shared_cache_every_run_computes(project: Path, computed: Counter) -> None:
    with override_settings(ASSET_INSPECTOR={"CACHE": None}):
        rows()
        rows()
    assert computed.computed == 2


def test_a_recalled_listing_keeps_prefixes_locations_and_ignored_files(layout: Layout) -> None:
    plain, vendor = layout.folder("plain"), layout.folder("vendor")
    layout.write(plain, "css/a.css", "a")
    layout.write(plain, "css/.hidden", "h")
    layout.write(vendor, "lib/v.js", "v")
    age(plain, vendor)
    dirs = [plain, ("vend", vendor)]
    with layout.settings(dirs=dirs, finders=[FS], ASSET_INSPECTOR={"CACHE": "inspector"}):
        walked = {r.path: r for r in get_inventory()}
        new_process()  # the second inventory comes from the shared listings
        recalled = {r.path: r for r in get_inventory()}
    assert set(walked) == {"css/a.css", "css/.hidden", "vend/lib/v.js"}
    assert recalled == walked
    assert recalled["vend/lib/v.js"].winner.location == str(vendor / "lib/v.js")
    assert recalled["css/.hidden"].collect_winner is None


@pytest.mark.parametrize("static_url", ["/static/", "https://cdn.example.com/a/", "/s%20t/x/../"])
def test_production_urls_are_the_storages_own(static_url: str) -> None:
    from inspector.collected import collected_storage
    from inspector.manifest_hashing import production_url

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
