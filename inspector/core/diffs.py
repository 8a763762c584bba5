"""Line diffs between two versions of a static file, bounded and safe for binary content.

Used for a shadowed candidate against the winner, and for a source against its collected copy
(``live_diff``, which the detail page and the CLI's ``--diff`` show).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum

from ..conf import get_config
from .fingerprints import FileStamp, read_recorded
from .live import LiveEntry, LiveReport
from .records import PathRecord
from .status import LiveStatus

# Git's heuristic: a NUL byte in the first 8 KiB means binary.
_BINARY_SNIFF_BYTES = 8192


class LineKind(StrEnum):
    HEADER = "header"
    HUNK = "hunk"
    ADDED = "added"
    REMOVED = "removed"
    CONTEXT = "context"


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: LineKind
    text: str


@dataclass(frozen=True, slots=True)
class TextDiff:
    """A unified diff, or the reason there is none (``skipped``)."""

    lines: tuple[DiffLine, ...] = ()
    added: int = 0
    removed: int = 0
    truncated: bool = False
    skipped: str | None = None


class TooLargeToDiff(Exception):
    pass


def read_capped(stamp: FileStamp, max_bytes: int) -> bytes:
    """Return the listed file's bytes; raise ``TooLargeToDiff`` past ``max_bytes`` (read no
    further). Only the file the listing recorded is read (``fingerprints.read_recorded``)."""
    data = read_recorded(stamp, max_bytes)
    if len(data) > max_bytes:
        raise TooLargeToDiff(f"larger than {max_bytes:,} bytes: not diffed")
    return data


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:_BINARY_SNIFF_BYTES]


def diff_bytes(
    old: bytes, new: bytes, old_label: str, new_label: str, *, max_lines: int
) -> TextDiff:
    """Return the unified diff turning ``old`` into ``new``, at most ``max_lines`` lines long."""
    if is_binary(old) or is_binary(new):
        return TextDiff(skipped="binary content: not diffed")
    # Undecodable bytes must not hide a difference, nor break the page: show them replaced.
    old_lines = old.decode("utf-8", "replace").splitlines()
    new_lines = new.decode("utf-8", "replace").splitlines()
    lines: list[DiffLine] = []
    added = removed = 0
    truncated = False
    for text in difflib.unified_diff(
        old_lines, new_lines, fromfile=old_label, tofile=new_label, lineterm=""
    ):
        kind = _kind_of(text, header=len(lines) < 2)
        if kind is LineKind.ADDED:
            added += 1
        elif kind is LineKind.REMOVED:
            removed += 1
        if len(lines) < max_lines:
            lines.append(DiffLine(kind, text))
        else:
            truncated = True
    if not lines:
        # Same lines, other bytes: line endings, a final newline or undecodable bytes.
        return TextDiff(
            skipped="the lines are the same; the bytes differ in line endings or encoding"
        )
    return TextDiff(tuple(lines), added, removed, truncated)


def diff_files(
    old_file: FileStamp,
    new_file: FileStamp,
    old_label: str,
    new_label: str,
    *,
    max_bytes: int,
    max_lines: int,
) -> TextDiff:
    """Diff two files on disk, or say why not (too large, unreadable, binary)."""
    try:
        old = read_capped(old_file, max_bytes)
        new = read_capped(new_file, max_bytes)
    except TooLargeToDiff as exc:
        return TextDiff(skipped=str(exc))
    except OSError as exc:
        return TextDiff(skipped=f"could not read: {exc.strerror or exc}")
    return diff_bytes(old, new, old_label, new_label, max_lines=max_lines)


def _kind_of(text: str, *, header: bool) -> LineKind:
    if header and text.startswith(("---", "+++")):
        return LineKind.HEADER
    if text.startswith("@@"):
        return LineKind.HUNK
    if text.startswith("+"):
        return LineKind.ADDED
    if text.startswith("-"):
        return LineKind.REMOVED
    return LineKind.CONTEXT


def live_diff(record: PathRecord, entry: LiveEntry, live: LiveReport) -> TextDiff | None:
    """Return the diff from the collected copy to the file collection would take now, for a
    ``modified`` path; None for any other status."""
    source = record.collect_winner or record.winner
    if entry.status != LiveStatus.MODIFIED or source is None:
        return None
    config = get_config()
    try:
        deployed = live.read_collected(record.path, config["DIFF_MAX_BYTES"])
        if deployed is None:
            return TextDiff(skipped=f"larger than {config['DIFF_MAX_BYTES']:,} bytes: not diffed")
        if source.stamp is None:
            return TextDiff(skipped="the source is not a file on disk: not diffed")
        current = read_capped(source.stamp, config["DIFF_MAX_BYTES"])
    except TooLargeToDiff as exc:
        return TextDiff(skipped=str(exc))
    except Exception as exc:  # the storage's or the file system's error, said on the page
        return TextDiff(skipped=f"could not read: {exc}")
    return diff_bytes(
        deployed,
        current,
        f"collected: {entry.stored_name}",
        f"source now: {source.source}",
        max_lines=config["DIFF_MAX_LINES"],
    )
