"""The live layer on local storages: a real ``collectstatic``, then drift planted on both sides.

Each test plants drift the way it happens in real life (a source edited, added or deleted after the
deploy; a collected copy overwritten or deleted by hand) and checks that exactly the planted paths
carry the planted status and every other path is ``current``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from inspector.core.freshness import MaxAge
from inspector.core.inventory import current_inventory
from inspector.core.layers import current_layers
from inspector.core.live import LiveReport
from inspector.core.status import LiveStatus
from inspector.core.storage.instance import collected_storage
from inspector.core.storage.kept import snapshot_of
from tests.support.layout import Layout, age, collect, collected_app
from tests.support.privileges import unreadable

DJANGO = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"

FILES: dict[str, str] = {
    "css/site.css": 'body { background: url("../img/dot.svg"); }\n',
    "css/print.css": "@media print { body { color: black } }\n",
    "img/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>\n',
    "js/app.js": "console.log('app');\n" * 80,  # large enough for whitenoise to compress
    "js/same-size.js": "let answer = 41;\n",
    "odd/with space <script>.css": "p { color: red }\n",
    "odd/ünïcødé.js": "console.log('ü');\n",
}


def live_report() -> LiveReport:
    """The live layer of layers checked now."""
    report = current_layers().live
    assert report is not None
    return report


@dataclass
class Deployed:
    layout: Layout
    static: Path
    backend: str

    @property
    def root(self) -> Path:
        return self.layout.root / "collected"

    def report(self) -> LiveReport:
        return live_report()

    def statuses(self) -> dict[str, LiveStatus]:
        report = self.report()
        paths = [r.path for r in current_inventory()] + list(report.orphans)
        found = {path: report.status_of(path) for path in paths}
        assert None not in found.values(), found
        return found  # type: ignore[return-value]


@pytest.fixture(params=[DJANGO, PLAIN, WHITENOISE])
def deployed(layout: Layout, request: pytest.FixtureRequest) -> Iterator[Deployed]:
    with collected_app(layout, "live", FILES, request.param) as static:
        yield Deployed(layout, static, request.param)


def only(statuses: dict[str, LiveStatus], planted: dict[str, LiveStatus]) -> None:
    """Assert the planted statuses on exactly their paths, and ``current`` everywhere else."""
    assert {p: s for p, s in statuses.items() if s != LiveStatus.CURRENT} == planted
    assert set(planted) <= set(statuses)


def test_a_fresh_collection_is_current_everywhere(deployed: Deployed) -> None:
    report = deployed.report()
    only(deployed.statuses(), {})
    assert report.checked and report.problems == () and report.orphans == ()
    assert report.location == str(deployed.root)
    # Hashed copies, compressed variants and the manifest are accounted for, never orphans.
    assert report.file_count > len(FILES)


def test_drift_on_both_sides_shows_on_exactly_its_paths(deployed: Deployed) -> None:
    static, root = deployed.static, deployed.root
    (static / "css/site.css").write_text("body { color: blue }\n")  # edited, new size
    (static / "js/same-size.js").write_text("let answer = 42;\n")  # edited, same size
    deployed.layout.write(static, "css/new.css", "h1 { margin: 0 }\n")  # added
    (static / "css/print.css").unlink()  # deleted: its collected copy is orphaned
    (root / "img/dot.svg").write_text("<svg/>\n")  # overwritten in the storage
    (root / "odd/ünïcødé.js").unlink()  # deleted from the storage
    age(deployed.layout.root)

    only(
        deployed.statuses(),
        {
            "css/site.css": LiveStatus.MODIFIED,
            "js/same-size.js": LiveStatus.MODIFIED,
            "css/new.css": LiveStatus.MISSING,
            "css/print.css": LiveStatus.ORPHANED,
            "img/dot.svg": LiveStatus.MODIFIED,
            "odd/ünïcødé.js": LiveStatus.MISSING,
        },
    )
    report = deployed.report()
    assert "sizes differ" in report.entry("css/site.css").note
    assert "md5 differs" in report.entry("js/same-size.js").note
    assert report.entry("css/new.css").note == "not collected yet: run collectstatic"


def test_a_check_lists_the_collected_folder_again_not_an_older_listing(
    deployed: Deployed,
) -> None:
    storage, _ = collected_storage()
    assert storage is not None
    snapshot_of(storage)  # a page listed the collected folder (the panel, the collection page)
    copy = deployed.root / "js/same-size.js"
    with open(copy, "r+") as stream:  # then a deploy rewrote a copy in place: same size
        stream.write("let answer = 40;\n")
    age(deployed.layout.root)
    report = current_layers(max_age=MaxAge(600, 600)).live  # a page's check, whatever is kept
    assert report is not None
    assert report.status_of("js/same-size.js") == LiveStatus.MODIFIED
    assert "md5 differs" in report.entry("js/same-size.js").note


def test_a_dotfile_collection_ignores_is_missing(layout: Layout) -> None:
    app, static = layout.app("dots")
    layout.write(static, ".env.example", "A=1\n")
    layout.write(static, "a.css", "a {}\n")
    with layout.settings(apps=[app]):
        collect(layout)
        report = live_report()
    entry = report.entry(".env.example")
    assert entry.status == LiveStatus.MISSING and "collectstatic ignores it" in entry.note
    assert report.status_of("a.css") == LiveStatus.CURRENT


def test_nothing_collected_yet_is_missing_everywhere_not_an_error(layout: Layout) -> None:
    app, static = layout.app("fresh")
    layout.write(static, "a.css", "a {}\n")
    with layout.settings(apps=[app]):
        report = live_report()
    assert report.status_of("a.css") == LiveStatus.MISSING
    assert report.problems == () and report.file_count == 0


def test_an_unreadable_collected_copy_is_unknown_with_the_reason(deployed: Deployed) -> None:
    with unreadable(deployed.root / "js/same-size.js"):
        entry = deployed.report().entry("js/same-size.js")
    assert entry.status == LiveStatus.UNKNOWN
    assert "cannot read the collected copy" in entry.note


# --- the CLI ----------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("inspect_assets", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_cli_json_has_live_statuses_and_orphan_rows(deployed: Deployed) -> None:
    (deployed.static / "css/print.css").unlink()
    (deployed.root / "img/dot.svg").write_text("<svg/>\n")
    age(deployed.layout.root)
    rows = {row["path"]: row for row in json.loads(run("--format", "json"))}
    orphan = rows["css/print.css"]
    assert orphan["status"] == "absent" and orphan["winner"] is None
    assert orphan["candidates"] == [] and orphan["live_status"] == "orphaned"
    assert rows["img/dot.svg"]["live_status"] == "modified"
    assert rows["css/site.css"]["live_status"] == "current"
    only_modified = json.loads(run("--format", "json", "--live-status", "modified"))
    assert [row["path"] for row in only_modified] == ["img/dot.svg"]


def test_cli_fails_on_live_words_and_prints_the_diff(deployed: Deployed) -> None:
    (deployed.static / "css/site.css").write_text("body { color: blue }\n")
    age(deployed.layout.root)
    with pytest.raises(CommandError) as failed:
        run("--fail-on", "modified,orphaned")
    assert failed.value.returncode == 1 and "css/site.css" in str(failed.value)
    run("--fail-on", "orphaned")  # nothing orphaned: exit 0
    diff = run("--diff", "css/site.css")
    assert "-body { background" in diff and "+body { color: blue }" in diff
    assert "current" in run("--diff", "css/print.css")  # nothing to diff, said so


def test_cli_csv_carries_the_live_status(deployed: Deployed) -> None:
    (deployed.root / "img/dot.svg").write_text("<svg/>\n")
    lines = run("--format", "csv", "--path", "img/*").splitlines()
    header = lines[0].split(",")
    row = dict(zip(header, lines[1].split(","), strict=True))
    assert row["live_status"] == "modified"


def test_no_live_leaves_the_layer_null(deployed: Deployed) -> None:
    rows = json.loads(run("--format", "json", "--no-live"))
    assert {row["live_status"] for row in rows} == {None}
    with pytest.raises(CommandError) as refused:
        run("--no-live", "--live-status", "modified")
    assert refused.value.returncode == 2


def test_command_layers_list_the_storage_once(deployed: Deployed) -> None:
    layers = current_layers()
    assert layers.live is not None and layers.manifest is not None
    assert {r.path for r in layers.records} >= set(FILES)


# --- the dashboard ----------------------------------------------------------------------------


def test_dashboard_shows_live_counts_filters_and_the_diff(
    deployed: Deployed, viewer_client: Client
) -> None:
    (deployed.static / "css/site.css").write_text("body { color: blue }\n")
    (deployed.static / "css/print.css").unlink()
    age(deployed.layout.root)
    page = viewer_client.get("/assets/").content.decode()
    assert "Collected copies against the sources" in page
    assert str(deployed.root) in page and " ago" in page
    assert 'href="/assets/paths/?live=modified"><strong>1</strong> modified' in page
    listed = viewer_client.get("/assets/paths/", {"live": "modified"}).content.decode()
    assert "css/site.css" in listed and "img/dot.svg" not in listed
    orphans = viewer_client.get("/assets/paths/", {"live": "orphaned"}).content.decode()
    assert "css/print.css" in orphans and "css/site.css" not in orphans
    detail = viewer_client.get("/assets/paths/css/site.css").content.decode()
    assert "From the collected copy to the source now" in detail
    assert "+body { color: blue }" in detail.replace("<mark>", "").replace("</mark>", "")
    orphan = viewer_client.get("/assets/paths/css/print.css")
    assert orphan.status_code == 200 and "orphaned" in orphan.content.decode()
    assert viewer_client.get("/assets/paths/css/never-existed.css").status_code == 404


def test_a_collected_copy_edited_since_the_check_is_diffed_as_it_is_now(
    deployed: Deployed, viewer_client: Client
) -> None:
    (deployed.static / "css/site.css").write_text("body { color: blue }\n")
    age(deployed.layout.root)
    url = "/assets/paths/css/site.css"
    config = {"CACHE": "inspector", "RECHECK_SECONDS": 600, "DIFF_MAX_BYTES": 1000}
    with override_settings(ASSET_INSPECTOR=config):
        assert (
            "From the collected copy to the source now" in viewer_client.get(url).content.decode()
        )
        # Overwritten by hand in place, within RECHECK_SECONDS: the page uses the kept layers.
        (deployed.root / "css/site.css").write_text("body { color: plum }\n")
        detail = viewer_client.get(url).content.decode()
        (deployed.root / "css/site.css").write_text("a { color: plum }\n" * 100)  # grown
        grown = viewer_client.get(url).content.decode()
    assert "could not read" not in detail
    unmarked = detail.replace("<mark>", "").replace("</mark>", "")
    assert "-body { color: plum }" in unmarked and "+body { color: blue }" in unmarked
    assert "larger than 1,000 bytes: not diffed" in grown, "the limit holds for the copy now"
    assert grown.count("a { color: plum }") == 0


def test_recheck_is_a_csrf_protected_post_that_returns_to_the_page(
    deployed: Deployed, viewer: object
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)  # type: ignore[arg-type]
    assert client.get("/assets/recheck/").status_code == 405
    assert client.post("/assets/recheck/", {"next": "/assets/paths/"}).status_code == 403
    page = client.get("/assets/")
    token = page.cookies["csrftoken"].value
    back = client.post(
        "/assets/recheck/",
        {"next": "/assets/paths/?live=modified", "csrfmiddlewaretoken": token},
    )
    assert back.status_code == 302 and back["Location"] == "/assets/paths/?live=modified"
    away = client.post(
        "/assets/recheck/", {"next": "https://evil.example/", "csrfmiddlewaretoken": token}
    )
    assert away["Location"] == "/assets/"
