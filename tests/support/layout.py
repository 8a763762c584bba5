"""Build static-file layouts on disk: importable apps with ``static/`` folders, plain folders."""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import override_settings

from inspector.core.inventory import clear_inventory_cache

BASE_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "inspector",
]
_counter = itertools.count()


class Layout:
    """A scratch project: ``app()`` makes an importable app, ``folder()`` a plain folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.packages = root / "pkgs"
        self.packages.mkdir(parents=True, exist_ok=True)
        if str(self.packages) not in sys.path:
            sys.path.insert(0, str(self.packages))

    def app(self, hint: str = "app") -> tuple[str, Path]:
        """Create a new app package; return its dotted name and its ``static/`` folder."""
        name = f"{hint}_{os.getpid()}_{next(_counter)}"
        package = self.packages / name
        (package / "static").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        return name, package / "static"

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @staticmethod
    def write(base: Path, relative: str, content: bytes | str) -> Path:
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    @contextmanager
    def settings(
        self,
        apps: Sequence[str] = (),
        dirs: Sequence[Any] = (),
        finders: Sequence[str] | None = None,
        **extra: Any,
    ) -> Iterator[None]:
        """Activate this layout: the given apps after the base ones, the given STATICFILES_DIRS."""
        with override_settings(
            INSTALLED_APPS=[*BASE_APPS, *apps],
            STATICFILES_DIRS=list(dirs),
            STATICFILES_FINDERS=list(
                finders
                or [
                    "django.contrib.staticfiles.finders.FileSystemFinder",
                    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
                ]
            ),
            STATIC_ROOT=str(self.root / "collected"),
            **extra,
        ):
            clear_inventory_cache()
            yield
        clear_inventory_cache()


def age(*paths: Path, seconds: float = 60.0) -> None:
    """Backdate files and folders (recursively) so their stamps are trusted, not "racy"."""
    then = time.time() - seconds
    for path in paths:
        for root, dirs, files in os.walk(path):
            for name in [*dirs, *files]:
                os.utime(os.path.join(root, name), (then, then), follow_symlinks=False)
        os.utime(path, (then, then))


def collect(layout: Layout) -> dict[str, bytes]:
    """Run the real ``collectstatic`` into the layout's STATIC_ROOT; return what it wrote."""
    import shutil

    from django.core.management import call_command

    target = layout.root / "collected"
    shutil.rmtree(target, ignore_errors=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    return {str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()}


@contextmanager
def collected_app(
    layout: Layout, hint: str, files: Mapping[str, bytes | str], backend: str
) -> Iterator[Path]:
    """Activate one app holding ``files``, collected once into the layout's STATIC_ROOT with the
    staticfiles storage ``backend`` (DEBUG off, as in production); yield its ``static/``."""
    app, static = layout.app(hint)
    for path, content in files.items():
        layout.write(static, path, content)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": backend},
    }
    with layout.settings(apps=[app], STORAGES=storages, DEBUG=False):
        collect(layout)
        age(layout.root)
        yield static


def files_cache(layout: Layout) -> dict[str, Any]:
    """``CACHES`` with a cache other processes share, as alias ``files`` (a locmem cache is this
    process's alone, and the inspector skips it: the process keeps the same in memory)."""
    return {
        **settings.CACHES,
        "files": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(layout.root / "cache"),
        },
    }
