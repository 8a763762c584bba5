"""The CLI speaks severity: JSON/CSV fields, the table's summary, ``--fail-on error|warning``,
accepted rows, and the exit codes ``--help`` lists."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tests.support.layout import Layout, age, collected_app
from tests.support.own_files import OWN_COUNT

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


def run(*args: str, **inspector: Any) -> str:
    out = StringIO()
    with override_settings(ASSET_INSPECTOR={"CACHE": None, **inspector}):
        call_command("inspect_assets", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def fails(*args: str, **inspector: Any) -> CommandError:
    with pytest.raises(CommandError) as raised:
        run(*args, **inspector)
    return raised.value


@pytest.fixture
def project(layout: Layout) -> Iterator[None]:
    """Collected, then: one CSS file edited (modified: a warning), one file added (no manifest
    entry: an error), one dotfile (ignored by collection: info)."""
    files = {"css/site.css": "body {}", "js/app.js": "1;", ".browserslistrc": "defaults"}
    with collected_app(layout, "site", files, MANIFEST) as static:
        layout.write(static, "css/site.css", "body { color: red }")
        layout.write(static, "css/new.css", "new {}")
        age(static)
        yield


def test_json_and_csv_carry_severity_and_acceptance(project: None) -> None:
    accept = [{"path": "css/site.css", "live_status": "modified", "reason": "hotfix in prod"}]
    rows = {row["path"]: row for row in json.loads(run("--format", "json", ACCEPT=accept))}
    assert rows["css/new.css"]["severity"] == "error"
    assert rows["css/site.css"]["severity"] == "warning"
    assert rows["css/site.css"]["accepted"] == {"reason": "hotfix in prod"}
    assert rows[".browserslistrc"]["severity"] == "info"
    assert rows["js/app.js"]["severity"] == "ok" and rows["js/app.js"]["accepted"] is None
    table = list(csv.DictReader(io.StringIO(run("--format", "csv", ACCEPT=accept))))
    header = list(table[0])
    # Later extensions (issue 19's winner_size, ...) follow; these two keep their place.
    assert header[11:13] == ["severity", "accepted_reason"]
    by_path = {row["path"]: row for row in table}
    assert by_path["css/site.css"]["accepted_reason"] == "hotfix in prod"


def test_the_summary_leads_with_severity(project: None) -> None:
    lines = run().splitlines()
    summary = next(line for line in lines if line.startswith("Severity:"))
    assert summary.startswith("Severity: 1 error (will break production), 1 warning")
    # The site's four, and the inspector's own files.
    shown = 4 + OWN_COUNT
    assert lines[-1].startswith(f"{shown} of {shown} paths shown"), "the paths summary stays last"


def test_fail_on_a_severity_fails_on_it_or_worse(project: None) -> None:
    assert fails("--fail-on", "error").returncode == 1
    failed = fails("--fail-on", "warning")
    assert failed.returncode == 1 and "2 path(s)" in str(failed)
    assert "css/new.css" in str(failed) and "css/site.css" in str(failed)
    assert ".browserslistrc" not in str(failed)


def test_accepted_rows_never_fail(project: None) -> None:
    accept = [
        {"path": "css/new.css", "manifest": "missing-entry", "reason": "not used yet"},
        {"path": "css/site.css", "reason": "hotfix"},
    ]
    run("--fail-on", "warning", ACCEPT=accept)  # no exception: exit status 0
    run("--fail-on", "missing-entry,modified", ACCEPT=accept)


def test_a_stale_acceptance_is_a_warning_line(project: None) -> None:
    err = StringIO()
    accept = [{"path": "gone/*", "reason": "deleted"}]
    with override_settings(ASSET_INSPECTOR={"CACHE": None, "ACCEPT": accept}):
        call_command("inspect_assets", "--format", "json", stdout=StringIO(), stderr=err)
    assert "ACCEPT rule 1 (path='gone/*') matches no path" in err.getvalue()


@pytest.mark.parametrize("word", ["ok", "unique", "current", "n/a"])
def test_words_that_can_never_fail_are_refused(word: str) -> None:
    refused = fails("--fail-on", word)
    assert refused.returncode == 2 and "can never fail" in str(refused)


def test_an_unknown_word_is_refused_with_the_known_ones() -> None:
    refused = fails("--fail-on", "conflcit")
    assert refused.returncode == 2 and "conflcit" in str(refused) and "conflict" in str(refused)


def test_probe_without_a_base_url_for_a_relative_static_url_exits_2(project: None) -> None:
    with override_settings(STATIC_URL="/static/"):
        refused = fails("--probe")
    assert refused.returncode == 2 and "--base-url" in str(refused)


def test_help_lists_the_exit_codes() -> None:
    from inspector.management.commands.inspect_assets import Command

    text = Command().create_parser("manage.py", "inspect_assets").format_help()
    assert "exit status:" in text
    for code in ("0  ", "1  ", "2  "):
        assert code in text


def test_version_is_the_packages(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from inspector.management.commands.inspect_assets import Command

    with pytest.raises(SystemExit):
        Command().create_parser("manage.py", "inspect_assets").parse_args(["--version"])
    printed = capsys.readouterr().out.strip()
    assert printed == version("django-asset-inspector")
    assert printed != __import__("django").get_version()
