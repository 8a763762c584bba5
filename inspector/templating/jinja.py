"""Static references in Jinja2 templates: ``static("name")`` calls and hardcoded URLs.

Jinja2 has no ``{% load %}``: a project exposes Django's ``static()`` in its environment, usually
under that name, so a call ``static("literal")`` counts as a ``static-tag`` and any other
argument as ``static-dynamic``. Comments (``{# #}``) are skipped. Syntax is not checked: Jinja2
may not even be installed where the inspector runs.
"""

from __future__ import annotations

import re

from ..core.paths import file_of_name
from ..core.references.model import Extracted, Found, LineIndex, StaticNames
from ..core.references.urls import find_static_urls
from ..core.status import ReferenceKind

_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_CALL = re.compile(r"""\bstatic\(\s*(?:"([^"\\\n]*)"|'([^'\\\n]*)'|([^)\n]*))\s*\)""")


def extract_jinja(text: str, names: StaticNames, name: str = "") -> Extracted:
    """Return the references of one Jinja2 template's ``text`` (``name`` is not needed)."""
    # Comments become blank runs of the same length: offsets and lines stay put.
    text = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    lines = LineIndex(text)
    found = []
    for match in _CALL.finditer(text):
        literal = match.group(1) if match.group(1) is not None else match.group(2)
        line = lines.of(match.start())
        if literal is None:
            found.append(Found(ReferenceKind.STATIC_DYNAMIC, line, match.group(3).strip(), None))
        else:
            path = file_of_name(literal, hashing=names.hashing) or None
            found.append(Found(ReferenceKind.STATIC_TAG, line, literal, path))
    for offset, url, path in find_static_urls(text, names):
        if path is not None:
            found.append(Found(ReferenceKind.HARDCODED_URL, lines.of(offset), url, path))
    return Extracted(tuple(sorted(found, key=lambda f: f.line)))
