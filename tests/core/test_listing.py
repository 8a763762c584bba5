"""The collected folder's listing: symlinks that lead outside it and every source are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from inspector.core.layers import current_layers
from inspector.core.status import LiveStatus
from tests.support.layout import Layout, age

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture
def collected(layout: Layout) -> tuple[str, Path, Path]:
    app, static = layout.app("links")
    layout.write(static, "css/site.css", "body { margin: 0 }\n")
    return app, static, layout.root / "collected"


def test_symlinks_out_of_static_root_and_the_sources_are_reported_and_never_read(
    layout: Layout, collected: tuple[str, Path, Path]
) -> None:
    app, static, root = collected
    outside = layout.folder("outside")
    layout.write(outside, "passwd", "root:x:0:0:secret\n")
    layout.write(outside, "ssh/id_rsa", "PRIVATE KEY\n")
    with layout.settings(apps=[app], STORAGES=STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
        (root / "passwd.txt").symlink_to(outside / "passwd")
        (root / "keys").symlink_to(outside / "ssh")
        age(layout.root)
        live = current_layers().live
        assert live is not None
        assert live.orphans == (), "nothing behind the links is listed"
        assert live.status_of("css/site.css") == LiveStatus.CURRENT
        said = "\n".join(live.problems)
        assert "'passwd.txt' is a symlink to" in said and "'keys' is a symlink to" in said
        assert all("passwd" not in name for name in (live.snapshot.files if live.snapshot else ()))


def test_collectstatic_link_symlinks_to_the_sources_are_fine(
    layout: Layout, collected: tuple[str, Path, Path]
) -> None:
    app, static, root = collected
    with layout.settings(apps=[app], STORAGES=STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0, link=True)
        assert os.path.islink(root / "css" / "site.css")
        age(layout.root)
        live = current_layers().live
        assert live is not None and live.problems == ()
        assert live.status_of("css/site.css") == LiveStatus.CURRENT
