"""Rows for machines: the JSON objects and CSV lines of design.md's contract, for every client."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any, Protocol

from . import fingerprints
from .cells import csv_boolean, csv_cell, csv_safe
from .layers import Layers
from .manifest.releases import PathChange
from .manifest.report import ManifestEntry
from .paths import has_undecodable
from .records import Candidate, PathRecord
from .served import ServedResult

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
    # Extensions: the served probe's status (empty when not probed), the row's severity and
    # the reason of the ACCEPT rule that accepts it (empty when none does).
    "served_status",
    "severity",
    "accepted_reason",
    # Extensions: the winner's size and md5 (empty where not computed; ``--hash`` computes it),
    # and per shadowed source whether it is identical to the winner, in ``shadowed_sources``'
    # order: ``app:x=true|app:y=false`` (empty after ``=``: not compared).
    "winner_size",
    "winner_md5",
    "shadowed_identical",
)
# Lists inside one CSV cell are joined with this; it appears in no status word.
LIST_SEPARATOR = "|"


def record_to_dict(
    record: PathRecord, layers: Layers, *, force_hash: bool = False
) -> dict[str, Any]:
    """Return the JSON object of one path (``force_hash`` computes every md5).

    A layer that was not computed (``--no-live``, no probe) gives null values.
    """
    files = [_file_dict(c, force_hash) for c in record.candidates]
    collected = record.collect_winner
    live = layers.live.entry(record.path) if layers.live else None
    served = layers.served.get(record.path) if layers.served else None
    judgement = layers.judgement(record.path)
    accepted = judgement.accepted
    return {
        "path": record.path,
        "status": str(record.status),
        "flags": [str(flag) for flag in record.flags],
        "winner": files[0] if files else None,
        "candidates": [
            {**file, "identical_to_winner": c.identical_to_winner}
            for file, c in zip(files, record.candidates, strict=True)
        ],
        "live_status": str(live.status) if live else None,
        "manifest": manifest_to_dict(layers.manifest.entry(record.path)),
        "live": (
            {"stored_name": live.stored_name, "stored_size": live.stored_size, "note": live.note}
            if live
            else None
        ),
        "served": served_to_dict(served) if served else None,
        # Extensions beyond design.md's minimum: what collection takes, and what went wrong.
        "collected_from": (
            {"source": collected.source, "location": collected.location} if collected else None
        ),
        "errors": list(record.errors),
        "notes": list(record.notes),
        "severity": str(judgement.severity),
        "accepted": {"reason": accepted.reason} if accepted is not None else None,
    }


def record_to_json(record: PathRecord, layers: Layers, *, force_hash: bool = False) -> str | None:
    """Return ``json.dumps(record_to_dict(...), ensure_ascii=False)``, spelt directly: the CLI
    writes one per path, and building the dicts to encode them costs half as much again.

    None for a row it does not spell, which the caller encodes from ``record_to_dict``: one
    with a served probe result, or a name that is not UTF-8.
    """
    path = record.path
    if layers.served is not None and layers.served.get(path) is not None:
        return None
    candidates_of = record.candidates
    # Each file's source and location, spelt once: also the "collected_from" of the one
    # collectstatic takes.
    origins = [_origin_json(c) for c in candidates_of]
    files = [
        f"{origin}, {_file_json(c, force_hash)}"
        for origin, c in zip(origins, candidates_of, strict=True)
    ]
    live = layers.live.entry(path) if layers.live else None
    judgement = layers.judgement(path)
    accepted = judgement.accepted
    entry = layers.manifest.entry(path)
    if len(files) == 1:  # most paths: one file, no rival
        candidates = (
            f'{{{files[0]}, "identical_to_winner": '
            f"{_boolean(candidates_of[0].identical_to_winner)}}}"
        )
    else:
        candidates = ", ".join(
            f'{{{file}, "identical_to_winner": {_boolean(c.identical_to_winner)}}}'
            for file, c in zip(files, candidates_of, strict=True)
        )
    findings = (
        ", ".join(
            f'{{"kind": {_q(f.kind)}, "file": {_q(f.file)}, "size": {_number(f.size)}, '
            f'"detail": {_q(f.detail)}}}'
            for f in entry.findings
        )
        if entry.findings
        else ""
    )
    stored = (
        f'{{"stored_name": {_text(live.stored_name)}, '
        f'"stored_size": {_number(live.stored_size)}, "note": {_q(live.note)}}}'
        if live
        else "null"
    )
    taken = record.collect_index
    origin = f"{{{origins[taken]}}}" if taken is not None else "null"
    reason = f'{{"reason": {_q(accepted.reason)}}}' if accepted is not None else "null"
    winner = f"{{{files[0]}}}" if files else "null"
    text = (
        f'{{"path": {_q(path)}, "status": {_q(record.status)}, '
        f'"flags": [{_list(record.flags)}], '
        f'"winner": {winner}, "candidates": [{candidates}], '
        f'"live_status": {_q(live.status) if live else "null"}, '
        f'"manifest": {{"status": {_q(entry.status)}, '
        f'"hashed_name": {_text(entry.hashed_name)}, "url": {_text(entry.url)}, '
        f'"expected_hashed_name": {_text(entry.expected_hashed_name)}, '
        f'"note": {_q(entry.note)}, "findings": [{findings}]}}, '
        f'"live": {stored}, "served": null, "collected_from": {origin}, '
        f'"errors": [{_list(record.errors)}], "notes": [{_list(record.notes)}], '
        f'"severity": {_q(judgement.severity)}, "accepted": {reason}}}'
    )
    return None if has_undecodable(text) else text


def _origin_json(candidate: Candidate) -> str:
    """Return the source and location members of ``_file_dict(candidate)`` as JSON."""
    return f'"source": {_q(candidate.source)}, "location": {_q(candidate.location)}'


def _file_json(candidate: Candidate, force_hash: bool) -> str:
    """Return the other members of ``_file_dict(candidate)`` as JSON, without the braces."""
    stamp = candidate.stamp
    size, mtime = (
        ("null", "null") if stamp is None else (str(stamp.size), _q(iso_time(stamp.mtime_ns)))
    )
    return (
        f'"size": {size}, "md5": {_text(candidate_md5(candidate, force=force_hash))}, '
        f'"mtime": {mtime}, "symlink": {_text(candidate.symlink)}'
    )


# json's own string encoder (C): quotes and escapes as ``_ENCODER`` does.
_q: Callable[[str], str] = encode_basestring


def _list(values: Sequence[str]) -> str:
    return ", ".join(map(_q, values)) if values else ""


def _text(value: str | None) -> str:
    return "null" if value is None else _q(value)


def _number(value: int | None) -> str:
    return "null" if value is None else str(value)


def _boolean(value: bool | None) -> str:
    return "null" if value is None else ("true" if value else "false")


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


def served_to_dict(result: ServedResult) -> dict[str, Any]:
    """Return the ``served`` object of one path (an extension: design.md's served layer)."""
    return {
        "status": str(result.status),
        "http_status": result.http_status,
        "url": result.url or None,
        "detail": result.detail,
        "problems": list(result.problems),
        "notes": list(result.notes),
    }


def record_to_row(
    record: PathRecord, layers: Layers, *, force_hash: bool = False
) -> dict[str, str]:
    """Return the flattened CSV row of one path, every cell formula-safe (``force_hash``
    computes the winner's md5 where no status needed it)."""
    winner = record.winner
    entry = layers.manifest.entry(record.path, url=False)
    live = layers.live_status(record.path)
    judgement = layers.judgement(record.path)
    row = {
        "path": record.path,
        "status": record.status,
        "flags": LIST_SEPARATOR.join(record.flags),
        "winner_source": winner.source if winner else "",
        "winner_location": winner.location if winner else "",
        "candidates": len(record.candidates),
        "shadowed_sources": LIST_SEPARATOR.join(c.source for c in record.shadowed),
        "live_status": live or "",
        "manifest_status": entry.status,
        "hashed_name": entry.hashed_name or "",
        "served_status": layers.served_status(record.path) or "",
        "severity": judgement.severity,
        "accepted_reason": judgement.accepted.reason if judgement.accepted else "",
        "winner_size": "" if winner is None or winner.size is None else winner.size,
        "winner_md5": (candidate_md5(winner, force=force_hash) or "") if winner else "",
        "shadowed_identical": LIST_SEPARATOR.join(
            f"{c.source}={csv_boolean(c.identical_to_winner)}" for c in record.shadowed
        ),
    }
    return {column: csv_cell(row[column]) for column in CSV_COLUMNS}


class Writable(Protocol):
    """Anything text can be written to: a file, Django's ``OutputWrapper``, an HTTP response."""

    def write(self, text: str, /) -> object: ...


def write_json(
    records: Iterable[PathRecord],
    stream: Writable,
    layers: Layers,
    *,
    force_hash: bool = False,
) -> None:
    """Write one JSON array to ``stream``, one object per path."""
    write_lines(json_texts(records, layers, force_hash=force_hash), stream)


def json_texts(
    records: Iterable[PathRecord], layers: Layers, *, force_hash: bool = False
) -> Iterator[str]:
    """Yield the JSON object of each path, on one line."""
    for record in records:
        yield record_to_json(record, layers, force_hash=force_hash) or encode(
            record_to_dict(record, layers, force_hash=force_hash)
        )


def write_objects(objects: Iterable[dict[str, Any]], stream: Writable) -> None:
    """Write one JSON array to ``stream``, one object per line (json's C encoder per object,
    not one document built in memory)."""
    write_lines(map(encode, objects), stream)


def encode(row: dict[str, Any]) -> str:
    """Return one object as JSON on one line, as UTF-8 can write it."""
    text = _ENCODER.encode(row)
    if has_undecodable(text):
        # A name that is not UTF-8 cannot be written as it is: JSON escapes it (\udcff),
        # which json.loads reads back to the very name.
        text = json.dumps(row)
    return text


def write_lines(texts: Iterable[str], stream: Writable) -> None:
    """Write one JSON array of encoded objects to ``stream``, one per line (greppable, and
    written as it goes)."""
    stream.write("[\n")
    write_joined(texts, stream, "\n")
    stream.write("]\n")


def write_joined(texts: Iterable[str], stream: Writable, end: str) -> None:
    """Write ``texts`` to ``stream``, ``",\\n"`` between two, ``end`` after the last (nothing
    where there is none)."""
    # The last object of a write is held back until the next shows whether a comma follows
    # it: so each write ends a line (but the last, with an ``end`` of ""), and a stream that
    # ends lines itself (Django's OutputWrapper) adds nothing.
    chunk: list[str] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) > _ROWS_PER_WRITE:
            stream.write(",\n".join(chunk[:-1]) + ",\n")
            del chunk[:-1]
    if chunk:
        stream.write(",\n".join(chunk) + end)


# Rows written at once, as the rows go: each write goes through the stream's wrapper (Django's
# OutputWrapper, a response), a call per write rather than per row. Usually below 128 KiB
# (rows of about 1.3 KB, of one-byte characters): glibc's mmap threshold, which the command line
# fixes there (``management.process.hand_back_large_blocks``), so a larger text (and its encoded
# bytes) would be a fresh mapping of the memory each time, faulted in page by page.
_ROWS_PER_WRITE = 64
# Rows are fresh trees of dicts and lists: no cycle to look for in tens of thousands of them.
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def write_csv(
    records: Iterable[PathRecord], stream: Writable, layers: Layers, *, force_hash: bool = False
) -> None:
    """Write the header and one line per path to ``stream``."""
    rows = (record_to_row(record, layers, force_hash=force_hash) for record in records)
    write_rows(rows, CSV_COLUMNS, stream)


def write_rows(rows: Iterable[dict[str, str]], columns: tuple[str, ...], stream: Writable) -> None:
    """Write the header and one line per row to ``stream``."""
    # RFC 4180 line ends: the writer quotes a cell only for line breaks its terminator contains,
    # and file names can hold a lone carriage return.
    writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)


def candidate_md5(candidate: Candidate, *, force: bool = False) -> str | None:
    """Return the candidate's md5: known already, or computed now when ``force`` is set."""
    if candidate.md5 or not force or candidate.stamp is None:
        return candidate.md5
    try:
        return fingerprints.md5(candidate.stamp)
    except OSError:
        return None


def _mtime(candidate: Candidate) -> str | None:
    mtime_ns = candidate.mtime_ns
    return None if mtime_ns is None else iso_time(mtime_ns)


def iso_time(mtime_ns: int) -> str:
    """Return ``datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC).isoformat()``, each row's
    ``mtime``: a tree's files share few seconds, so the date and time of day are spelt once
    per second, and only the microseconds per file, rounded as ``fromtimestamp`` rounds them
    (the float's fraction, half to even)."""
    if mtime_ns < 0:  # before 1970: fromtimestamp's own rounding, for the rare file
        return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC).isoformat()
    fraction, whole = math.modf(mtime_ns / 1e9)
    micro = round(fraction * 1e6)
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    second = _second(int(whole))
    return f"{second}.{micro:06d}+00:00" if micro else f"{second}+00:00"


@lru_cache(maxsize=1024)
def _second(whole: int) -> str:
    """Return the date and time of day of ``whole`` seconds since the epoch (UTC), to the second."""
    return datetime.fromtimestamp(whole, tz=UTC).isoformat()[:19]


def _file_dict(candidate: Candidate, force_hash: bool) -> dict[str, Any]:
    return {
        "source": candidate.source,
        "location": candidate.location,
        "size": candidate.size,
        "md5": candidate_md5(candidate, force=force_hash),
        "mtime": _mtime(candidate),
        # Extension: the real file behind a symlink leading out of the source folder.
        "symlink": candidate.symlink,
    }


# --- beyond the rows of paths: a comparison of two releases, the paths to invalidate -----------

CHANGE_COLUMNS = ("path", "change", "before", "after")


def change_to_dict(change: PathChange) -> dict[str, str | None]:
    """Return one path's difference between two releases (design.md: hashed names, or null)."""
    return {
        "path": change.path,
        "change": str(change.change),
        "before": change.before,
        "after": change.after,
    }


def write_changes(changes: Iterable[PathChange], stream: Writable, output: str) -> None:
    """Write a comparison of two releases as one JSON array or as CSV, header first."""
    if output == "json":
        stream.write(json.dumps([change_to_dict(c) for c in changes], ensure_ascii=False) + "\n")
        return
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(CHANGE_COLUMNS)
    writer.writerows([csv_safe(value) for value in change_to_dict(c).values()] for c in changes)


def write_paths(paths: Iterable[str], stream: Writable, output: str) -> None:
    """Write URL paths one per line, as one JSON array of strings, or as a CSV column."""
    if output == "json":
        stream.write(json.dumps(list(paths), ensure_ascii=False) + "\n")
    elif output == "csv":
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(["path"])
        writer.writerows([csv_safe(path)] for path in paths)
    else:
        for path in paths:
            stream.write(path + "\n")
