"""Walking one source folder the way Django's ``utils.get_files`` does, once for development
and collection both, recording what it saw: each folder's mtime, symlink loops, and the symlinks
that lead out of the folder (followed, as Django follows them).
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


def files_of(
    listdir: Callable[[str], tuple[list[str], list[str]]], patterns: list[str]
) -> tuple[list[str], set[str]]:
    """Return what ``utils.get_files`` yields from a storage that lists as ``listdir`` does:
    every file in its order without ignore patterns (a folder's files, then each subfolder in
    turn), and the files it leaves out with ``patterns``.

    One walk for both, each path joined once. A file whose name, or (below the top) whose
    relative path, matches a pattern is left out, and so is every file under a folder whose
    name matches one; matched as Django matches them (``fnmatchcase``), with the patterns
    compiled into one expression instead of one call per pattern and name.
    """
    ignored = _matching_any(patterns)
    every: list[str] = []
    left_out: set[str] = set()
    stack: list[tuple[str, bool]] = [("", True)]  # a folder, and whether collection walks it
    while stack:
        location, walked = stack.pop()
        directories, files = listdir(location)
        # What os.path.join gives: a folder here never ends with a separator, nor does a name
        # hold one.
        base = location + os.sep if location else ""
        for name in files:
            path = base + name
            every.append(path)
            if not walked or ignored(name) or (location and ignored(path)):
                left_out.add(path)
        stack.extend((base + d, walked and not ignored(d)) for d in reversed(directories))
    return every, left_out


def _matching_any(patterns: list[str]) -> Callable[[str], bool]:
    if not patterns:
        return lambda name: False
    match = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)).match
    return lambda name: match(name) is not None


class RecordingStorage:
    """Lists a folder storage's folders as its ``listdir`` does, records what change detection
    compares and the links that leave the folder, and turns a failing folder into a reported
    error instead of an aborted walk."""

    def __init__(self, storage: Storage, root: str) -> None:
        self._storage = storage
        self._root = root
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
