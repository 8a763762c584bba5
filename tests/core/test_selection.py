"""``PathFilter``: a filter with a criterion keeps exactly the rows it matches, and one with
none keeps every row, in order (the CLI without options asks for that)."""

from __future__ import annotations

import pytest

from inspector.core.layers import current_layers
from inspector.core.selection import PathFilter
from tests.support.layout import Layout

FS = "django.contrib.staticfiles.finders.FileSystemFinder"


def _criterion(name: str, vendor: str) -> PathFilter:
    return {
        "glob": PathFilter(globs=("css/*",)),
        "search": PathFilter(words=("site",)),
        "source": PathFilter(source=f"dir:{vendor}"),
        "extension": PathFilter(extension="js"),
        "facet": PathFilter(facets={"status": frozenset({"conflict"})}),
    }[name]


@pytest.mark.parametrize("name", ["glob", "search", "source", "extension", "facet"])
def test_a_criterion_keeps_exactly_the_rows_it_matches(layout: Layout, name: str) -> None:
    project, vendor = layout.folder("project"), layout.folder("vendor")
    layout.write(project, "css/site.css", "body {}")
    layout.write(project, "js/app.js", "run()")
    layout.write(vendor, "css/site.css", "body { color: red }")  # shadowed: a conflict
    layout.write(vendor, "img/logo.svg", "<svg/>")
    criterion = _criterion(name, str(vendor))
    with layout.settings(dirs=[project, vendor], finders=[FS]):
        layers = current_layers(live=False)
        rows = layers.records
        kept = list(criterion.apply(rows, layers))
        assert kept == [r for r in rows if criterion.matches(r, layers)]
        assert 0 < len(kept) < len(rows)


def test_no_criterion_keeps_every_row_in_order(layout: Layout) -> None:
    project = layout.folder("project")
    for name in ("b.css", "a.js", "c/d.png"):
        layout.write(project, name, name)
    with layout.settings(dirs=[project], finders=[FS]):
        layers = current_layers(live=False)
        empty = {f: frozenset[str]() for f in ("status", "flag", "live", "manifest", "severity")}
        for nothing in (PathFilter(), PathFilter(facets=empty)):
            assert list(nothing.apply(layers.records, layers)) == list(layers.records)
