"""The inventory never disagrees with Django: checked on generated layouts (the demo's own check
is in ``demo/tests/test_planted.py``).

Oracles are Django itself (``finders.find``), the bytes on disk, and what a real ``collectstatic``
writes. Nothing expected is taken from the inventory's own code.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.core.inventory import current_inventory
from tests.support.fidelity import assert_agrees_with_django
from tests.support.layout import Layout, collect

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
