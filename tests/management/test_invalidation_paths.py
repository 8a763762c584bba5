"""``inspect_assets --invalidation-paths``: what a CDN must drop once the differences are collected.

Each storage is collected for real, then sources are edited and added as between two deploys;
the list the command prints is held against what the next real ``collectstatic`` rewrites under
an unhashed name: exactly those names, never a hashed one, the manifest where the storage keeps
one, and whitenoise's compressed variants of the changed files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.test import override_settings

from inspector.core import caches
from tests.support.layout import Layout, age, collected_app
from tests.support.workers import BASE_DIR, current_settings

PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
DJANGO = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
WHITENOISE_PLAIN = "whitenoise.storage.CompressedStaticFilesStorage"

# Long and repetitive enough for whitenoise to keep a compressed variant (it must save 5%).
SCRIPT = "".join(f"export const value{i} = {i} * 2; // a line of the script\n" for i in range(80))
FILES: dict[str, str | bytes] = {
    "js/app.js": SCRIPT,
    "js/same.js": SCRIPT.replace("value", "other"),
    "css/site.css": 'body { background: url("../img/dot.png"); }\n' * 40,
    "img/dot.png": b"\x89PNG not really",
    "a dir/with space.js": SCRIPT.replace("value", "spaced"),
}
EDITED = {"js/app.js": SCRIPT.replace("* 2", "* 3"), "a dir/with space.js": "// edited\n" * 200}
ADDED = {"js/new.js": SCRIPT.replace("value", "fresh")}
HASHED = re.compile(r"\.[0-9a-f]{12}\.")


def invalidation_paths(*args: str) -> list[str]:
    out = StringIO()
    call_command("inspect_assets", "--invalidation-paths", "--format", "json", *args, stdout=out)
    paths = json.loads(out.getvalue())
    assert isinstance(paths, list) and all(isinstance(p, str) for p in paths)
    return paths


def stored(root: Path) -> dict[str, bytes]:
    files = (p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def edit(layout: Layout, static: Path) -> None:
    """Edit and add sources after the deploy (newer than the collected copies)."""
    for path, content in {**EDITED, **ADDED}.items():
        layout.write(static, path, content)
    age(static, seconds=30)
    caches.clear()


def url(name: str, prefix: str = "/static/") -> str:
    return prefix + quote(name, safe="/~!*()'")


@pytest.mark.parametrize("backend", [PLAIN, DJANGO, WHITENOISE, WHITENOISE_PLAIN])
def test_the_list_is_what_the_next_collection_rewrites_under_unhashed_names(
    layout: Layout, backend: str
) -> None:
    with collected_app(layout, "cdn", FILES, backend) as static:
        root = layout.root / "collected"
        assert invalidation_paths() == []  # a fresh deploy: nothing to drop
        edit(layout, static)
        paths = invalidation_paths()
        before = stored(root)
        call_command("collectstatic", interactive=False, verbosity=0)
        after = stored(root)
    rewritten = {name for name, data in after.items() if before.get(name) != data}
    unhashed = {name for name in rewritten if not HASHED.search(name)}
    assert bool(rewritten - unhashed) == ("Manifest" in backend)  # new hashed copies
    assert sorted(paths) == paths
    assert set(paths) == {url(name) for name in unhashed}
    assert not any(HASHED.search(path) for path in paths)
    assert "/static/a%20dir/with%20space.js" in paths and "/static/js/new.js" in paths
    assert ("/static/staticfiles.json" in paths) == ("Manifest" in backend)
    variants = {path for path in paths if path.endswith((".gz", ".br"))}
    if "whitenoise" in backend:
        assert "/static/js/app.js.gz" in variants and "/static/js/new.js.gz" in variants
    else:
        assert not variants


def test_the_list_follows_the_path_filter_and_the_text_format(layout: Layout) -> None:
    with collected_app(layout, "cdn", FILES, DJANGO) as static:
        edit(layout, static)
        assert invalidation_paths("--path", "js/*") == [
            "/static/js/app.js",
            "/static/js/new.js",
            "/static/staticfiles.json",
        ]
        out = StringIO()
        call_command("inspect_assets", "--invalidation-paths", "--path", "js/app*", stdout=out)
    assert out.getvalue() == "/static/js/app.js\n/static/staticfiles.json\n"


def test_an_absolute_static_url_gives_its_path(layout: Layout) -> None:
    with (
        collected_app(layout, "cdn", FILES, DJANGO) as static,
        override_settings(STATIC_URL="https://cdn.example.com/assets/v1/"),
    ):
        edit(layout, static)
        paths = invalidation_paths()
    assert paths[0] == "/assets/v1/a%20dir/with%20space.js"
    assert all(path.startswith("/assets/v1/") for path in paths)


def test_the_cli_refuses_what_cannot_work(layout: Layout) -> None:
    from django.core.management.base import CommandError

    with collected_app(layout, "cdn", FILES, DJANGO):
        with pytest.raises(CommandError, match="drop --no-live") as raised:
            invalidation_paths("--no-live")
        assert raised.value.returncode == 2


# --- FORCE_SCRIPT_NAME: Django puts it before a relative STATIC_URL when it starts up -------------


def run_command(overrides: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py inspect_assets`` in a process of its own, as a deploy script does, with
    the test's settings and ``overrides``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "INSPECTOR_TEST_SETTINGS": json.dumps({**current_settings(), **overrides}),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    command = [sys.executable, str(BASE_DIR / "manage.py"), "inspect_assets", *args]
    return subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True)


@pytest.mark.parametrize(
    ("static_url", "prefix"),
    [("static/", "/shop/static/"), ("/static/", "/static/")],
    ids=["relative: prefixed", "absolute path: as it is"],
)
def test_force_script_name_applies_where_django_applies_it(
    layout: Layout, static_url: str, prefix: str
) -> None:
    with collected_app(layout, "cdn", FILES, DJANGO) as static:
        edit(layout, static)
        overrides = {"FORCE_SCRIPT_NAME": "/shop", "STATIC_URL": static_url}
        done = run_command(overrides, "--invalidation-paths", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        url("a dir/with space.js", prefix),
        url("js/app.js", prefix),
        url("js/new.js", prefix),
        url("staticfiles.json", prefix),
    ]
