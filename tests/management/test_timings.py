"""``inspect_assets -v 2``: how long each step took, on stderr, with the output unchanged."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from inspector.core import caches
from tests.support.layout import Layout, collected_app

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
FILES = {
    "css/a.css": 'b { background: url("../img/x.png") }\n',
    "img/x.png": b"png1",
    "js/a.js": "console.log(1);\n",
}

CHECK_STEPS = [
    "listing and stat'ing the sources",
    "reading the manifest",
    "listing the collected storage",
    "reading sources and collected files for the manifest",
    "comparing the sources with the collected copies",
]
LINE = re.compile(r" *(\d+\.\d\d) s  (.+)")


@pytest.fixture
def project(layout: Layout) -> Iterator[Path]:
    """One app collected by the manifest storage: a CSS file that references an image."""
    with collected_app(layout, "timed", FILES, MANIFEST) as static:
        yield static


def run(*args: str) -> tuple[str, str]:
    """Run the command as a new process would: nothing kept from an earlier run."""
    caches.clear()
    out, err = StringIO(), StringIO()
    call_command("inspect_assets", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def steps(err: str) -> list[tuple[str, float]]:
    """Return each stderr line as (step, seconds); fail on a line that is no step."""
    found = []
    for line in err.splitlines():
        match = LINE.fullmatch(line)
        assert match, f"not a step line: {line!r}"
        found.append((match[2], float(match[1])))
    return found


def test_each_step_is_printed_in_order_with_its_seconds(project: Path) -> None:
    out, err = run("--format", "json", "-v", "2")
    found = steps(err)
    assert [name for name, _ in found] == [*CHECK_STEPS, "writing the JSON", "in all"]
    *parts, (_, total) = found
    # Each figure is rounded to the hundredth: the parts add up to the whole, give or take that.
    assert sum(seconds for _, seconds in parts) <= total + 0.01 * len(parts)
    assert {"css/a.css", "img/x.png", "js/a.js"} <= {row["path"] for row in json.loads(out)}


def test_the_output_is_the_same_with_and_without_the_steps(project: Path) -> None:
    quiet_out, quiet_err = run("--format", "csv")
    loud_out, loud_err = run("--format", "csv", "--verbosity", "3")
    assert quiet_err == ""
    assert loud_out == quiet_out
    assert [name for name, _ in steps(loud_err)][-2:] == ["writing the CSV", "in all"]


def test_the_table_and_no_live_name_what_ran(project: Path) -> None:
    _, err = run("--no-live", "-v", "2")
    names = [name for name, _ in steps(err)]
    assert "comparing the sources with the collected copies" not in names
    assert names[-2:] == ["writing the table", "in all"]


def test_the_steps_stop_with_the_command(project: Path) -> None:
    logger = logging.getLogger("inspector")
    handlers, level = list(logger.handlers), logger.level
    run("--format", "json", "-v", "2")
    assert (logger.handlers, logger.level) == (handlers, level)
    assert run("--format", "json")[1] == ""
    _, err = run("--format", "json", "-v", "2")
    assert [name for name, _ in steps(err)].count("in all") == 1
