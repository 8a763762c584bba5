"""The paths table (django-tables2) and its exports: every CSV cell formula-safe (the CLI's rows
are already; the other tables' cells are made so here)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import django_tables2 as tables
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_tables2.data import TableListData
from django_tables2.export import TableExport
from django_tables2.utils import OrderBy

from ..core.cells import csv_boolean, csv_safe
from ..core.layers import Layers
from ..core.records import PathRecord
from ..core.references.model import Reference
from ..core.references.rows import REFERENCE_CSV_COLUMNS, reference_to_dict, reference_to_row
from ..core.rows import (
    CSV_COLUMNS,
    Writable,
    record_to_row,
    write_json,
    write_objects,
)
from ..core.status import SourceStatus
from ..served.targets import Probed, last_probes


@dataclass(frozen=True, slots=True)
class PathRow:
    """One row of a page of the paths table: the sources record and the later layers' words."""

    record: PathRecord
    severity: str
    manifest: str = ""
    hashed_name: str = ""
    live: str = ""
    served: str = ""  # the last probe's status, if the path was probed
    accepted: str = ""  # the reason of the ACCEPT rule that accepts the row


_STATUS_RANK = {status: rank for rank, status in enumerate(SourceStatus)}


def _size(record: PathRecord) -> int:
    winner = record.winner
    return winner.size if winner is not None and winner.size is not None else -1


# Sorting 20k rows through django-tables2's generic accessor comparator takes seconds; these
# keys make it one C-level sort per column.
SORT_KEYS: dict[str, Callable[[PathRecord], Any]] = {
    "path": lambda record: record.path,
    "status": lambda record: _STATUS_RANK[record.status],
    "flags": lambda record: (len(record.flags), record.flags),
    "winner": lambda record: record.winner.source if record.winner else "",
    "candidates": lambda record: len(record.candidates),
    "size": _size,
}
# Sorted by the word of a later layer (see PathRowsData.order_by).
LAYER_COLUMNS = ("manifest", "live", "severity")


class PathRowsData(TableListData):
    """The filtered records (in path order); sorted with ``SORT_KEYS`` (ties keep path order)
    and turned into ``PathRow`` only for the page being shown."""

    def __init__(self, records: Sequence[PathRecord], layers: Layers) -> None:
        super().__init__(list(records))
        self.layers = layers

    def order_by(self, aliases: Iterable[str]) -> None:
        aliases = list(aliases)
        if len(aliases) == 1:
            # All rows in this order, kept on the layers: each page of every filter takes its
            # rows from it instead of judging and comparing them again.
            ordered = self.layers.derive(("order", aliases[0]), lambda: self._order(aliases[0]))
            if len(self.data) == len(ordered):  # every row: the order itself
                self.data[:] = ordered
            else:
                chosen = {record.path for record in self.data}
                self.data[:] = [record for record in ordered if record.path in chosen]
            return
        for alias in reversed(aliases):
            self._sort(self.data, alias)

    def _order(self, alias: str) -> tuple[PathRecord, ...]:
        ordered = list(self.layers.records)
        self._sort(ordered, alias)
        return tuple(ordered)

    def _sort(self, records: list[PathRecord], alias: str) -> None:
        order = OrderBy(alias)
        key = self._layer_key(order.bare) if order.bare in LAYER_COLUMNS else SORT_KEYS[order.bare]
        records.sort(key=key, reverse=order.is_descending)

    def __getitem__(self, key: int | slice) -> Any:
        records = self.data[key] if isinstance(key, slice) else [self.data[key]]
        # One cache round trip for the page's probe results, not one per row.
        probed = last_probes(r.path for r in records)
        rows = [self.row(record, probed.get(record.path)) for record in records]
        return rows if isinstance(key, slice) else rows[0]

    def __iter__(self) -> Iterator[PathRow]:
        return (self.row(record) for record in self.data)

    def row(self, record: PathRecord, probed: Probed | None = None) -> PathRow:
        served = str(probed.result.status) if probed is not None else ""
        layers = self.layers
        live = layers.live_status(record.path) or ""
        entry = layers.manifest.entry(record.path, url=False)
        judgement = layers.judgement(record.path)
        reason = judgement.accepted.reason if judgement.accepted else ""
        return PathRow(
            record,
            str(judgement.severity),
            str(entry.status),
            entry.hashed_name or "",
            live,
            served,
            reason,
        )

    def _layer_key(self, column: str) -> Callable[[PathRecord], Any]:
        layers = self.layers
        if column == "severity":
            return lambda record: layers.severity(record.path).rank
        status_of = layers.live_status if column == "live" else layers.manifest_status
        return lambda record: status_of(record.path) or ""


class PathsTable(tables.Table):
    """Columns, sorting and pages; ``inspector/_table.html`` renders the cells itself (a
    template per row is several times faster than django-tables2's per-cell rendering)."""

    path = tables.Column(verbose_name=_("Path"))
    severity = tables.Column(verbose_name=_("Severity"))
    status = tables.Column(verbose_name=_("Status"))
    flags = tables.Column(verbose_name=_("Flags"))
    winner = tables.Column(verbose_name=_("Winner"))
    candidates = tables.Column(verbose_name=_("Candidates"), attrs={"cell": {"class": "num"}})
    size = tables.Column(verbose_name=_("Size"), attrs={"cell": {"class": "num"}})
    live = tables.Column(verbose_name=_("Live"))
    manifest = tables.Column(verbose_name=_("Manifest"))
    served = tables.Column(verbose_name=_("Served"), orderable=False)

    class Meta:
        attrs = {"class": "paths"}
        order_by_field = "sort"
        page_field = "page"
        empty_text = _("No path matches these filters.")


class RowDictTable(tables.Table):
    """A table over plain row dicts, exported without django-tables2's per-cell machinery
    (which inspects each cell's callable's signature: 4 s for 20k rows instead of 0.1 s)."""

    # True where the rows are the CLI's CSV rows (``record_to_row``, ``reference_to_row``),
    # every cell formula-safe already: the export does not go over them a second time.
    cells_formula_safe: ClassVar[bool] = False

    def as_values(self, exclude_columns: Iterable[str] | None = None) -> Iterator[list[Any]]:
        excluded = set(exclude_columns or ())
        names = [c.name for c in self.columns.iterall() if c.name not in excluded]
        yield [str(self.columns[name].header) for name in names]
        for row in self.data:
            yield [row.get(name, "") for name in names]


def export_table_class(
    name: str, columns: Iterable[str], *, cells_formula_safe: bool = False
) -> type[RowDictTable]:
    """Return a table over row dicts whose headers are the column names verbatim."""
    attrs: dict[str, object] = {
        column: tables.Column(verbose_name=column, default="") for column in columns
    }
    attrs["cells_formula_safe"] = cells_formula_safe
    made: type[RowDictTable] = type(tables.Table)(name, (RowDictTable,), attrs)
    return made


# design.md's CSV columns, one row per path.
PathsExportTable = export_table_class("PathsExportTable", CSV_COLUMNS, cells_formula_safe=True)


class SafeTableExport(TableExport):
    """A ``TableExport`` whose every cell is formula-safe in a spreadsheet format (JSON is
    read by programs, which must get the values as they are): made so here, unless the
    table's rows are the CLI's, safe already (``RowDictTable.cells_formula_safe``)."""

    def table_to_dataset(
        self, table: tables.Table, exclude_columns: Any, dataset_kwargs: Any = None
    ) -> Any:
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        if self.format == "json" or getattr(table, "cells_formula_safe", False):
            return dataset
        safe = dataset.__class__(title=dataset.title, headers=dataset.headers)
        for row in dataset:
            safe.append([csv_safe(csv_boolean(c) if isinstance(c, bool) else c) for c in row])
        return safe


def json_download(name: str, write: Callable[[Writable], None]) -> HttpResponse:
    """Return a JSON download of what ``write`` writes (the CLI's writers: one array, an
    object a line)."""
    response = HttpResponse(content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    write(response)
    return response


def export_response(
    records: Iterable[PathRecord],
    export_format: str,
    name: str,
    layers: Layers,
) -> HttpResponse:
    """Return every record as a download: CSV with design.md's columns, JSON with the very
    objects of ``inspect_assets --format json``."""
    if export_format == "json":
        return json_download(name, lambda response: write_json(records, response, layers))
    table = PathsExportTable([record_to_row(record, layers) for record in records])
    return export_table(table, export_format, name, title="paths")


# Sorting the references: each column by one key; ties keep the order before.
REFERENCE_SORT_KEYS: dict[str, Callable[[Reference], Any]] = {
    "severity": lambda ref: ref.severity.rank,
    "problem": lambda ref: str(ref.problem or ""),
    "kind": lambda ref: str(ref.kind),
    "origin": lambda ref: (ref.origin.file, ref.origin.line),
    "reference": lambda ref: ref.reference,
    "path": lambda ref: ref.path or "",
}


class ReferenceRowsData(TableListData):
    """The filtered references, worst first, then by file and line."""

    def __init__(self, refs: list[Reference]) -> None:
        super().__init__(sorted(refs, key=lambda ref: -ref.severity.rank))

    def order_by(self, aliases: Iterable[str]) -> None:
        for alias in reversed(list(aliases)):
            order = OrderBy(alias)
            self.data.sort(key=REFERENCE_SORT_KEYS[order.bare], reverse=order.is_descending)


class ReferencesTable(tables.Table):
    """Columns, sorting and pages of the references (``inspector/_references_table.html``
    renders the cells)."""

    severity = tables.Column(verbose_name=_("Severity"))
    problem = tables.Column(verbose_name=_("Problem"))
    kind = tables.Column(verbose_name=_("Kind"))
    origin = tables.Column(verbose_name=_("Written in"))
    reference = tables.Column(verbose_name=_("Reference"))
    path = tables.Column(verbose_name=_("Static path"))

    class Meta:
        attrs = {"class": "references"}
        order_by_field = "sort"
        page_field = "page"
        empty_text = _("No reference matches these filters.")


# The references' CSV columns (core.rows), one row per reference.
ReferencesExportTable = export_table_class(
    "ReferencesExportTable", REFERENCE_CSV_COLUMNS, cells_formula_safe=True
)


def export_references(refs: Iterable[Reference], export_format: str, name: str) -> HttpResponse:
    """Return every reference as a download: CSV with the CLI's columns, JSON with the very
    objects of ``inspect_assets --references --format json``."""
    if export_format == "json":
        return json_download(
            name, lambda response: write_objects(map(reference_to_dict, refs), response)
        )
    table = ReferencesExportTable([reference_to_row(ref) for ref in refs])
    return export_table(table, export_format, name, title="references")


class CollectionRunTable(tables.Table):
    """The collection history, newest first: sorting, pages and the export's values
    (``inspector/_runs_table.html`` renders the cells)."""

    id = tables.Column(verbose_name=_("Run"))
    created_at = tables.DateTimeColumn(verbose_name=_("Requested"), format="Y-m-d H:i:s")
    requested_by_name = tables.Column(verbose_name=pgettext_lazy("requested by", "By"), default="—")
    phase = tables.Column(verbose_name=_("Phase"))
    clear = tables.BooleanColumn(verbose_name=_("Clear"))
    copied = tables.Column(verbose_name=_("Copied"))
    unmodified = tables.Column(verbose_name=_("Unmodified"))
    post_processed = tables.Column(verbose_name=_("Post-processed"))
    deleted = tables.Column(verbose_name=_("Deleted"))
    duration = tables.Column(verbose_name=_("Duration"), orderable=False, empty_values=())
    storage = tables.Column(verbose_name=_("Storage"))
    error = tables.Column(verbose_name=_("Error"), default="")

    class Meta:
        attrs = {"class": "runs"}
        order_by_field = "sort"
        page_field = "page"
        empty_text = _("No collection has been run from the inspector yet.")

    def value_duration(self, record: Any) -> str:
        duration = record.duration
        return "" if duration is None else f"{duration.total_seconds():.1f} s"


# The history's export: the paths export's conventions (snake_case names, ISO 8601 times to the
# second, true/false, durations in seconds as numbers; empty where there is no value).
RUN_COLUMNS = (
    "id",
    "created_at",
    "started_at",
    "finished_at",
    "requested_by",
    "phase",
    "clear",
    "copied",
    "unmodified",
    "post_processed",
    "deleted",
    "duration_seconds",
    "storage",
    "error",
)
RunsExportTable = export_table_class("RunsExportTable", RUN_COLUMNS)


def _iso(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() if value is not None else None


def run_to_dict(run: Any) -> dict[str, Any]:
    """Return one run of the history as its export row (JSON keeps the types, CSV writes
    ``true``/``false`` and empty cells for null)."""
    duration = run.duration
    return {
        "id": run.pk,
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "requested_by": run.requested_by_name,
        "phase": run.phase,
        "clear": run.clear,
        "copied": run.copied,
        "unmodified": run.unmodified,
        "post_processed": run.post_processed,
        "deleted": run.deleted,
        "duration_seconds": round(duration.total_seconds(), 3) if duration is not None else None,
        "storage": run.storage,
        "error": run.error,
    }


def export_table(table: tables.Table, export_format: str, name: str, *, title: str) -> HttpResponse:
    """Return every row of ``table`` as a formula-safe CSV or JSON download."""
    exporter = SafeTableExport(export_format, table, dataset_kwargs={"title": title})
    response: HttpResponse = exporter.response(filename=f"{name}.{export_format}")
    return response
