"""The references' rows for machines: design.md's JSON objects and CSV lines, for every client."""

from __future__ import annotations

from typing import Any

from ..cells import csv_cell
from .model import Reference

# design.md's references, flattened: the origin's file, line and app in three columns.
REFERENCE_CSV_COLUMNS = (
    "kind",
    "origin_file",
    "origin_line",
    "reference",
    "path",
    "problem",
    "severity",
    # Extensions: the installed app whose folder holds the file ("" for the project), and why.
    "origin_app",
    "why",
)


def reference_to_dict(ref: Reference) -> dict[str, Any]:
    """Return the JSON object of one reference: design.md's keys, then extensions."""
    return {
        "kind": str(ref.kind),
        "origin": {"file": ref.origin.file, "line": ref.origin.line, "app": ref.origin.app},
        "reference": ref.reference,
        "path": ref.path,
        "problem": str(ref.problem) if ref.problem else None,
        "severity": str(ref.severity),
        "why": ref.why,
    }


def reference_to_row(ref: Reference) -> dict[str, str]:
    """Return the flattened CSV row of one reference, every cell formula-safe."""
    row = {
        "kind": ref.kind,
        "origin_file": ref.origin.file,
        "origin_line": ref.origin.line,
        "reference": ref.reference,
        "path": ref.path or "",
        "problem": ref.problem or "",
        "severity": ref.severity,
        "origin_app": ref.origin.app,
        "why": ref.why,
    }
    return {column: csv_cell(row[column]) for column in REFERENCE_CSV_COLUMNS}
