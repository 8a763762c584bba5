"""The command line walks a large project's collected folder, and hashes its files, while
Django loads: the same answer, row for row, as a run that walks it after the sources."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

SETTINGS = """
from tests.settings import *
STATIC_ROOT = {root!r} + "/collected"
STATICFILES_DIRS = [{root!r} + "/main", ("vendor", {root!r} + "/vendor")]
STORAGES = {{
    "default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}},
    "staticfiles": {{"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}},
}}
DEBUG = False
ASSET_INSPECTOR = {{"CACHE": "default", "HASH_PROCESSES": 2}}
"""

# The command line, with this tree counted large (``LARGE``) or not, and a few files a batch;
# says on stderr what the check took of the walk started while Django loaded.
RUN = """
import atexit, sys
from inspector.core import pool
from inspector.core.storage import loading
pool.PROCESS_MIN_FILES, pool.BATCH_FILES = 1, 4
loading.MIN_MANIFEST_BYTES = 1 if LARGE else 1 << 40
taken = []
original = loading.WalkWhileLoading.take
def take(self):
    walked = original(self)
    taken.append(len(walked.files) if walked is not None else None)
    return walked
loading.WalkWhileLoading.take = take
def said():
    print("taken while loading:", taken, file=sys.stderr)
    print("left untaken:", loading._walking is not None, file=sys.stderr, flush=True)
atexit.register(said)
sys.argv = ["manage.py", "inspect_assets", *ARGS]
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""

JSON = ["--format", "json"]

FILES = {
    "main/css/site.css": 'body { background: url("../img/a b.png") }\n@import "more.css";\n',
    "main/css/more.css": "p { color: red }\n",
    "main/img/a b.png": "\x89PNG a",
    "main/js/ünï <script>.js": "console.log('x');\n",
    "vendor/lib.js": "var lib = 1;\n",
    "vendor/lib.css": "a { background: url(lib.png) }\n",
    "vendor/lib.png": "\x89PNG lib",
    **{f"main/many/f{n:03}.txt": f"file {n}\n" * (n + 1) for n in range(40)},
}


def django(root: Path, *args: str, script: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", script] if script else [sys.executable, "-m", "django"]
    return subprocess.run(
        [*command, *args],
        cwd=BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "while_loading_settings",
            "PYTHONPATH": f"{root}:{BASE_DIR}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, content in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    (tmp_path / "while_loading_settings.py").write_text(SETTINGS.format(root=str(tmp_path)))
    done = django(tmp_path, "collectstatic", "--noinput", "-v", "0")
    assert done.returncode == 0, done.stderr
    (tmp_path / "collected" / "css" / "more.css").write_text("p { color: blue }\n")  # stale
    return tmp_path


def test_the_walk_started_while_loading_gives_the_same_answer(project: Path) -> None:
    early = django(project, script=f"LARGE = True\nARGS = {JSON}\n" + RUN)
    assert early.returncode == 0, early.stderr
    collected = len(list((project / "collected").rglob("*.*")))
    assert f"taken while loading: [{collected}]\nleft untaken: False" in early.stderr
    late = django(project, script=f"LARGE = False\nARGS = {JSON}\n" + RUN)
    assert late.returncode == 0, late.stderr
    assert "taken while loading: []" in late.stderr
    rows = json.loads(early.stdout)
    assert rows == json.loads(late.stdout)
    by_path = {row["path"]: row for row in rows}
    assert by_path["css/more.css"]["live_status"] == "modified"
    assert by_path["vendor/lib.js"]["live_status"] == "current"


def test_a_run_that_only_prints_its_help_ends_without_the_walk(project: Path) -> None:
    done = django(project, script="LARGE = True\nARGS = ['--help']\n" + RUN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
    assert "taken while loading: []\nleft untaken: False" in done.stderr, "nothing walked"
