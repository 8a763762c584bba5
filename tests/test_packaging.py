"""``pip install .`` must give a working app: templates, static files and migrations included."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
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
        "inspector/static/inspector/inspector.js",
        "inspector/static/inspector/favicon.svg",
        "inspector/migrations/0001_initial.py",
        "inspector/management/commands/inspect_assets.py",
        "inspector/py.typed",
    ):
        assert required in names, required
    assert not any(n.startswith(("demo/", "config/", "tests/")) for n in names)


def test_metadata_is_publish_ready(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=REPO,
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    (metadata,) = (n for n in names if n.endswith(".dist-info/METADATA"))
    text = archive.read(metadata).decode()
    for classifier in (
        "Framework :: Django :: 5.2",
        "Framework :: Django :: 6.0",
        "Framework :: Django :: 6.1",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.13",
    ):
        assert f"Classifier: {classifier}\n" in text, classifier
    assert "Project-URL: Homepage," in text and "Keywords:" in text
    # The index page's long description has no link relative to the repository.
    description = text.split("\n\n", 1)[1]
    assert "](docs/" not in description and "](./" not in description


def test_the_tests_run_from_the_sdist(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), "."],
        cwd=REPO,
        check=True,
        timeout=300,
        capture_output=True,
    )
    (sdist,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (root,) = (tmp_path / "unpacked").iterdir()
    for required in (
        "LICENSE",
        "tests/conftest.py",
        "tests/settings.py",
        "tests/project/urls.py",
        "tests/support/layout.py",
        "tests/browser/conftest.py",
        "inspector/core/layers.py",
    ):
        assert (root / required).is_file(), required
    assert not (root / "demo").exists() and not (root / "config").exists()
    # A fast part of the suite, from the unpacked sources: the tests find everything they need.
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov",
         "tests/core/test_severity.py", "tests/test_shape.py"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout
