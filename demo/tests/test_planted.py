"""The demo's planted findings, seen by the inspector's clients as a user of the demo sees them:
the inventory agrees with Django on the whole demo project, the overview lists the planted
conflict, and the real command line fails a CI step on it (README, "What the demo plants")."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, override_settings
from django.urls import reverse

from inspector.core.inventory import current_inventory
from inspector.core.status import Flag, SourceStatus
from tests.support.fidelity import assert_agrees_with_django
from tests.support.layout import Layout, collect

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The planted conflict: demo.theme comes before django.contrib.admin with its own base.css.
CONFLICT = "admin/css/base.css"


def planted_conflict() -> list[str]:
    """Return both candidates of the planted conflict, after checking with Django that they
    really differ (the tests below would prove nothing on identical files)."""
    found = finders.find(CONFLICT, find_all=True)
    assert len(found) >= 2 and Path(found[0]).read_bytes() != Path(found[1]).read_bytes()
    return found


# --- the inventory ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_project_agrees_with_django(tmp_path: Path) -> None:
    with override_settings(STATIC_ROOT=str(tmp_path / "collected")):
        inventory = current_inventory()
        collected = collect(Layout(tmp_path))
        assert_agrees_with_django(inventory, collected)
    counts = inventory.counts()
    # The demo plants each finding on purpose (README, "The demo project").
    assert counts[SourceStatus.CONFLICT] >= 1
    assert counts[SourceStatus.DUPLICATE] >= 1
    assert counts[Flag.IGNORED_BY_COLLECT] >= 1
    assert any(r.winner and r.winner.source.startswith("dir:vendor=") for r in inventory)
    assert any(r.winner and r.winner.source == "demo.finders.BundleFinder" for r in inventory)
    assert not inventory.problems


# --- the dashboard ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_project_lists_its_planted_conflict_as_accepted(viewer_client: Client) -> None:
    planted_conflict()
    overview = viewer_client.get(reverse("inspector:overview"))
    assert overview.status_code == 200
    assert re.search(r"<strong>2</strong> accepted", overview.content.decode())
    conflicts = viewer_client.get(reverse("inspector:paths") + "?status=conflict")
    html = conflicts.content.decode()
    assert CONFLICT in html and "accepted: the demo&#x27;s admin theme" in html


# --- the real command line --------------------------------------------------------------------


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py inspect_assets`` as CI would; it inherits DJANGO_SETTINGS_MODULE, set to
    this session's settings by pytest-django."""
    return subprocess.run(
        [sys.executable, "manage.py", "inspect_assets", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_exit_codes_from_a_real_process() -> None:
    found = planted_conflict()

    # The theme's conflict is accepted (config/settings.py, ACCEPT): it never fails a CI step.
    conflict = manage("--format", "json", "--fail-on", "conflict")
    assert conflict.returncode == 0, conflict.stderr
    rows = {row["path"]: row for row in json.loads(conflict.stdout)}
    assert rows[CONFLICT]["status"] == "conflict"
    assert rows[CONFLICT]["winner"]["location"] == found[0]
    assert rows[CONFLICT]["accepted"]["reason"].startswith("the demo's admin theme")

    # Nothing is collected in this session's STATIC_ROOT: every collectable path is missing.
    missing = manage("--format", "json", "--fail-on", "warning")
    assert missing.returncode == 1, missing.stderr
    assert "--fail-on warning" in missing.stderr and CONFLICT not in missing.stderr

    mismatch = manage("--format", "json", "--fail-on", "order-mismatch")
    assert mismatch.returncode == 0, mismatch.stderr
    mismatch_rows = json.loads(mismatch.stdout)
    assert {row["path"] for row in mismatch_rows} == set(rows)
    assert not [row["path"] for row in mismatch_rows if "order-mismatch" in row["flags"]]

    bogus = manage("--fail-on", "bogus")
    assert bogus.returncode == 2
    assert "bogus" in bogus.stderr
