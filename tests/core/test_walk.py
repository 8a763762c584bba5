"""Listing a source folder: the same files as Django's ``utils.get_files`` with the same ignore
patterns, and the same folders and files as ``FileSystemStorage.listdir``, symlinks included."""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib.staticfiles import utils
from django.core.files.storage import FileSystemStorage
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.walk import RecordingStorage, files_of

Tree = dict[str, tuple[list[str], list[str]]]


class Replay:
    """A recorded tree, as a storage ``get_files`` can walk (it only calls ``listdir``)."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree

    def listdir(self, relative: str) -> tuple[list[str], list[str]]:
        return self.tree.get(relative, ([], []))


class Recorded:
    """What a listing answered, folder by folder."""

    def __init__(self, recorder: RecordingStorage) -> None:
        self.recorder = recorder
        self.tree: Tree = {}

    def listdir(self, relative: str) -> tuple[list[str], list[str]]:
        self.tree[relative] = self.recorder.listdir(relative)
        return self.tree[relative]


NAMES = st.sampled_from(
    ["a.css", "CVS", ".hidden", "b~", "x.js", "dir", "ü é.css", "[ab].txt", "a*b", "q?", "sub"]
)
PATTERNS = st.lists(
    st.sampled_from(
        ["CVS", ".*", "*~", "*.css", "dir/*", "sub", "sub/*.js", "[ab]*", "a[*]b", "q?", "*/x.js"]
    ),
    max_size=4,
)


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    tree: Tree = {}
    pending = [""]
    while pending and len(tree) < 12:
        location = pending.pop()
        folders = draw(st.lists(NAMES, max_size=3, unique=True))
        others = NAMES.filter(lambda n, taken=folders: n not in taken)  # type: ignore[misc]
        files = draw(st.lists(others, max_size=4, unique=True))
        tree[location] = (folders, files)
        pending.extend(os.path.join(location, f) if location else f for f in folders)
    return tree


@settings(max_examples=300, deadline=None)
@given(tree=trees(), patterns=PATTERNS)
def test_every_file_comes_in_djangos_order_and_the_patterns_leave_out_what_get_files_does(
    tree: Tree, patterns: list[str]
) -> None:
    replay = Replay(tree)
    every, left_out = files_of(replay.listdir, patterns)
    assert every == list(utils.get_files(replay, []))  # type: ignore[arg-type]
    kept = [path for path in every if path not in left_out]
    assert kept == list(utils.get_files(replay, patterns))  # type: ignore[arg-type]


def test_one_scandir_lists_as_django_and_finds_the_links_that_leave(tmp_path: Path) -> None:
    root = tmp_path / "static"
    (root / "css" / "deep").mkdir(parents=True)
    (root / "css" / "a b ‹é›.css").write_text("a{}")
    (root / "css" / "deep" / "x.css").write_text("x{}")
    outside = tmp_path / "package"
    (outside / "dist").mkdir(parents=True)
    (outside / "dist" / "lib.js").write_text("lib()")
    (root / "linked").symlink_to(outside / "dist")  # a folder outside: followed, recorded
    (root / "css" / "same.css").symlink_to(root / "css" / "a b ‹é›.css")  # inside: not recorded
    (root / "dangling.css").symlink_to(tmp_path / "gone.css")
    storage = FileSystemStorage(location=str(root))

    class OwnListdir(FileSystemStorage):
        """A storage with a listdir of its own: asked itself, as Django would ask it."""

        def listdir(self, path: str) -> tuple[list[str], list[str]]:
            return super().listdir(path)

    answers = []
    for used in (storage, OwnListdir(location=str(root))):
        recorder = RecordingStorage(used, str(root))
        seen = Recorded(recorder)
        listed, _ = files_of(seen.listdir, [])
        for location, (folders, files) in seen.tree.items():
            assert (sorted(folders), sorted(files)) == tuple(
                sorted(x) for x in storage.listdir(location)
            ), location
        answers.append((sorted(listed), recorder.links, recorder.errors))
    assert answers[0] == answers[1]
    listed, links, errors = answers[0]
    assert "linked/lib.js" in listed and "dangling.css" in listed
    assert links == {"linked": str(outside / "dist"), "dangling.css": str(tmp_path / "gone.css")}
    assert errors == []
