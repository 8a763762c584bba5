"""Two real releases of one project, collected with the release-specific manifest pattern.

``ReleaseManifestStorage`` (``tests/storages.py``) keeps each release's manifest in
``STATIC_ROOT/<release_id>/``; the release id is a ``release_id`` option (``"option"``) or the
git hash of a checkout (``"git"``: the strategy-function form). The first release is collected,
sources are edited as a team would between two deploys, and the second release is collected over
the first one (no ``--clear``), so the storage holds both releases' hashed files.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import override_settings

from inspector.core import caches

from .layout import Layout, age

RELEASE_STORAGE = "tests.support.storages.ReleaseManifestStorage"

# The first release's sources.
FIRST: dict[str, str] = {
    "css/site.css": 'body { background: url("../img/logo.svg"); }\n',
    "img/logo.svg": "<svg>first</svg>\n",
    "js/app.js": "console.log('first');\n",
    "js/same.js": "console.log('unchanged');\n",
    "js/old.js": "console.log('dropped in the second release');\n",
}
# What the team changes before the second release.
EDITED = {"js/app.js": "console.log('second');\n", "img/logo.svg": "<svg>second</svg>\n"}
ADDED = {"js/new.js": "console.log('new in the second release');\n"}
REMOVED = ("js/old.js",)
# site.css references the logo: its hashed name changes with the logo's.
CHANGED = {*EDITED, "css/site.css"}


@dataclass
class Releases:
    """A project collected twice: ``first`` then ``second`` (the configured one)."""

    layout: Layout
    static: Path
    storages: dict[str, Any]
    first: str
    second: str
    checkout: Path | None = None
    ids: list[str] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.layout.root / "collected"

    def manifest_of(self, release: str) -> Path:
        return self.root / release / "staticfiles.json"


def git(checkout: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def collect_release(storages: dict[str, Any], **extra: Any) -> None:
    """Run the real collectstatic with ``storages``; re-applying the setting gives Django's
    shared staticfiles storage a fresh instance, with the release id it computes now."""
    with override_settings(STORAGES=storages, **extra):
        call_command("collectstatic", interactive=False, verbosity=0)
    caches.clear()


@contextmanager
def two_releases(
    layout: Layout,
    form: str,
    backend: str = RELEASE_STORAGE,
    options: dict[str, Any] | None = None,
) -> Iterator[Releases]:
    """Collect two releases; ``form`` is ``"option"`` (``release_id``) or ``"git"``.

    ``options`` are the storage's other options (an S3 bucket's, say); with them the collected
    files are remote, so edits are dated a little ahead instead of the collection being aged.
    """
    app, static = layout.app("releases")
    for path, content in FIRST.items():
        layout.write(static, path, content)
    age(layout.root)
    checkout = None
    if form == "git":
        checkout = layout.folder("checkout")
        git(checkout, "init", "-q")
        (checkout / "VERSION").write_text("1\n")
        git(checkout, "add", "VERSION")
        commit(checkout, "first release")
        release: dict[str, Any] = {"release_strategy": "tests.support.storages.git_revision"}
    else:
        release = {"release_id": "2026.11.30"}
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": backend, "OPTIONS": {**(options or {}), **release}},
    }
    remote = options is not None
    extra = {"RELEASE_CHECKOUT": str(checkout)} if checkout else {}
    with layout.settings(apps=[app], STORAGES=storages, DEBUG=False, **extra):
        collect_release(storages)
        first = release.get("release_id") or revision(checkout)
        if not remote:
            age(layout.root)  # the deploy is a minute old: the edits below are newer
        for path, content in {**EDITED, **ADDED}.items():
            edited = layout.write(static, path, content)
            if remote:  # an object's LastModified cannot be backdated: the edit is dated ahead
                ahead = time.time() + 5
                os.utime(edited, (ahead, ahead))
        for path in REMOVED:
            (static / path).unlink()
        if checkout is not None:
            (checkout / "VERSION").write_text("2\n")
            commit(checkout, "second release")
            second = revision(checkout)
        else:
            second = "2026.12.03"
            storages["staticfiles"]["OPTIONS"] = {**(options or {}), "release_id": second}
        collect_release(storages)
        if not remote:
            age(layout.root)
            age(layout.root / "collected" / str(first), seconds=120)  # the first deploy's
        with override_settings(STORAGES=storages):
            yield Releases(layout, static, storages, str(first), second, checkout)


def revision(checkout: Path | None) -> str:
    assert checkout is not None
    return git(checkout, "rev-parse", "--short=12", "HEAD")


def commit(checkout: Path, message: str) -> None:
    git(
        checkout,
        "-c",
        "user.name=release",
        "-c",
        "user.email=release@example.com",
        "commit",
        "-qa",
        "-m",
        message,
    )
