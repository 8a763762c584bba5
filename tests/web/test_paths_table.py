"""The paths table: filters, sorting, pages, htmx fragments and the CSV/JSON export."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from inspector.core.layers import current_layers
from inspector.core.rows import CSV_COLUMNS
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
PATHS = reverse("inspector:paths")


@pytest.fixture
def mixed(layout: Layout) -> Layout:
    """Two folders: a conflict, a duplicate, uniques of several sizes and types, a dotfile."""
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "css/site.css", "body { color: red }")
    layout.write(second, "css/site.css", "body { color: blue }")
    layout.write(first, "img/logo.svg", "<svg/>")
    layout.write(second, "img/logo.svg", "<svg/>")
    layout.write(first, "js/app.js", "x" * 300)
    layout.write(first, "js/vendor/big.js", "y" * 5000)
    layout.write(second, "fonts/a.woff2", b"\0" * 10)
    layout.write(second, ".browserslistrc", "last 2 versions")
    return layout


def get(client: Client, layout: Layout, query: str = "", **headers: Any) -> HttpResponse:
    first, second = layout.root / "first", layout.root / "second"
    with layout.settings(dirs=[first, second], finders=[FS]):
        return client.get(PATHS + query, headers=headers)


def shown_paths(response: HttpResponse) -> list[str]:
    """The paths of the table's rows, in order."""
    body = response.content.decode()
    # Names may break after "/", "." and ":" (<wbr>): the text is the name itself.
    tbody = body[body.index("<tbody>") : body.index("</tbody>")].replace("<wbr>", "")
    return re.findall(r'<a href="/assets/paths/[^"]*"><code><bdi>([^<]*)</bdi></code>', tbody)


def test_lists_every_path_worst_first_then_by_path(viewer_client: Client, mixed: Layout) -> None:
    response = get(viewer_client, mixed)
    assert response.status_code == 200
    # Nothing is collected: every collectable path is missing (a warning); the dotfile, which
    # collection ignores, is only worth knowing (info).
    assert shown_paths(response) == [
        "css/site.css",
        "fonts/a.woff2",
        "img/logo.svg",
        "js/app.js",
        "js/vendor/big.js",
        ".browserslistrc",
    ]
    assert "<strong>6</strong> of 6 paths match" in response.content.decode()
    head = re.search(r"<th [^>]*>\s*<a [^>]*>Severity", response.content.decode())
    assert head is not None and 'aria-sort="descending"' in head.group(0), "the sort it shows"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=conflict", ["css/site.css"]),
        ("?status=conflict&status=duplicate", ["css/site.css", "img/logo.svg"]),
        ("?flag=ignored-by-collect", [".browserslistrc"]),
        ("?ext=js", ["js/app.js", "js/vendor/big.js"]),
        ("?ext=js&q=VENDOR", ["js/vendor/big.js"]),
        ("?q=js+app", ["js/app.js"]),
        ("?q=nothing-like-this", []),
        ("?status=unique&ext=woff2", ["fonts/a.woff2"]),
    ],
)
def test_filters(viewer_client: Client, mixed: Layout, query: str, expected: list[str]) -> None:
    assert shown_paths(get(viewer_client, mixed, query)) == expected


def test_source_filter_matches_paths_the_source_wins_or_loses(
    viewer_client: Client, mixed: Layout
) -> None:
    second = f"dir:{mixed.root / 'second'}"
    response = get(viewer_client, mixed, f"?source={second}")
    assert shown_paths(response) == [
        "css/site.css",
        "fonts/a.woff2",
        "img/logo.svg",
        ".browserslistrc",
    ]


def test_empty_result_says_so(viewer_client: Client, mixed: Layout) -> None:
    response = get(viewer_client, mixed, "?q=zzz")
    assert "No path matches these filters." in response.content.decode()


def test_a_bad_filter_value_is_reported_and_the_rest_still_applies(
    viewer_client: Client, mixed: Layout
) -> None:
    response = get(viewer_client, mixed, "?status=bogus&ext=js")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Some filters were not understood" in body and "bogus" in body
    assert shown_paths(response) == ["js/app.js", "js/vendor/big.js"]


ALL = [".browserslistrc", "css/site.css", "fonts/a.woff2", "img/logo.svg", "js/app.js",
       "js/vendor/big.js"]  # fmt: skip
WORST_FIRST = ["css/site.css", "fonts/a.woff2", "img/logo.svg", "js/app.js", "js/vendor/big.js",
               ".browserslistrc"]  # fmt: skip
BY_SIZE = ["img/logo.svg", "fonts/a.woff2", ".browserslistrc", "css/site.css", "js/app.js",
           "js/vendor/big.js"]  # fmt: skip


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("size", BY_SIZE),
        ("-size", BY_SIZE[::-1]),
        ("-path", ALL[::-1]),
        # Ties keep path order, whichever the direction.
        ("-candidates", ["css/site.css", "img/logo.svg", ".browserslistrc", "fonts/a.woff2",
                         "js/app.js", "js/vendor/big.js"]),
        ("not-a-column", WORST_FIRST),
    ],
)  # fmt: skip
def test_sorting(viewer_client: Client, mixed: Layout, sort: str, expected: list[str]) -> None:
    assert shown_paths(get(viewer_client, mixed, f"?sort={sort}")) == expected


def test_sort_by_status_puts_unique_first_and_keeps_path_order_within(
    viewer_client: Client, mixed: Layout
) -> None:
    assert shown_paths(get(viewer_client, mixed, "?sort=status")) == [
        ".browserslistrc", "fonts/a.woff2", "js/app.js", "js/vendor/big.js",
        "img/logo.svg", "css/site.css",
    ]  # fmt: skip


def test_sorted_column_is_marked_and_its_link_reverses(
    viewer_client: Client, mixed: Layout
) -> None:
    body = get(viewer_client, mixed, "?sort=size&status=unique").content.decode()
    header = body[body.index('aria-sort="ascending"') :]
    assert header.index("sort=-size") < header.index("</th>")
    assert "status=unique" in header[: header.index("</th>")], "sorting keeps the filter"


def test_pages(viewer_client: Client, mixed: Layout) -> None:
    assert shown_paths(get(viewer_client, mixed, "?per_page=4&page=2")) == [
        "js/vendor/big.js",
        ".browserslistrc",
    ]
    first = get(viewer_client, mixed, "?per_page=4").content.decode()
    assert "Page 1 of 2" in first and 'rel="next"' in first
    # Out of range or nonsense: the nearest page, never an error.
    assert "Page 2 of 2" in get(viewer_client, mixed, "?per_page=4&page=99").content.decode()
    assert "Page 1 of 2" in get(viewer_client, mixed, "?per_page=4&page=x").content.decode()


def test_htmx_request_gets_the_results_fragment_only(viewer_client: Client, mixed: Layout) -> None:
    fragment = get(viewer_client, mixed, "?status=conflict", HX_Request="true")
    body = fragment.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body and shown_paths(fragment) == ["css/site.css"]
    assert "HX-Request" in fragment["Vary"]
    # htmx asks for the whole page when its history cache misses.
    restore = get(
        viewer_client,
        mixed,
        "?status=conflict",
        HX_Request="true",
        HX_History_Restore_Request="true",
    )
    assert "<html" in restore.content.decode()


def test_whole_page_works_without_javascript(viewer_client: Client, mixed: Layout) -> None:
    body = get(viewer_client, mixed, "?status=conflict").content.decode()
    form = body[body.index('<form id="filters"') : body.index("</form>")]
    assert 'method="get"' in form and 'action="/assets/paths/"' in form
    assert re.search(r'value="conflict"[^>]*checked', form), "the form shows the active filter"
    assert "Apply filters" in form


def parse_csv(response: HttpResponse) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def test_csv_export_has_every_row_of_the_filter_not_just_the_page(
    viewer_client: Client, mixed: Layout
) -> None:
    response = get(viewer_client, mixed, "?status=unique&per_page=1&page=2&_export=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = parse_csv(response)
    assert [r["path"] for r in rows] == [
        ".browserslistrc",
        "fonts/a.woff2",
        "js/app.js",
        "js/vendor/big.js",
    ]


def test_csv_export_of_a_conflict_names_both_sides(viewer_client: Client, mixed: Layout) -> None:
    (row,) = parse_csv(get(viewer_client, mixed, "?status=conflict&_export=csv"))
    assert row["status"] == "conflict"
    assert row["winner_source"] == f"dir:{mixed.root / 'first'}"
    assert row["winner_location"] == str(mixed.root / "first" / "css" / "site.css")
    assert row["shadowed_sources"] == f"dir:{mixed.root / 'second'}"
    assert row["candidates"] == "2"


def test_json_export(viewer_client: Client, mixed: Layout) -> None:
    response = get(viewer_client, mixed, "?status=duplicate&_export=json")
    assert response["Content-Type"] == "application/json"
    (row,) = json.loads(response.content)
    # The CLI's objects (tests/web/test_exports.py compares them whole), not the CSV row.
    assert row["path"] == "img/logo.svg" and row["status"] == "duplicate"
    assert len(row["candidates"]) == 2 and row["winner"]["source"]


@pytest.mark.parametrize("fmt", ["xlsx", "yaml", "html", ""])
def test_other_export_formats_are_refused(viewer_client: Client, mixed: Layout, fmt: str) -> None:
    response = get(viewer_client, mixed, f"?_export={fmt}")
    assert response.status_code == 400
    assert b"csv, json" in response.content


FORMULAS = [
    "=cmd|' /C calc'!A0.css",
    "+1.css",
    "-2.css",
    "@SUM(1).css",
    "\tx.css",
    "\rcr.css",
    " =space.css",
    "\x0b=vt.css",
    "\uff1dwide.css",
    "\xa0-nbsp.css",
]


@pytest.mark.parametrize("fmt", ["csv"])
def test_export_neutralises_every_formula_cell(
    viewer_client: Client, layout: Layout, fmt: str
) -> None:
    formulas = layout.folder("=formulas")
    other = layout.folder("other")
    for name in FORMULAS:
        layout.write(formulas, name, "a")
        layout.write(other, name, "b")
    with layout.settings(dirs=[formulas, other], finders=[FS]):
        response = viewer_client.get(f"{PATHS}?_export={fmt}")
    rows = parse_csv(response)
    assert sorted(row["path"] for row in rows) == sorted("'" + name for name in FORMULAS)
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    # A source label and location that start with "=" are neutralised too.
    assert all(row["winner_source"] == f"dir:{formulas}" for row in rows)


def test_a_kept_selection_and_sort_follow_a_change_of_the_files(
    viewer_client: Client, mixed: Layout
) -> None:
    # The rows of a filter and each sort order are kept with the layers they came from: the
    # next page of them is a lookup, and a change of the files gives new layers, new rows.
    first, second = mixed.root / "first", mixed.root / "second"
    query = PATHS + "?status=unique&sort=-size"
    with mixed.settings(dirs=[first, second], finders=[FS]):
        before = shown_paths(viewer_client.get(query))
        assert before == ["js/vendor/big.js", "js/app.js", ".browserslistrc", "fonts/a.woff2"]
        assert shown_paths(viewer_client.get(query)) == before
        mixed.write(first, "js/app.js", "x" * 9000)
        mixed.write(second, "js/app.js", "z" * 9000)  # now a conflict: no longer unique
        mixed.write(second, "fonts/b.woff2", b"\0" * 6000)
        current_layers()  # the re-check the next page starts, waited for
        assert shown_paths(viewer_client.get(query)) == [
            "fonts/b.woff2", "js/vendor/big.js", ".browserslistrc", "fonts/a.woff2",
        ]  # fmt: skip
        everything = shown_paths(viewer_client.get(PATHS + "?sort=-size"))
        assert everything[:3] == ["js/app.js", "fonts/b.woff2", "js/vendor/big.js"]
