"""A small project whose collection a real worker can be watched doing, shared by the worker tests
and the browser test of the collection pages (``runner``, who may start it, is in conftest).

One app with ``FILE_COUNT`` scripts, a stylesheet that references an image (so post-processing
rewrites something), collected once into a ``SlowManifestStorage``; every later write pays
``SAVE_DELAY`` so a run lasts long enough to be watched, and killed, half-way. ``drift`` edits
sources after that deploy, as a developer would, so the live diff has something to collect.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from inspector.collection.worker import forget_collected
from inspector.core.layers import current_layers
from tests.support.layout import Layout, age, collect
from tests.support.workers import TASK_APPS, WORKER_BACKEND

FILE_COUNT = 120
SAVE_DELAY = 0.02


@dataclass
class Collected:
    """A layout's sources (one app's ``static/``) and its collected folder."""

    layout: Layout
    static: Path

    @property
    def root(self) -> Path:
        return self.layout.root / "collected"

    def collected(self) -> dict[str, bytes]:
        files = (p for p in self.root.rglob("*") if p.is_file())
        return {str(p.relative_to(self.root)): p.read_bytes() for p in files}

    def live(self) -> dict[str, str | None]:
        """Return every path's live status, checked now."""
        layers = current_layers()
        assert layers.live is not None
        return {r.path: layers.live_status(r.path) for r in layers.records}


@dataclass
class Project(Collected):
    """The watched project, with the log file its worker writes."""

    log: Path


@contextmanager
def collected_project(layout: Layout, log: Path, apps: Sequence[str] = ()) -> Iterator[Project]:
    """Activate the project's settings, collected once; ``apps`` are installed after its own
    (a browser needs ``js_lib_htmx``, which the dashboard loads htmx from)."""
    app, static = layout.app("worker")
    for i in range(FILE_COUNT):
        layout.write(static, f"js/module{i:03}.js", f"console.log({i});\n")
    layout.write(static, "css/site.css", 'body { background: url("../img/dot.svg"); }\n')
    layout.write(static, "img/dot.svg", "<svg/>\n")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "tests.support.storages.SlowManifestStorage"},
    }
    config = {
        "CACHE": "inspector",
        "RECHECK_SECONDS": 0,
        "TASK_BACKEND": WORKER_BACKEND,
        "HEARTBEAT_SECONDS": 0.2,
        "HEARTBEAT_TIMEOUT": 2.0,
    }
    with layout.settings(
        apps=[app, *apps, *TASK_APPS], STORAGES=storages, ASSET_INSPECTOR=config, DEBUG=False
    ):
        collect(layout)
        age(layout.root)
        # Every run from here on pays the delay: the first collection above did not need to.
        storages["staticfiles"]["OPTIONS"] = {"delay": SAVE_DELAY}
        forget_collected()
        yield Project(layout, static, log)


@pytest.fixture
def project(layout: Layout, tmp_path: Path) -> Iterator[Project]:
    with collected_project(layout, tmp_path / "worker.log") as collected:
        yield collected


def drift(project: Project, count: int) -> set[str]:
    """Edit ``count`` sources after the deploy; return their paths."""
    edited = {f"js/module{i:03}.js" for i in range(count)}
    for path in edited:
        project.layout.write(project.static, path, f"console.log('{path} v2');\n")
    age(project.static, seconds=30)
    forget_collected()
    return edited
