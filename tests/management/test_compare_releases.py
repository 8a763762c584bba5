"""``inspect_assets --compare-releases A B``: two real releases' manifests, path by path, in the
table, JSON and CSV; releases in the summary and warnings; ``--fail-on`` on a broken release."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inspector.checks import check_deploy
from inspector.core import caches
from tests.support.layout import Layout, collected_app
from tests.support.releases import ADDED, CHANGED, REMOVED, Releases, two_releases


@pytest.fixture(params=["option", "git"])
def releases(request: pytest.FixtureRequest, layout: Layout) -> Iterator[Releases]:
    with two_releases(layout, request.param) as collected:
        yield collected


def inspect(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("inspect_assets", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def manifest_paths(releases: Releases, release: str) -> dict[str, str]:
    return dict(json.loads(releases.manifest_of(release).read_text())["paths"])


def test_json_lists_exactly_the_changed_paths(releases: Releases) -> None:
    out, _ = inspect("--compare-releases", releases.first, releases.second, "--format", "json")
    old, new = manifest_paths(releases, releases.first), manifest_paths(releases, releases.second)
    expected = [
        {"path": path, "change": change, "before": old.get(path), "after": new.get(path)}
        for path, change in sorted(
            {
                **dict.fromkeys(CHANGED, "changed"),
                **dict.fromkeys(ADDED, "added"),
                **dict.fromkeys(REMOVED, "removed"),
            }.items()
        )
    ]
    assert json.loads(out) == expected
    assert all(row["before"] is None for row in expected if row["change"] == "added")
    assert all(row["after"] is None for row in expected if row["change"] == "removed")


def test_csv_and_the_table_carry_the_same_rows(releases: Releases) -> None:
    args = ("--compare-releases", releases.first, releases.second)
    as_json = json.loads(inspect(*args, "--format", "json")[0])
    rows = list(csv.DictReader(StringIO(inspect(*args, "--format", "csv")[0])))
    assert [{k: v or None for k, v in row.items()} for row in rows] == as_json
    table, _ = inspect(*args)
    lines = table.splitlines()
    assert lines[0].split() == ["PATH", "CHANGE", "BEFORE", "AFTER"]
    for row in as_json:
        assert any(line.split()[:2] == [row["path"], row["change"]] for line in lines[1:]), row
    assert lines[-1] == (
        f"{len(as_json)} path(s) differ from release {releases.first} to release {releases.second}."
    )


def test_comparing_the_other_way_swaps_added_and_removed(releases: Releases) -> None:
    out, _ = inspect("--compare-releases", releases.second, releases.first, "--format", "json")
    changes = {row["path"]: row["change"] for row in json.loads(out)}
    assert {p for p, c in changes.items() if c == "removed"} == set(ADDED)
    assert {p for p, c in changes.items() if c == "added"} == set(REMOVED)


def test_an_unknown_release_is_refused_naming_the_known_ones(releases: Releases) -> None:
    with pytest.raises(CommandError, match="no release 'nope'; known: ") as raised:
        inspect("--compare-releases", releases.first, "nope")
    assert raised.value.returncode == 2
    assert releases.first in str(raised.value) and releases.second in str(raised.value)


def test_a_storage_without_releases_says_so(layout: Layout) -> None:
    backend = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    with (
        collected_app(layout, "plain", {"a.css": "a {}\n"}, backend),
        pytest.raises(CommandError, match="one manifest, not one per release") as raised,
    ):
        inspect("--compare-releases", "a", "b")
    assert raised.value.returncode == 2


def test_the_summary_lists_the_releases_and_a_broken_one_fails_ci(releases: Releases) -> None:
    out, err = inspect()
    assert f"Releases: {releases.second} (configured): " in out and f", {releases.first}: " in out
    assert "warning: release" not in err
    inspect("--fail-on", "error")  # both releases are whole: nothing fails

    hashed = manifest_paths(releases, releases.first)["js/app.js"]
    (releases.root / hashed).unlink()
    caches.clear()
    with pytest.raises(CommandError) as raised:
        inspect("--fail-on", "error")
    assert raised.value.returncode == 1
    assert f"(release {releases.first}: release-files-missing)" in str(raised.value)
    _, err = inspect()
    assert f"warning: release {releases.first}: release-files-missing: 1 hashed file" in err
    with pytest.raises(CommandError):
        inspect("--fail-on", "release-files-missing")
    # So does check --deploy.
    (message,) = [m for m in check_deploy() if m.id == "inspector.E014"]
    assert message.msg.startswith(f"Release '{releases.first}' of the staticfiles storage: 1 ")
