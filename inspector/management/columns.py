"""Tables for a terminal: columns fitted to its width, long values shortened in the middle,
and Django's colours where the output is a terminal."""

from __future__ import annotations

import os
import shutil
import textwrap
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.management.base import OutputWrapper
from django.core.management.color import Style, color_style, no_style

from ..core.paths import printable

Write = Callable[[str], object]

# Without a width to fit (a pipe or a file), a column is aligned to at most this many
# characters; longer values are written whole (JSON and CSV carry them too).
MAX_CELL = 60
ELLIPSIS = "…"


def display_width(text: str) -> int:
    """Return how many terminal cells ``text`` takes: two for an East Asian wide or full-width
    character, none for a combining mark."""
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def shorten(text: str, width: int) -> str:
    """Return ``text`` in at most ``width`` terminal cells, cut in the middle with ``…``: both
    ends of a path or a folder say more than its middle."""
    if display_width(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    tail = (width - 1) // 2
    return _within(text, width - 1 - tail) + ELLIPSIS + _within(text[::-1], tail)[::-1]


def _within(text: str, cells: int) -> str:
    """Return the longest start of ``text`` that takes at most ``cells`` terminal cells."""
    used = 0
    for i, char in enumerate(text):
        used += display_width(char)
        if used > cells:
            return text[:i]
    return text


@dataclass(frozen=True, slots=True)
class Listing:
    """A cell that lists ``(label, note)`` pairs, e.g. ``app:x (differs)``. Shortened, it
    keeps the first items whole and counts the rest (``+2 more``), then shortens the first
    label in the middle and counts the rest (``+2``): the notes stay whole."""

    items: tuple[tuple[str, str], ...]

    def fit(self, width: int | None) -> str:
        texts = [f"{printable(label)} ({note})" for label, note in self.items]
        whole = ", ".join(texts) or "-"
        if width is None or display_width(whole) <= width:
            return whole
        count = len(texts)
        for shown in range(count - 1, 0, -1):
            text = ", ".join(texts[:shown]) + f", +{count - shown} more"
            if display_width(text) <= width:
                return text
        label, note = self.items[0]
        more = f" +{count - 1}" if count > 1 else ""
        room = width - len(f" ({note}){more}")
        if room >= 4:
            return f"{shorten(printable(label), room)} ({note}){more}"
        return shorten(whole, width)


Cell = str | Listing


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a terminal table. ``elastic`` ones are shortened to fit, down to
    ``minimum`` (and never under their header); the ``rest`` one (the path) takes the width
    the others leave; ``severity`` cells are coloured by their word. Where the columns cannot
    all fit, those with a ``drop`` rank are left out, lowest rank first."""

    header: str
    elastic: bool = False
    rest: bool = False
    severity: bool = False
    minimum: int = 0
    drop: int = 0

    @property
    def shrinks(self) -> bool:
        return self.elastic or self.rest


def table_width(stream: OutputWrapper) -> int | None:
    """Return the width a table must fit: ``COLUMNS`` if set, else the terminal's; ``None``
    when the output is no terminal (a pipe or a file gets whole values)."""
    if os.environ.get("COLUMNS") or stream.isatty():
        return shutil.get_terminal_size().columns
    return None


def wrapping(write: Write, width: int | None) -> Write:
    """Return ``write`` for prose: lines broken between words to fit ``width`` (continuations
    indented), or as they are without a width."""
    if width is None:
        return write

    def write_wrapped(text: str) -> None:
        write(
            "\n".join(
                textwrap.fill(line, width, subsequent_indent="  ", break_on_hyphens=False)
                for line in text.split("\n")
            )
        )

    return write_wrapped


def table_style(stdout: OutputWrapper, stderr: OutputWrapper, options: dict[str, Any]) -> Style:
    """Return Django's style for what the command writes to ``stdout``: coloured with
    ``--force-color``; plain with ``--no-color``, a non-empty ``NO_COLOR`` (no-color.org, which
    Django 5.2 does not read) or when ``stdout`` is no terminal; else ``DJANGO_COLORS``'s."""
    if options.get("force_color"):
        return color_style(force_color=True)
    if os.environ.get("NO_COLOR"):
        stderr.style_func = None  # Django colours stderr's lines red on a terminal otherwise
    if options.get("no_color") or os.environ.get("NO_COLOR") or not stdout.isatty():
        return no_style()
    return color_style(force_color=True)


def warning_writer(stderr: OutputWrapper, options: dict[str, Any]) -> Write:
    """Return how ``warning:`` lines go to ``stderr``: in Django's ``WARNING`` role where
    ``stderr`` is a terminal (Django would paint every line there as an ``ERROR``), plain
    under the same conditions as ``table_style``."""
    warning = table_style(stderr, stderr, options).WARNING
    return lambda line: stderr.write(line, style_func=warning)


def severity_paint(style: Style) -> dict[str, Callable[[str], str]]:
    """Return how each severity word is coloured, in Django's roles."""
    return {
        "error": style.ERROR,
        "warning": style.WARNING,
        "info": style.HTTP_INFO,
        "ok": style.SUCCESS,
    }


def fit_widths(
    columns: Sequence[Column], natural: Sequence[int], width: int, gap: int, *, force: bool = False
) -> list[int] | None:
    """Return the columns' widths within ``width``, or None if even their least does not fit
    (with ``force``: their least, the ``rest`` column down to its header's width).

    Fixed columns keep their widest value. The elastic ones share what is left at one level
    (none wider than it needs), leaving at least half of it to the ``rest`` column, which
    then takes all that remains."""
    widths = list(natural)
    fixed = sum(n for c, n in zip(columns, natural, strict=True) if not c.shrinks)
    available = width - fixed - gap * (len(columns) - 1)
    least = [min(n, max(len(c.header), c.minimum)) for c, n in zip(columns, natural, strict=True)]
    rest = [i for i, c in enumerate(columns) if c.rest]
    elastic = [i for i, c in enumerate(columns) if c.elastic]
    rest_floor = sum(min(natural[i], max(least[i], available // 2)) for i in rest)
    if sum(least[i] for i in elastic + rest) > available:
        if not force:
            return None
        for i in elastic:
            widths[i] = least[i]
        for i in rest:
            widths[i] = max(len(columns[i].header), available - sum(least[i] for i in elastic))
        return widths

    def used(level: int) -> int:
        return sum(min(natural[i], max(least[i], level)) for i in elastic)

    level = max((natural[i] for i in elastic), default=0)
    while level > 0 and used(level) > available - rest_floor:
        level -= 1
    for i in elastic:
        widths[i] = min(natural[i], max(least[i], level))
    left = available - used(level)
    for i in rest:  # one path column in practice
        widths[i] = max(least[i], min(natural[i], left))
        left -= widths[i]
    return widths


def write_columns(
    columns: Sequence[Column | str],
    rows: Iterable[Iterable[Cell | object]],
    write: Write,
    *,
    width: int | None = None,
    style: Style | None = None,
) -> list[str]:
    """Write ``rows`` under the columns' headers, every cell printable; return the headers of
    the columns left out that had something to say. Without a ``width``, columns are as wide
    as their widest cell (up to ``MAX_CELL``). Fitted to ``width``, the table leaves out the
    columns no row says anything in (only ``-``), narrows its gaps, then leaves out columns
    by ``drop`` rank."""
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    cells: list[list[Cell]] = [
        [cell if isinstance(cell, Listing) else printable(str(cell)) for cell in row]
        for row in rows
    ]
    natural = [
        max([len(c.header), *(display_width(_text(row[i], None)) for row in cells)])
        for i, c in enumerate(cols)
    ]
    keep, gap, cut = list(range(len(cols))), 2, False
    said = keep
    widths = [min(MAX_CELL, n) for n in natural] if width is None else natural
    if width is not None and sum(natural) + gap * (len(cols) - 1) > width:
        keep = [i for i in keep if cols[i].rest or any(_text(r[i], None) != "-" for r in cells)]
        said = list(keep)
        droppable = sorted((i for i in keep if cols[i].drop), key=lambda i: cols[i].drop)
        (widths, gap), cut = _fit(cols, natural, keep, droppable, width), True
    style = style or no_style()
    paint = severity_paint(style)
    spacer = " " * gap
    headers = [cols[i].header for i in keep]
    write(
        spacer.join(
            _pad(style.MIGRATE_HEADING(h), h, w) for h, w in zip(headers, widths, strict=True)
        ).rstrip()
    )
    for row in cells:
        parts = []
        for i, w in zip(keep, widths, strict=True):
            text = _text(row[i], w if cut else None)
            painted = paint[text](text) if cols[i].severity and text in paint else text
            parts.append(_pad(painted, text, w))
        write(spacer.join(parts).rstrip())
    return [cols[i].header for i in said if i not in keep]


def _fit(
    cols: Sequence[Column], natural: Sequence[int], keep: list[int], drops: list[int], width: int
) -> tuple[list[int], int]:
    """Return the widths and the gap that fit the columns in ``keep`` into ``width``, leaving
    columns out of ``keep`` as they must be, in ``drops``' order, then going under the
    columns' minimums (a very narrow terminal still gets the best that fits)."""
    while True:
        kept, widths = [cols[i] for i in keep], [natural[i] for i in keep]
        for gap in (2, 1):
            fitted = fit_widths(kept, widths, width, gap, force=not drops and gap == 1)
            if fitted is not None:
                return fitted, gap
        keep.remove(drops.pop(0))


def _text(cell: Cell, width: int | None) -> str:
    if isinstance(cell, Listing):
        return cell.fit(width)
    return cell if width is None else shorten(cell, width)


def _pad(painted: str, text: str, width: int) -> str:
    """Return ``painted`` (``text`` in colour codes) padded to ``width`` outside the codes."""
    return painted + " " * (width - display_width(text))
