"""Rows for machines: the JSON objects and CSV lines of design.md's contract, for every client."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from . import fingerprints
from .inventory import Candidate, PathRecord

if TYPE_CHECKING:
    from .manifest import ManifestEntry, ManifestReport

CSV_COLUMNS = (
    "path",
    "status",
    "flags",
    "winner_source",
    "winner_location",
    "candidates",
    "shadowed_sources",
    "live_status",
    "manifest_status",
    "hashed_name",
)
# Lists inside one CSV cell are joined with this; it appears in no status word.
LIST_SEPARATOR = "|"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """Return ``value`` as a cell a spreadsheet will never evaluate as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def record_to_dict(
    record: PathRecord, *, force_hash: bool = False, manifest: ManifestReport | None = None
) -> dict[str, Any]:
    """Return the JSON object of one path (``force_hash`` computes every md5).

    ``manifest`` None means the manifest layer was not computed: ``"manifest"`` is then null.
    """
    files = [_file_dict(c, force_hash) for c in record.candidates]
    collected = record.collect_winner
    return {
        "path": record.path,
        "status": str(record.status),
        "flags": [str(flag) for flag in record.flags],
        "winner": files[0] if files else None,
        "candidates": [
            {**file, "identical_to_winner": c.identical_to_winner}
            for file, c in zip(files, record.candidates, strict=True)
        ],
        "live_status": None,
        "manifest": manifest_to_dict(manifest.entry(record.path)) if manifest else None,
        # Extensions beyond design.md's minimum: what collection takes, and what went wrong.
        "collected_from": (
            {"source": collected.source, "location": collected.location} if collected else None
        ),
        "errors": list(record.errors),
    }


def manifest_to_dict(entry: ManifestEntry) -> dict[str, Any]:
    """Return the ``manifest`` object of one path: the contract's two keys, then extensions."""
    return {
        "status": str(entry.status),
        "hashed_name": entry.hashed_name,
        "url": entry.url,
        "expected_hashed_name": entry.expected_hashed_name,
        "note": entry.note,
        "findings": [
            {"kind": str(f.kind), "file": f.file, "size": f.size, "detail": f.detail}
            for f in entry.findings
        ],
    }


def record_to_row(record: PathRecord, manifest: ManifestReport | None = None) -> dict[str, str]:
    """Return the flattened CSV row of one path, every cell formula-safe."""
    winner = record.winner
    entry = manifest.entry(record.path) if manifest else None
    row = {
        "path": record.path,
        "status": record.status,
        "flags": LIST_SEPARATOR.join(record.flags),
        "winner_source": winner.source if winner else "",
        "winner_location": winner.location if winner else "",
        "candidates": len(record.candidates),
        "shadowed_sources": LIST_SEPARATOR.join(c.source for c in record.shadowed),
        "live_status": "",
        "manifest_status": entry.status if entry else "",
        "hashed_name": (entry.hashed_name or "") if entry else "",
    }
    return {column: csv_safe(row[column]) for column in CSV_COLUMNS}


def write_csv(
    records: Iterable[PathRecord], stream: IO[str], manifest: ManifestReport | None = None
) -> None:
    """Write the header and one line per path to ``stream``."""
    # RFC 4180 line ends: the writer quotes a cell only for line breaks its terminator contains,
    # and file names can hold a lone carriage return.
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(record_to_row(record, manifest) for record in records)


def candidate_md5(candidate: Candidate, *, force: bool = False) -> str | None:
    """Return the candidate's md5: known already, or computed now when ``force`` is set."""
    if candidate.md5 or not force or candidate.stamp is None:
        return candidate.md5
    try:
        return fingerprints.md5(candidate.stamp)
    except OSError:
        return None


def _file_dict(candidate: Candidate, force_hash: bool) -> dict[str, Any]:
    mtime = (
        datetime.fromtimestamp(candidate.mtime_ns / 1e9, tz=UTC).isoformat()
        if candidate.mtime_ns is not None
        else None
    )
    return {
        "source": candidate.source,
        "location": candidate.location,
        "size": candidate.size,
        "md5": candidate_md5(candidate, force=force_hash),
        "mtime": mtime,
    }
