"""The dashboard's exports keep the CLI's contracts (issue 15, item 14)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
NAMES = ["=1+1.css", "css/site.css", "@SUM(A1).js"]


@pytest.fixture
def shadowing(layout: Layout) -> Layout:
    first, second = layout.folder("first"), layout.folder("second")
    for name in NAMES:
        layout.write(first, name, "first")
        layout.write(second, name, "second")
    return layout


def test_the_json_export_is_the_cli_json(viewer_client: Client, shadowing: Layout) -> None:
    dirs = [str(shadowing.root / "first"), str(shadowing.root / "second")]
    with shadowing.settings(dirs=dirs, finders=[FS]):
        response = viewer_client.get(reverse("inspector:paths") + "?_export=json")
        out = io.StringIO()
        call_command("inspect_assets", "--format", "json", stdout=out)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="asset-paths.json"'
    exported, printed = json.loads(response.content), json.loads(out.getvalue())
    assert exported == printed
    by_path = {row["path"]: row for row in exported}
    # No formula guard in JSON: programs get the names as they are.
    assert set(NAMES) <= set(by_path)
    assert by_path["=1+1.css"]["candidates"][1]["identical_to_winner"] is False


def test_a_filtered_json_export_holds_the_filtered_rows(
    viewer_client: Client, shadowing: Layout
) -> None:
    dirs = [str(shadowing.root / "first"), str(shadowing.root / "second")]
    with shadowing.settings(dirs=dirs, finders=[FS]):
        response = viewer_client.get(reverse("inspector:paths") + "?q=site&_export=json")
    assert [row["path"] for row in json.loads(response.content)] == ["css/site.css"]


def test_the_run_history_json_keeps_values_as_they_are(viewer_client: Client) -> None:
    from inspector.models import CollectionRun, Phase

    CollectionRun.objects.create(phase=Phase.FAILED, active=None, storage="=s", error="-boom")
    response = viewer_client.get(reverse("inspector:runs") + "?_export=json")
    (run,) = json.loads(response.content)
    assert (run["storage"], run["error"]) == ("=s", "-boom")
