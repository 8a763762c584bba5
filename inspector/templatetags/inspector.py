"""Template tags for the inspector's own pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext

from ..core.diffs import DiffLine
from ..core.paths import to_url_part, visible
from ..web.assets import asset_url

register = template.Library()


@register.simple_tag
def inspector_asset(name: str) -> str:
    """Return the URL of one of the inspector's own files ("" when its app is missing)."""
    return asset_url(name)


@register.filter
def name(text: object) -> str:
    """Show a file name (or any text holding one) isolated from the text around it, with
    invisible, bidi and undecodable characters made visible (``‹U+202E›``, ``‹0xFF›``)."""
    return format_html("<bdi>{}</bdi>", visible("" if text is None else str(text)))


# Where a long name may break: after a folder, extension or label separator, never mid-word.
_BREAK_AFTER = re.compile(r"([/.:])")


@register.filter
def breakable(text: object) -> SafeString:
    """Show a name as ``|name`` does, with line breaks allowed only after ``/``, ``.`` and
    ``:`` (``<wbr>``), so a narrow column breaks ``app:django.contrib.admin`` between its parts."""
    escaped = escape(visible("" if text is None else str(text)))
    # Escaping writes no "/", "." or ":", so every one left is the name's own.
    return format_html("<bdi>{}</bdi>", mark_safe(_BREAK_AFTER.sub(r"\1<wbr>", escaped)))


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
def diff_line(line: DiffLine) -> str:
    """Show one diff line: its numbers in the old and the new file (drawn by CSS, so copied
    text is the diff itself), its marker, and its changed words in ``<mark>``."""
    if line.parts:
        content = format_html_join(
            "",
            "{}",
            (
                (format_html("<mark>{}</mark>", p.text) if p.changed else p.text,)
                for p in line.parts
            ),
        )
        text: str = format_html("{}{}", line.marker, content)
    else:
        text = line.text
    if line.old_number is None and line.new_number is None and not line.marker:
        return format_html('<span class="diff-{}">{}\n</span>', line.kind, text)
    return format_html(
        '<span class="diff-{}"><span class="ln" aria-hidden="true" data-n="{}"></span>'
        '<span class="ln" aria-hidden="true" data-n="{}"></span>{}\n</span>',
        line.kind,
        "" if line.old_number is None else line.old_number,
        "" if line.new_number is None else line.new_number,
        text,
    )


@register.simple_tag
def tag_text(tag: str) -> str:
    """Return ``{% tag %}`` as text, for a translated sentence that names a template tag (a
    ``{% blocktranslate %}`` holds no other tag): ``{% tag_text "static" as static_tag %}``."""
    return "{% " + tag + " %}"
