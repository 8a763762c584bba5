"""Line diffs between two versions of a static file, bounded and safe for binary content.

Used for a shadowed candidate against the winner, and for a source against its collected copy
(``live_diff``, which the detail page and the CLI's ``--diff`` show).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
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
class Part:
    """A piece of a changed line's content; ``changed`` where its counterpart differs."""

    text: str
    changed: bool


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a unified diff (``text`` with its ``+``/``-``/`` `` marker), with its number
    in the old and the new file, and for a changed line its content in ``parts``."""

    kind: LineKind
    text: str
    old_number: int | None = None
    new_number: int | None = None
    parts: tuple[Part, ...] = ()

    @property
    def marker(self) -> str:
        return self.text[:1] if self.kind in _CONTENT_KINDS else ""


@dataclass(frozen=True, slots=True)
class Hunk:
    lines: tuple[DiffLine, ...]


@dataclass(frozen=True, slots=True)
class TextDiff:
    """A unified diff, or the reason there is none (``skipped``)."""

    lines: tuple[DiffLine, ...] = ()
    added: int = 0
    removed: int = 0
    truncated: bool = False
    skipped: str | None = None

    @property
    def header(self) -> tuple[DiffLine, ...]:
        """The ``---``/``+++`` lines."""
        return tuple(line for line in self.lines if line.kind is LineKind.HEADER)

    @property
    def hunks(self) -> tuple[Hunk, ...]:
        """The lines after the header, one group per ``@@`` line."""
        groups: list[list[DiffLine]] = []
        for line in self.lines:
            if line.kind is LineKind.HUNK or (not groups and line.kind is not LineKind.HEADER):
                groups.append([])
            if groups:
                groups[-1].append(line)
        return tuple(Hunk(tuple(group)) for group in groups)


class TooLargeToDiff(Exception):
    pass


def read_capped(stamp: FileStamp, max_bytes: int) -> bytes:
    """Return the listed file's bytes; raise ``TooLargeToDiff`` past ``max_bytes`` (read no
    further). Only the file the listing recorded is read (``fingerprints.read_recorded``), as
    it is now: a page can be older than the last edit, and shows that edit."""
    data = read_recorded(stamp, max_bytes, any_version=True)
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
    return TextDiff(tuple(_with_words(_numbered(lines))), added, removed, truncated)


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


_CONTENT_KINDS = (LineKind.ADDED, LineKind.REMOVED, LineKind.CONTEXT)
_HUNK_START = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
# Words, runs of spaces, and every other character alone: what a changed word is made of.
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")
# Past this, a line is marked changed whole: comparing its words would cost more than it shows.
_WORDS_MAX_CHARS = 2000
# Below this likeness two lines are a replacement, not an edit: nothing to mark within.
_EDIT_RATIO = 0.3


def _numbered(lines: list[DiffLine]) -> Iterator[DiffLine]:
    """Give each line its number in the old and the new file, from the hunks' ``@@`` lines."""
    old = new = 0
    for line in lines:
        if line.kind is LineKind.HUNK:
            start = _HUNK_START.match(line.text)
            if start:
                old, new = int(start.group(1)), int(start.group(2))
            yield line
        elif line.kind is LineKind.REMOVED:
            yield replace(line, old_number=old)
            old += 1
        elif line.kind is LineKind.ADDED:
            yield replace(line, new_number=new)
            new += 1
        elif line.kind is LineKind.CONTEXT:
            yield replace(line, old_number=old, new_number=new)
            old, new = old + 1, new + 1
        else:
            yield line


def _with_words(lines: Iterator[DiffLine]) -> Iterator[DiffLine]:
    """Mark the changed words of each removed line and the added line that replaces it (the
    n-th removed and the n-th added line of a block of changes are a pair)."""
    removed: list[DiffLine] = []
    added: list[DiffLine] = []

    def flush() -> Iterator[DiffLine]:
        pairs = {id(old): new for old, new in zip(removed, added, strict=False)}
        marked: dict[int, DiffLine] = {}
        for old in removed:
            new = pairs.get(id(old))
            if new is not None:
                old_parts, new_parts = _word_parts(old.text[1:], new.text[1:])
                if old_parts:
                    marked[id(old)] = replace(old, parts=old_parts)
                    marked[id(new)] = replace(new, parts=new_parts)
        for line in (*removed, *added):
            yield marked.get(id(line), line)
        removed.clear()
        added.clear()

    for line in lines:
        if line.kind is LineKind.REMOVED and not added:
            removed.append(line)
        elif line.kind is LineKind.ADDED and removed:
            added.append(line)
        else:
            yield from flush()
            if line.kind is LineKind.REMOVED:
                removed.append(line)
            else:
                yield line
    yield from flush()


def _word_parts(old: str, new: str) -> tuple[tuple[Part, ...], tuple[Part, ...]]:
    """Return both lines cut into unchanged and changed parts; empty when they are too long or
    too unlike for a word-by-word comparison to help."""
    if len(old) > _WORDS_MAX_CHARS or len(new) > _WORDS_MAX_CHARS:
        return (), ()
    old_tokens, new_tokens = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    if matcher.ratio() < _EDIT_RATIO:
        return (), ()
    old_parts: list[Part] = []
    new_parts: list[Part] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        same = tag == "equal"
        _append(old_parts, "".join(old_tokens[i1:i2]), not same)
        _append(new_parts, "".join(new_tokens[j1:j2]), not same)
    return tuple(old_parts), tuple(new_parts)


def _append(parts: list[Part], text: str, changed: bool) -> None:
    if text:
        parts.append(Part(text, changed))


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
