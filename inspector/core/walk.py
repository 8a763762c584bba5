"""Walking one source folder the way Django's ``utils.get_files`` does, recording what it saw:
the tree (replayed to apply ignore patterns without I/O), each folder's mtime, symlink loops, and
the symlinks that lead out of the folder (followed, as Django follows them).
"""

from __future__ import annotations

import os

from django.core.files.storage import Storage


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


class RecordingStorage:
    """Stands in for a folder storage during ``get_files``: delegates ``listdir``, records what
    it saw (for replays and change detection) and turns a failing folder into a reported error
    instead of an aborted walk."""

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
        if not links:
            return {}
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


class ReplayStorage:
    """Replays a recorded folder tree so ``get_files`` can apply ignore patterns without I/O."""

    def __init__(self, tree: dict[str, tuple[list[str], list[str]]]) -> None:
        self._tree = tree

    def listdir(self, relative: str) -> tuple[list[str], list[str]]:
        return self._tree.get(relative, ([], []))
