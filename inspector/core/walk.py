"""Walking one source folder the way Django's ``utils.get_files`` does, recording what it saw:
the tree (replayed to apply ignore patterns without I/O), each folder's mtime, symlink loops, and
the symlinks that lead out of the folder (followed, as Django follows them).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable

from django.core.files.storage import FileSystemStorage, Storage


def linked_target(relative: str, links: dict[str, str]) -> str | None:
    """Return where ``relative`` really is if a recorded link is on its way (the innermost)."""
    head, rest = relative, ""
    while head:
        target = links.get(head)
        if target is not None:
            return os.path.join(target, rest) if rest else target
        head, name = os.path.split(head)
        rest = os.path.join(name, rest) if rest else name
    return None


def every_file(recorder: RecordingStorage) -> list[str]:
    """Return what ``get_files(storage, [])`` yields, in its order (a folder's files, then each
    subfolder in turn), without its generator per folder level for every file."""
    every: list[str] = []
    stack = [""]
    while stack:
        location = stack.pop()
        directories, files = recorder.listdir(location)
        if location:
            every.extend(os.path.join(location, name) for name in files)
            stack.extend(os.path.join(location, d) for d in reversed(directories))
        else:
            every.extend(files)
            stack.extend(reversed(directories))
    return every


def not_ignored(tree: dict[str, tuple[list[str], list[str]]], patterns: list[str]) -> set[str]:
    """Return what ``utils.get_files`` yields over a recorded ``tree`` with ignore ``patterns``:
    a file whose name, or (below the top) whose relative path, matches one is left out, and so
    is a folder whose name matches one. As Django matches them (``fnmatchcase``), with the
    patterns compiled into one expression instead of one call per pattern and name."""
    ignored = _matching_any(patterns)
    found: set[str] = set()
    stack = [""]
    while stack:
        location = stack.pop()
        directories, files = tree.get(location, ([], []))
        for name in files:
            if ignored(name):
                continue
            if location:
                name = os.path.join(location, name)
                if ignored(name):
                    continue
            found.add(name)
        stack.extend(
            os.path.join(location, d) if location else d for d in directories if not ignored(d)
        )
    return found


def _matching_any(patterns: list[str]) -> Callable[[str], bool]:
    if not patterns:
        return lambda name: False
    match = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)).match
    return lambda name: match(name) is not None


class RecordingStorage:
    """Lists a folder storage's folders as its ``listdir`` does, records what it saw (the tree
    the ignore patterns are applied to, and what change detection compares) and turns a failing
    folder into a reported error instead of an aborted walk."""

    def __init__(self, storage: Storage, root: str) -> None:
        self._storage = storage
        self._root = root
        self.tree: dict[str, tuple[list[str], list[str]]] = {}
        self.mtimes: dict[str, int] = {}
        self.errors: list[str] = []
        self.links: dict[str, str] = {}
        # (device, inode) of each listed folder: a folder that is its own ancestor is a loop.
        self._identity: dict[str, tuple[int, int]] = {}
        self._real_root: str | None = None
        # The stock listdir is one scandir: done here, it also finds the symlinks (one scandir
        # of the folder, not two). A storage with its own listdir is asked itself.
        self._stock = getattr(type(storage), "listdir", None) is FileSystemStorage.listdir

    def listdir(self, relative: str) -> tuple[list[str], list[str]]:
        folder = os.path.join(self._root, relative) if relative else self._root
        try:
            stat = os.stat(folder)
            identity = (stat.st_dev, stat.st_ino)
            looped = self._ancestor_with(relative, identity)
            if looped is not None:
                self.errors.append(
                    f"symlink loop: {relative!r} leads back to {looped or '.'!r}; "
                    "collectstatic would fail here"
                )
                return [], []
            if self._stock:
                directories, files, links = _listed(folder)
                escaping = self._escaping(folder, links) if links else {}
            else:
                directories, files = self._storage.listdir(relative)
                escaping = self._links_leaving_root(folder)
        except OSError as exc:
            self.errors.append(f"cannot list {relative or '.'!r}: {exc.strerror or exc}")
            return [], []
        # Followed, as development and collectstatic follow them (pnpm/yarn workspaces, a
        # linked design system); remembered so each row says where its bytes come from. Reads
        # still check the inode the listing recorded.
        for name, target in escaping.items():
            self.links[os.path.join(relative, name) if relative else name] = target
        self._identity[relative] = identity
        self.mtimes[folder] = stat.st_mtime_ns
        self.tree[relative] = (directories, files)
        return directories, files

    def _links_leaving_root(self, folder: str) -> dict[str, str]:
        """Return ``{name: target}`` of the symlinks in ``folder`` that resolve outside the root."""
        with os.scandir(folder) as entries:
            links = [entry.name for entry in entries if entry.is_symlink()]
        return self._escaping(folder, links) if links else {}

    def _escaping(self, folder: str, links: list[str]) -> dict[str, str]:
        """Return ``{name: target}`` of the symlinks ``links`` of ``folder`` that resolve
        outside the root."""
        if self._real_root is None:
            self._real_root = os.path.realpath(self._root)
        escaping = {}
        for name in links:
            target = os.path.realpath(os.path.join(folder, name))
            if os.path.commonpath([self._real_root, target]) != self._real_root:
                escaping[name] = target
        return escaping

    def _ancestor_with(self, relative: str, identity: tuple[int, int]) -> str | None:
        parts = relative.split(os.sep) if relative else []
        for depth in range(len(parts)):
            ancestor = os.sep.join(parts[:depth])
            if self._identity.get(ancestor) == identity:
                return ancestor
        return None


def _listed(folder: str) -> tuple[list[str], list[str], list[str]]:
    """Return ``FileSystemStorage.listdir``'s answer for ``folder``, and its symlinks."""
    directories: list[str] = []
    files: list[str] = []
    links: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            # As Django's listdir: a symlink to a folder is a folder (followed).
            (directories if entry.is_dir() else files).append(entry.name)
            if entry.is_symlink():
                links.append(entry.name)
    return directories, files, links
