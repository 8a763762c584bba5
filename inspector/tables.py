"""The paths table (django-tables2) and its export, which neutralises every cell centrally."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import django_tables2 as tables
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django_tables2.data import TableListData
from django_tables2.export import TableExport
from django_tables2.utils import OrderBy

from .inventory import PathRecord
from .report import CSV_COLUMNS, csv_safe, record_to_row
from .status import SourceStatus

EXPORT_FORMATS = ("csv", "json")


@dataclass(frozen=True, slots=True)
class PathRow:
    """One row of the paths table: the sources record and the later layers' words for it."""

    record: PathRecord
    live: str = ""
    manifest: str = ""
    hashed_name: str = ""


_STATUS_RANK = {status: rank for rank, status in enumerate(SourceStatus)}

# Sorting 20k rows through django-tables2's generic accessor comparator takes seconds; these
# keys make it one C-level sort per column.
SORT_KEYS: dict[str, Callable[[PathRow], Any]] = {
    "path": lambda row: row.record.path,
    "status": lambda row: _STATUS_RANK[row.record.status],
    "flags": lambda row: (len(row.record.flags), row.record.flags),
    "winner": lambda row: row.record.winner.source if row.record.winner else "",
    "candidates": lambda row: len(row.record.candidates),
    "size": lambda row: _size(row.record),
    "live": lambda row: row.live,
    "manifest": lambda row: row.manifest,
}


class PathRowsData(TableListData):
    """Rows sorted with ``SORT_KEYS``; ties keep the path order the inventory gives."""

    def order_by(self, aliases: Iterable[str]) -> None:
        for alias in reversed(list(aliases)):
            order = OrderBy(alias)
            self.data.sort(key=SORT_KEYS[order.bare], reverse=order.is_descending)


class PathsTable(tables.Table):
    path = tables.Column(accessor="record__path", verbose_name="Path")
    status = tables.Column(accessor="record__status", verbose_name="Status")
    flags = tables.Column(accessor="record__flags", verbose_name="Flags")
    winner = tables.Column(accessor="record__path", verbose_name="Winner")
    candidates = tables.Column(
        accessor="record__candidates", verbose_name="Candidates", attrs={"cell": {"class": "num"}}
    )
    size = tables.Column(
        accessor="record__path", verbose_name="Size", attrs={"cell": {"class": "num"}}
    )
    live = tables.Column(accessor="live", verbose_name="Live", default="")
    manifest = tables.Column(accessor="manifest", verbose_name="Manifest", default="")

    class Meta:
        template_name = "inspector/_table.html"
        attrs = {"class": "paths"}
        order_by_field = "sort"
        page_field = "page"
        empty_text = "No path matches these filters."

    def render_path(self, record: PathRow) -> str:
        path = record.record.path
        errors = format_html_join(
            "", '<div class="error">{}</div>', ((e,) for e in record.record.errors)
        )
        return format_html(
            '<a href="{}"><code>{}</code></a>{}',
            reverse("inspector:path", args=[path]),
            path,
            errors,
        )

    def render_status(self, value: str) -> str:
        return format_html('<span class="badge status-{}">{}</span>', value, value)

    def render_flags(self, value: Sequence[str]) -> str:
        return format_html_join(" ", '<span class="badge flag">{}</span>', ((f,) for f in value))

    def render_winner(self, record: PathRow) -> str:
        winner = record.record.winner
        return format_html("<code>{}</code>", winner.source) if winner else "—"

    def render_candidates(self, value: Sequence[object]) -> str:
        return str(len(value))

    def render_size(self, record: PathRow) -> str:
        size = _size(record.record)
        return filesizeformat(size) if size >= 0 else "—"

    def render_manifest(self, record: PathRow) -> str:
        return format_html(
            '<span class="badge manifest-{}">{}</span>', record.manifest, record.manifest
        )


def _size(record: PathRecord) -> int:
    winner = record.winner
    return winner.size if winner is not None and winner.size is not None else -1


# design.md's CSV columns, one row per path; headers are the contract's names verbatim.
PathsExportTable: type[tables.Table] = type(tables.Table)(
    "PathsExportTable",
    (tables.Table,),
    {column: tables.Column(verbose_name=column, default="") for column in CSV_COLUMNS},
)


class SafeTableExport(TableExport):
    """A ``TableExport`` whose every cell is formula-safe, whatever table it exports."""

    def table_to_dataset(
        self, table: tables.Table, exclude_columns: Any, dataset_kwargs: Any = None
    ) -> Any:
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        safe = dataset.__class__(title=dataset.title, headers=dataset.headers)
        for row in dataset:
            safe.append([csv_safe(cell) for cell in row])
        return safe


def export_response(records: Iterable[PathRecord], export_format: str, name: str) -> HttpResponse:
    """Return every record as a CSV or JSON download, with design.md's columns."""
    table = PathsExportTable([record_to_row(record) for record in records])
    exporter = SafeTableExport(export_format, table, dataset_kwargs={"title": "paths"})
    return exporter.response(filename=f"{name}.{export_format}")
