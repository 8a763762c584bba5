"""The exports' file names say what was filtered, the paths CSV's extension columns come last,
and the run history exports with the paths export's conventions (issue 19, CSV exports)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inspector.core.rows import CSV_COLUMNS
from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
# design.md's columns, then the extensions in the order they were added: never renamed or moved.
CONTRACT = [
    *("path", "status", "flags", "winner_source", "winner_location", "candidates"),
    *("shadowed_sources", "live_status", "manifest_status", "hashed_name", "served_status"),
    *("severity", "accepted_reason"),
]
SAFE_NAME = re.compile(r'attachment; filename="[a-z0-9-]+\.(csv|json)"')


@pytest.fixture
def three_folders(layout: Layout) -> Layout:
    """css/site.css in three folders: the second an identical copy, the third different."""
    for folder, content in (("first", "same"), ("second", "same"), ("third", "other")):
        layout.write(layout.folder(folder), "css/site.css", content)
    layout.write(layout.folder("first"), "js/app.js", "1;")
    return layout


def dirs(layout: Layout) -> list[str]:
    return [str(layout.root / name) for name in ("first", "second", "third")]


def export(client: Client, page: str, query: dict[str, object]) -> tuple[str, bytes]:
    response = client.get(f"{reverse(page)}?{urlencode({**query, '_export': 'csv'}, True)}")
    assert response.status_code == 200
    return response["Content-Disposition"], response.content


def test_the_file_name_says_what_was_filtered(viewer_client: Client, three_folders: Layout) -> None:
    with three_folders.settings(dirs=dirs(three_folders), finders=[FS]):
        plain, _ = export(viewer_client, "inspector:paths", {})
        conflicts, _ = export(viewer_client, "inspector:paths", {"status": "conflict"})
        searched, _ = export(
            viewer_client, "inspector:paths", {"status": "conflict", "q": "Site CSS"}
        )
        accepted, _ = export(viewer_client, "inspector:paths", {"accepted": "no"})
    assert plain == 'attachment; filename="asset-paths.csv"'
    assert conflicts == 'attachment; filename="asset-paths-conflict.csv"'
    assert searched == 'attachment; filename="asset-paths-conflict-site-css.csv"'
    assert accepted == 'attachment; filename="asset-paths-not-accepted.csv"'


def test_a_hostile_or_long_search_gives_a_short_safe_name(
    viewer_client: Client, three_folders: Layout
) -> None:
    hostile = 'x"; filename=evil.sh; ../../étc ' + "\u202e" + "a" * 400
    with three_folders.settings(dirs=dirs(three_folders), finders=[FS]):
        disposition, _ = export(viewer_client, "inspector:paths", {"q": hostile})
        as_json = viewer_client.get(reverse("inspector:paths"), {"q": hostile, "_export": "json"})
    assert SAFE_NAME.fullmatch(disposition), disposition
    assert SAFE_NAME.fullmatch(as_json["Content-Disposition"])
    name = disposition.split('"')[1]
    assert name.startswith("asset-paths-x-filename-evil-sh-etc")
    assert len(name) <= len("asset-paths") + 80, "bounded"


def test_the_extension_columns_come_last(viewer_client: Client, three_folders: Layout) -> None:
    folders = dirs(three_folders)
    with three_folders.settings(dirs=folders, finders=[FS]):
        _, content = export(viewer_client, "inspector:paths", {})
    reader = csv.DictReader(io.StringIO(content.decode()))
    assert reader.fieldnames == [*CONTRACT, "winner_size", "winner_md5", "shadowed_identical"]
    assert list(CSV_COLUMNS) == reader.fieldnames
    rows = {row["path"]: row for row in reader}
    site = rows["css/site.css"]
    assert site["winner_size"] == "4"
    # Equal sizes made the inventory compare the bytes: the md5 is known.
    assert site["winner_md5"] == hashlib.md5(b"same").hexdigest()
    assert site["shadowed_sources"] == f"dir:{folders[1]}|dir:{folders[2]}"
    assert site["shadowed_identical"] == f"dir:{folders[1]}=true|dir:{folders[2]}=false"
    assert (rows["js/app.js"]["winner_size"], rows["js/app.js"]["shadowed_identical"]) == ("2", "")


@pytest.fixture
def history() -> list[CollectionRun]:
    started = timezone.now().replace(microsecond=123456)
    done = CollectionRun.objects.create(
        phase=Phase.DONE,
        active=None,
        clear=True,
        copied=3,
        requested_by_name="ann",
        started_at=started,
        finished_at=started + timedelta(seconds=12, milliseconds=500),
    )
    failed = CollectionRun.objects.create(phase=Phase.FAILED, active=None, error="boom")
    return [done, failed]


def test_the_runs_csv_uses_the_paths_conventions(
    viewer_client: Client, history: list[CollectionRun]
) -> None:
    disposition, content = export(viewer_client, "inspector:runs", {"sort": "id"})
    assert disposition == 'attachment; filename="collection-runs.csv"'
    reader = csv.DictReader(io.StringIO(content.decode()))
    assert reader.fieldnames is not None
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", name) for name in reader.fieldnames)
    done, failed = list(reader)
    assert (done["id"], done["phase"], done["clear"], done["copied"]) == (
        str(history[0].pk),
        "done",
        "true",
        "3",
    )
    assert failed["clear"] == "false"
    iso_second = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"
    assert re.fullmatch(iso_second, done["created_at"]), done["created_at"]
    assert re.fullmatch(iso_second, done["started_at"]), done["started_at"]
    assert float(done["duration_seconds"]) == 12.5
    assert (failed["started_at"], failed["duration_seconds"]) == ("", "")
    assert done["requested_by"] == "ann" and failed["error"] == "boom"


def test_the_runs_json_keeps_types_and_the_csv_names(
    viewer_client: Client, history: list[CollectionRun]
) -> None:
    response = viewer_client.get(reverse("inspector:runs"), {"sort": "id", "_export": "json"})
    done, failed = json.loads(response.content)
    assert (done["clear"], done["duration_seconds"], done["copied"]) == (True, 12.5, 3)
    assert failed["duration_seconds"] is None
    _, content = export(viewer_client, "inspector:runs", {})
    assert list(done) == next(csv.reader(io.StringIO(content.decode())))


def test_a_filtered_runs_export_is_named_after_its_filter(
    viewer_client: Client, history: list[CollectionRun]
) -> None:
    disposition, content = export(viewer_client, "inspector:runs", {"phase": "failed"})
    assert disposition == 'attachment; filename="collection-runs-failed.csv"'
    assert [row["phase"] for row in csv.DictReader(io.StringIO(content.decode()))] == ["failed"]


def test_the_references_export_is_named_after_its_filter(
    viewer_client: Client, three_folders: Layout
) -> None:
    with three_folders.settings(dirs=dirs(three_folders), finders=[FS]):
        plain, _ = export(viewer_client, "inspector:references", {})
        chosen, _ = export(
            viewer_client, "inspector:references", {"problem": ["not-found", "none"], "q": "Img"}
        )
    assert plain == 'attachment; filename="asset-references.csv"'
    assert chosen == 'attachment; filename="asset-references-not-found-no-problem-img.csv"'
