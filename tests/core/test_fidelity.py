"""The inventory and the expected hashed names never disagree with Django: checked on generated
layouts (the demo's own check is in ``demo/tests/test_planted.py``).

Oracles are Django itself (``finders.find``), the bytes on disk, and what a real ``collectstatic``
writes. Nothing expected is taken from the inventory's own code.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.core import caches
from inspector.core.inventory import current_inventory
from inspector.core.layers import current_layers
from inspector.core.status import LiveStatus, ManifestStatus
from tests.support.fidelity import assert_agrees_with_django
from tests.support.layout import Layout, age, collect

FOLDERS = ["", "css/", "img/", ".hidden/", "a b/", "ü/"]
NAMES = ["x.css", "y.js", ".dot", "back~", "ü.txt", "q'\"<s>.css", "=f.csv", "new\nline.txt"]
CONTENTS = [b"", b"aa", b"bb", b"aaaa", b"abab", b"long" * 50]
PREFIXES = ["", "", "p", "lib/v1"]


files_strategy = st.lists(
    st.tuples(
        st.integers(0, 6),  # which source (apps 0-2, folders 3-5, 6 a workspace linked in)
        st.sampled_from(FOLDERS),
        st.sampled_from(NAMES),
        st.sampled_from(CONTENTS),
    ),
    max_size=25,
)


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, list[str], list[Path]]:
    layout = Layout(tmp_path_factory.mktemp("generated"))
    apps = [layout.app("gen") for _ in range(3)]
    folders = [layout.folder(f"dir{i}") for i in range(3)]
    workspace = layout.folder("workspace")
    return (
        layout,
        [name for name, _ in apps],
        [static for _, static in apps] + folders + [workspace],
    )


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    files=files_strategy,
    app_order=st.permutations([0, 1, 2]),
    dir_prefixes=st.lists(st.sampled_from(PREFIXES), min_size=3, max_size=3),
    dirs_used=st.integers(0, 3),
    # A folder linked in from outside (a pnpm/yarn workspace), and one folder listed twice.
    linked_into=st.sampled_from([None, 0, 3, 4]),
    doubled=st.sampled_from([None, "", "p", "lib/v1"]),
)
def test_generated_layouts_agree_with_django(
    pool: tuple[Layout, list[str], list[Path]],
    files: list[tuple[int, str, str, bytes]],
    app_order: list[int],
    dir_prefixes: list[str],
    dirs_used: int,
    linked_into: int | None,
    doubled: str | None,
) -> None:
    layout, app_names, roots = pool
    for root in roots:
        shutil.rmtree(root)
        root.mkdir()
    for source, folder, name, content in files:
        layout.write(roots[source], folder + name, content)
    if linked_into is not None:
        (roots[linked_into] / "ws").symlink_to(roots[6])
    dirs = [
        (prefix, str(roots[3 + i])) if prefix else str(roots[3 + i])
        for i, prefix in itertools.islice(enumerate(dir_prefixes), dirs_used)
    ]
    if doubled is not None and dirs_used:
        dirs.append((doubled, str(roots[3])) if doubled else str(roots[3]))
    with layout.settings(
        apps=[app_names[i] for i in app_order],
        dirs=dirs,
        finders=[
            "django.contrib.staticfiles.finders.FileSystemFinder",
            "django.contrib.staticfiles.finders.AppDirectoriesFinder",
        ],
    ):
        inventory = current_inventory()
        collected = collect(layout)
        assert_agrees_with_django(inventory, collected)


# --- references Django's manifest lookup misses ---------------------------------------------

# What follows a referenced name in CSS: a query or fragment keeps the lookup key from matching
# a manifest key, so post_process hashes the copy collectstatic has just written.
SUFFIXES = ["", "?v=1", "#frag", "?v=2#frag", "?#iefix", " "]
QUOTES = ["", '"', "'"]
# Between a sourceMappingURL and the end of its comment or line: Django's key keeps it.
BLANKS = ["", " ", "  \t"]
TARGETS = ["img/a.png", "img/b b.png", "fonts/f.woff", "css/lib.css"]
MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"

# Django 6.1 skips URLs inside comments and strings; 5.2 rewrites them (the targets exist).
WRAPPERS = ["{}", "/* {} */", 'p::after {{ content: "{}"; }}']
reference_strategy = st.tuples(
    st.sampled_from(TARGETS),
    st.sampled_from(SUFFIXES),
    st.sampled_from(QUOTES),
    st.sampled_from(WRAPPERS),
)


def referencing_files(
    references: list[tuple[str, str, str, str]],
    imports: list[str],
    css_blank: str,
    js_blank: str,
) -> dict[str, bytes]:
    """Return a project whose CSS and JS refer to the others in the drawn ways."""
    lines = [f'@import "lib.css{suffix}";' for suffix in imports]
    for target, suffix, quote, wrapper in references:
        if wrapper.startswith("p::") and quote == '"':
            quote = "'"  # inside a double-quoted string
        url = f"url({quote}../{target}{suffix}{quote})"
        lines.append(wrapper.format(f".r{len(lines)} {{ background: {url}; }}"))
    lines.append(f"/*# sourceMappingURL=main.css.map{css_blank}*/")
    return {
        "css/main.css": "\n".join(lines).encode() + b"\n",
        "css/main.css.map": b'{"version": 3, "file": "main.css"}\n',
        "css/lib.css": b"p { background: url(../img/a.png); }\n",
        "img/a.png": b"\x89PNG a",
        "img/b b.png": b"\x89PNG b",
        "fonts/f.woff": b"wOFF",
        "js/app.js": f"console.log(1);\n//# sourceMappingURL=app.js.map{js_blank}\n".encode(),
        "js/app.js.map": b'{"version": 3, "file": "app.js"}\n',
    }


@pytest.fixture(scope="module")
def reference_pool(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, str, Path]:
    layout = Layout(tmp_path_factory.mktemp("references"))
    app, static = layout.app("refs")
    return layout, app, static


def _manifest(layout: Layout) -> dict[str, str]:
    return dict(json.loads((layout.root / "collected" / "staticfiles.json").read_text())["paths"])


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    references=st.lists(reference_strategy, min_size=1, max_size=6),
    imports=st.lists(st.sampled_from(SUFFIXES[:3]), max_size=2),
    css_blank=st.sampled_from(BLANKS),
    js_blank=st.sampled_from(BLANKS),
    edited=st.sets(st.sampled_from([*TARGETS, "css/main.css.map", "js/app.js.map"]), max_size=2),
    storage=st.sampled_from([(MANIFEST, False), (WHITENOISE, False), (WHITENOISE, True)]),
)
def test_expected_hashed_names_are_what_collectstatic_writes(
    reference_pool: tuple[Layout, str, Path],
    references: list[tuple[str, str, str, str]],
    imports: list[str],
    css_blank: str,
    js_blank: str,
    edited: set[str],
    storage: tuple[str, bool],
) -> None:
    """After a clean collection nothing is found; after editing only referenced files, each
    path is expected under the name a real collectstatic then writes, and ``stale`` exactly
    where that name changes."""
    layout, app, static = reference_pool
    shutil.rmtree(static)
    static.mkdir()
    files = referencing_files(references, imports, css_blank, js_blank)
    for path, content in files.items():
        layout.write(static, path, content)
    backend, keep_only_hashed = storage
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": backend},
    }
    with layout.settings(
        apps=[app],
        STORAGES=storages,
        DEBUG=False,
        WHITENOISE_KEEP_ONLY_HASHED_FILES=keep_only_hashed,
    ):
        collect(layout)
        age(layout.root, static)
        before = _manifest(layout)
        caches.clear()
        layers = current_layers()
        for path in files:
            assert layers.manifest_status(path) == ManifestStatus.OK, path
            assert layers.live_status(path) == LiveStatus.CURRENT, path

        for path in edited:
            age(layout.write(static, path, files[path] + b"/* edited */\n"), seconds=30)
        caches.clear()
        layers = current_layers()
        expected = {path: layers.manifest.entry(path).expected_hashed_name for path in files}
        stale = {p for p in files if layers.manifest_status(p) == ManifestStatus.STALE}
        modified = {p for p in files if layers.live_status(p) == LiveStatus.MODIFIED}

        collect(layout)
        after = _manifest(layout)
        assert expected == {path: after[path] for path in files}
        assert stale == {path for path in files if after[path] != before[path]}
        assert modified == edited
