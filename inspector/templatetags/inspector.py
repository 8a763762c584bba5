"""Template tags for the inspector's own pages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape as _escape  # Django's escape() without its lazy-text wrapper

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from django_tables2.rows import BoundRow

from ..core.diffs import DiffLine
from ..core.paths import to_url_part, visible
from ..web.assets import asset_url
from ..web.tables import PathRow

register = template.Library()


@register.simple_tag
def inspector_asset(name: str) -> str:
    """Return the URL of one of the inspector's own files ("" when its app is missing)."""
    return asset_url(name)


@register.filter
def name(text: object) -> SafeString:
    """Show a file name (or any text holding one) isolated from the text around it, with
    invisible, bidi and undecodable characters made visible (``‹U+202E›``, ``‹0xFF›``)."""
    return mark_safe(_name_html(text))  # noqa: S308


def _name_html(text: object) -> str:
    return f"<bdi>{_escape(visible('' if text is None else str(text)))}</bdi>"


# Where a long name may break: after a folder, extension or label separator, never mid-word.
_BREAK_AFTER = re.compile(r"([/.:])")


@register.filter
def breakable(text: object) -> SafeString:
    """Show a name as ``|name`` does, with line breaks allowed only after ``/``, ``.`` and
    ``:`` (``<wbr>``), so a narrow column breaks ``app:django.contrib.admin`` between its parts."""
    return mark_safe(_breakable_html(text))  # noqa: S308


def _breakable_html(text: object) -> str:
    escaped = _escape(visible("" if text is None else str(text)))
    # Escaping writes no "/", "." or ":", so every one left is the name's own.
    return "<bdi>" + _BREAK_AFTER.sub(r"\1<wbr>", escaped) + "</bdi>"


@register.filter
def size(value: int | None) -> str:
    """Show a byte count readable (``1.2 KB``), the exact count in its title; "?" if unknown."""
    if value is None:
        return "?"
    exact = ngettext("%(count)s byte", "%(count)s bytes", value) % {"count": f"{value:,}"}
    return format_html('<span title="{}">{}</span>', exact, filesizeformat(value))


@register.filter
def shown(text: object) -> str:
    """Show text with invisible, bidi and undecodable characters made visible (for
    attributes and titles, where an element cannot isolate it)."""
    return visible("" if text is None else str(text))


@register.filter
def path_param(path: str) -> str:
    """Return a path as a form field carries it (``core.paths.to_url_part``)."""
    return to_url_part(path)


@register.filter
def epoch_datetime(seconds: float | None) -> datetime | None:
    """Turn a ``time.time()`` value into an aware datetime for ``date`` and ``timesince``."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


@register.filter
def diff_line(line: DiffLine) -> SafeString:
    """Show one diff line: its numbers in the old and the new file (drawn by CSS, so copied
    text is the diff itself), its marker, and its changed words in ``<mark>``.

    Plain strings, every part escaped here: a diff has thousands of lines and words.
    """
    if line.parts:
        words = (
            f"<mark>{_escape(part.text)}</mark>" if part.changed else _escape(part.text)
            for part in line.parts
        )
        text = _escape(line.marker) + "".join(words)
    else:
        text = _escape(line.text)
    kind = _escape(str(line.kind))
    if line.old_number is None and line.new_number is None and not line.marker:
        return mark_safe(f'<span class="diff-{kind}">{text}\n</span>')  # noqa: S308
    old = "" if line.old_number is None else line.old_number
    new = "" if line.new_number is None else line.new_number
    return mark_safe(  # noqa: S308
        f'<span class="diff-{kind}"><span class="ln" aria-hidden="true" data-n="{old}"></span>'
        f'<span class="ln" aria-hidden="true" data-n="{new}"></span>{text}\n</span>'
    )


@register.simple_tag
def tag_text(tag: str) -> str:
    """Return ``{% tag %}`` as text, for a translated sentence that names a template tag (a
    ``{% blocktranslate %}`` holds no other tag): ``{% tag_text "static" as static_tag %}``."""
    return "{% " + tag + " %}"


@register.simple_tag
def path_rows(rows: Iterable[BoundRow]) -> SafeString:
    """Return the ``<tr>`` of every row of a page of the paths table, each cell labelled for
    the narrow layout's cards.

    Built in Python as the admin builds its change list (``admin_list.items_for_result``), and
    with plain strings: 50 to 500 rows through the template engine, or through ``format_html``
    per cell, cost several times the rest of the page. Every value is escaped here
    (``_escape``), names as the ``|breakable`` and ``|shown`` filters show them.
    """
    labels = (
        gettext("Severity"),
        gettext("Status"),
        gettext("Flags"),
        gettext("Winner"),
        gettext("Candidates"),
        gettext("Size"),
        gettext("Live"),
        gettext("Manifest"),
        gettext("Served"),
    )
    words = _RowWords(
        tuple(f'\n<td data-label="{_escape(label)}"' for label in labels),
        _escape(gettext("via symlink")),
        _escape(gettext("unchecked")),
        gettext("accepted: %(reason)s"),
    )
    return mark_safe("\n".join(_row(bound.record, words) for bound in rows))  # noqa: S308


@dataclass(frozen=True, slots=True)
class _RowWords:
    """The translated words of a page's rows, escaped once per page."""

    cells: tuple[str, ...]  # each cell's opening tag, up to its attributes
    via_symlink: str
    unchecked: str
    accepted: str


def _row(row: PathRow, words: _RowWords) -> str:
    record = row.record
    winner = record.winner
    cells = words.cells
    url = _escape(reverse("inspector:path", args=[record.path]))
    html = [
        '<tr class="accepted-row">' if row.accepted else "<tr>",
        f'\n<td><a href="{url}"><code>{_breakable_html(record.path)}</code></a>',
        *(f'<div class="error">{_name_html(error)}</div>' for error in record.errors),
    ]
    if row.accepted:
        reason = _escape(words.accepted % {"reason": row.accepted})
        html.append(f'<div class="accepted">{reason}</div>')
    html.append("</td>")
    html.append(f"{cells[0]}>{_badge('severity', row.severity, muted=bool(row.accepted))}</td>")
    html.append(f"{cells[1]}>{_badge('status', record.status)}</td>")
    flags = "".join(f'<span class="badge flag">{_escape(flag)}</span> ' for flag in record.flags)
    html.append(f"{cells[2]}>{flags}</td>")
    if winner is None:
        html.append(f"{cells[3]}>—</td>")
    else:
        symlink = f' <span class="note">{words.via_symlink}</span>' if winner.symlink else ""
        html.append(f"{cells[3]}><code>{_breakable_html(winner.source)}</code>{symlink}</td>")
    html.append(f'{cells[4]} class="num">{_escape(localize(len(record.candidates)))}</td>')
    shown_size = size(winner.size) if winner is not None and winner.size is not None else "—"
    html.append(f'{cells[5]} class="num">{shown_size}</td>')
    html.append(f"{cells[6]}>{_badge('live', row.live) if row.live else ''}</td>")
    title = shown(row.hashed_name) if row.hashed_name else ""
    html.append(
        f"{cells[7]}>{_badge('manifest', row.manifest, title) if row.manifest else ''}</td>"
    )
    served = (
        _badge("served", row.served)
        if row.served
        else f'<span class="note">{words.unchecked}</span>'
    )
    html.append(f"{cells[8]}>{served}</td></tr>")
    return "".join(html)


def _badge(kind: str, word: str, title: str = "", *, muted: bool = False) -> str:
    word, muted_class = _escape(word), " muted" if muted else ""
    title = f' title="{_escape(title)}"' if title else ""
    return f'<span class="badge {kind}-{word}{muted_class}"{title}>{word}</span>'
