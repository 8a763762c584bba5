"""``pip install .`` must give a working app: templates, static files and migrations included."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_carries_templates_static_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=REPO,
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "inspector/templates/inspector/base.html",
        "inspector/templates/inspector/overview.html",
        "inspector/static/inspector/inspector.css",
        "inspector/migrations/0001_initial.py",
        "inspector/management/commands/inspect_assets.py",
        "inspector/py.typed",
    ):
        assert required in names, required
    assert not any(n.startswith(("demo/", "config/", "tests/")) for n in names)
