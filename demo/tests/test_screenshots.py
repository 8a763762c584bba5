"""``make screenshots`` (``demo/screenshots.py``): every file it takes is in ``docs/`` and shown
by the README, and every screenshot the README shows exists."""

from __future__ import annotations

import re
from pathlib import Path

from demo.screenshots import DOCS, SHOTS, VARIANTS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_screenshot_it_takes_is_in_docs_and_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    for shot in SHOTS:
        for variant in VARIANTS:
            name = f"{shot.name}{variant.suffix}.png"
            assert (DOCS / name).is_file(), name
            assert f"docs/{name}" in readme, name


def test_every_image_the_readme_shows_exists() -> None:
    readme = README.read_text(encoding="utf-8")
    shown = set(re.findall(r"\]\((docs/[^)]+\.png)\)", readme))
    shown |= set(re.findall(r'<img src="(docs/[^"]+\.png)"', readme))
    assert shown
    missing = sorted(name for name in shown if not (README.parent / name).is_file())
    assert missing == []
