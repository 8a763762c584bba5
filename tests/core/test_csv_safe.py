"""Every form of a formula start OWASP names gets the guard; nothing else does (item 15)."""

from __future__ import annotations

import csv
import io

import pytest

from inspector.core.rows import csv_safe

GUARDED = {
    "equals": '=HYPERLINK("http://x")',
    "plus": "+1+1",
    "minus": "-1+1",
    "at": "@SUM(A1)",
    "tab": "\t=1",
    "carriage return": "\r=1",
    "line feed": "\n=1",
    "NUL": "\0=1",
    "space then equals": "  =1+1",
    "no-break space then plus": "\xa0+1",
    "ideographic space then at": "\u3000@SUM(A1)",
    "full-width equals": "\uff1d1+1",
    "full-width plus": "\uff0b1",
    "full-width minus": "\uff0d1",
    "full-width at": "\uff20SUM(A1)",
}
UNTOUCHED = ["css/a.css", "a=1.css", "1-2.js", "", "dir:/srv/static", "'quoted"]


@pytest.mark.parametrize("value", GUARDED.values(), ids=GUARDED.keys())
def test_a_formula_start_gets_a_leading_quote(value: str) -> None:
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", UNTOUCHED)
def test_anything_else_is_left_as_it_is(value: str) -> None:
    assert csv_safe(value) == value


def test_a_guarded_cell_survives_a_csv_round_trip() -> None:
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\r\n").writerow([csv_safe(v) for v in GUARDED.values()])
    cells = next(csv.reader(io.StringIO(stream.getvalue(), newline="")))
    assert all(cell.startswith("'") for cell in cells)
