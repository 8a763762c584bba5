"""One string per value for the names and md5s a check holds many times over.

A static path is named by its source's listing, by the manifest (as a key) and by the collected
storage's listing; a hashed name by the manifest and that listing; an md5 by a source, its
collected copy and its hashed copy. Interned, each is held once, not two or three times.

An interned string is freed like any other once nothing holds it (Python 3.11, and 3.13 on).
Python 3.12 keeps every interned string for the life of the process, which in a web process
that sees new names and md5s with every edit and deploy would only ever grow: there each copy
is kept as it came.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

_KEPT_FOR_EVER = sys.version_info[:2] == (3, 12)


def _as_given(text: str) -> str:
    return text


# Return the one string this process holds for a text (the text itself on 3.12). It is
# ``sys.intern`` itself elsewhere: a check calls it for every path, name and md5 it holds.
one_copy: Callable[[str], str] = _as_given if _KEPT_FOR_EVER else sys.intern
