"""The inspector's own static files (stylesheet, script, icon): found, collected and inspected
with every site's, so counts of a site's paths include them."""

from __future__ import annotations

from pathlib import Path

import inspector

OWN_STATIC = sorted(
    path for path in (Path(inspector.__file__).parent / "static").rglob("*") if path.is_file()
)
OWN_COUNT = len(OWN_STATIC)
