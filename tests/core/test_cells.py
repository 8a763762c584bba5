"""Every form of a formula start OWASP names gets the guard; nothing else does (item 15)."""

from __future__ import annotations

import csv
import io

import pytest

from inspector.core.cells import csv_cell, csv_safe

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
    "vertical tab then equals": "\x0b=1",
    "form feed then plus": "\x0c+1",
    "file separator then equals": "\x1c=1",
    "unit separator then at": "\x1f@1",
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


@pytest.mark.parametrize("first", [chr(n) for n in range(128)], ids=lambda c: f"{ord(c):#04x}")
def test_every_ascii_start_is_guarded_exactly_as_a_spreadsheet_reads_it(first: str) -> None:
    # OWASP's rule: a formula character after any white space the spreadsheet skips (what
    # str.lstrip strips), or a tab, a line break or a NUL at the very start.
    for value in (first, first + "1+1", first + " =1", first + "a,b"):
        rest = value.lstrip()
        formula = value.startswith(("\t", "\r", "\n", "\0")) or rest[:1] in ("=", "+", "-", "@")
        expected = "'" + value if formula else value
        assert csv_safe(value) == expected, repr(value)
        assert csv_cell(value) == expected, repr(value)


def test_a_cell_shows_bytes_that_are_not_utf8_and_is_guarded_after() -> None:
    assert csv_cell("css/bad\udcff.css") == "css/bad‹0xFF›.css"
    assert csv_cell("=bad\udcff") == "'=bad‹0xFF›"
    assert csv_cell(None) == "" and csv_cell(12) == "12"
