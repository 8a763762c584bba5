"""The re-check's walk: one digest that changes with any file's name, size, mtime or inode,
never with the order folders list in, and proves nothing about a file changed just now."""

from __future__ import annotations

import os
from pathlib import Path

from inspector.core.treewalk import fingerprint
from tests.support.layout import age


def tree(root: Path) -> Path:
    for relative, text in {
        "css/site.css": "body {}",
        "css/deep/x y ‹é›.css": "a {}",
        "js/app.js": "go()",
    }.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    age(root)
    return root


def test_an_unchanged_tree_gives_the_same_digest(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    first = fingerprint([str(root)])
    assert first is not None
    assert fingerprint([str(root)]) == first


def test_every_kind_of_change_gives_another_digest(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    seen = {fingerprint([str(root)])}

    def changed() -> str | None:
        age(root)
        digest = fingerprint([str(root)])
        assert digest not in seen
        seen.add(digest)
        return digest

    site = root / "css/site.css"
    site.write_text("body{}!")  # other size
    changed()
    site.write_text("body{}?")  # same size, other mtime
    os.utime(site, (1_000_000, 1_000_000))
    assert changed() is not None
    replaced = root / "css/site.css.new"  # same size and mtime, another inode
    replaced.write_text("body{}?")
    os.utime(replaced, (1_000_000, 1_000_000))
    os.replace(replaced, site)
    changed()
    (root / "js/app.js").rename(root / "js/app2.js")
    changed()
    (root / "js/empty").mkdir()
    changed()
    (root / "css/deep/x y ‹é›.css").unlink()
    changed()


def test_a_file_changed_just_now_proves_nothing(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    (root / "css/site.css").write_text("body { color: red }")
    assert fingerprint([str(root)]) is None


def test_missing_folders_and_symlink_loops_are_walked_through(tmp_path: Path) -> None:
    root = tree(tmp_path / "src")
    (root / "css/loop").symlink_to(root)
    age(root)
    missing = str(tmp_path / "not-there")
    digest = fingerprint([str(root), missing])
    assert digest is not None
    assert digest == fingerprint([str(root), missing])
    assert digest != fingerprint([str(root)]), "a folder that appears would count"


def test_a_link_to_a_folder_follows_it(tmp_path: Path) -> None:
    shared = tree(tmp_path / "shared")
    root = tmp_path / "src"
    root.mkdir()
    (root / "lib").symlink_to(shared)
    age(root)
    before = fingerprint([str(root)])
    (shared / "js/app.js").write_text("went()")
    age(shared)
    assert fingerprint([str(root)]) != before, "a change behind the link counts"
