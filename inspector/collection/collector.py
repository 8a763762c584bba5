"""Django's ``collectstatic``, run on a private storage instance and reporting its progress.

The command is Django's own (its finders, ignore patterns, ``clear`` and post-processing); this
subclass changes three things: it writes to a fresh storage instance instead of the shared
``staticfiles_storage`` (whose manifest the web process is serving from), it tells a progress
sink about every file it handles, and it follows the preview's plan on whether a file is copied
(see ``plan``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, Protocol

from django.contrib.staticfiles.management.commands import collectstatic
from django.core.files.storage import FileSystemStorage, Storage

from ..core.manifest.variants import strip_compression
from ..models import Phase
from .plan import Counts

# The end of a copy's name while it is written; a killed worker leaves such files behind.
TEMPORARY_SUFFIX = ".inspector-tmp"


def _remove_leftovers(root: str) -> None:
    """Delete the temporary copies a killed run left under ``root``."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.startswith(".") and name.endswith(TEMPORARY_SUFFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))


class ProgressSink(Protocol):
    def begin(self, phase: Phase, total: int) -> None: ...

    def advance(self) -> None: ...


class MemberList(list[str]):
    """A list with a set beside it: collectstatic tests ``prefixed_path in`` its lists once per
    file, which is quadratic on plain lists (about a minute at 100,000 files)."""

    def __init__(self) -> None:
        super().__init__()
        self._members: set[str] = set()

    def append(self, item: str) -> None:
        super().append(item)
        self._members.add(item)

    def extend(self, items: Iterable[str]) -> None:
        for item in items:
            self.append(item)

    def __contains__(self, item: object) -> bool:
        return item in self._members


class Collector(collectstatic.Command):
    """``collectstatic`` for one run; call it through ``call_command(collector, ...)``."""

    def __init__(
        self,
        storage: Storage,
        *,
        decisions: Mapping[str, bool],
        progress: ProgressSink,
        copy_total: int,
    ) -> None:
        super().__init__()
        self.copied_files = MemberList()
        self.symlinked_files = MemberList()
        self.unmodified_files = MemberList()
        self.storage = storage
        self.decisions = decisions
        self.progress = progress
        self.copy_total = copy_total
        # Django 6.1 counts deletions itself (``deleted_files``); 5.2 does not.
        self.cleared: list[str] = []
        # Collected paths post-processing wrote (collectstatic's own list counts a path once per
        # pass, and whitenoise's compressed copies too).
        self.post_processed: set[str] = set()
        # Compressed variants post-processing wrote (whitenoise's), by the name they compress.
        self.variants: dict[str, set[str]] = {}
        self._clearing = False
        self._seen: set[str] = set()
        # Set by the caller once the run is over: whether the manifest's text changed.
        self.manifest_changed = False
        # Wrapped on this private instance only: the storage's own methods do the work.
        storage.delete = self._counting_delete(storage.delete)  # type: ignore[method-assign,assignment]
        # On a file system Django deletes a file, then writes the new one in place: a reader,
        # or a worker killed half-way, would find it missing or cut short. Here a delete of a
        # file that is written again is held back, and the new bytes replace it in one
        # ``os.replace`` once they are whole (``_replace``).
        self._atomic = isinstance(storage, FileSystemStorage)
        self._held: set[str] = set()
        if isinstance(storage, FileSystemStorage):
            # django-stubs does not declare FileSystemStorage._save.
            self._real_save: Callable[..., str] = getattr(storage, "_save")  # noqa: B009
            storage.save = self._replacing_save(storage.save)  # type: ignore[method-assign]
            setattr(storage, "_save", self._replacing_save(self._real_save))  # noqa: B010
        if hasattr(storage, "post_process"):
            storage.post_process = self._reporting_post_process(storage.post_process)
        # Django's hashing storages hand CSS and JS back only after their last pass, so the
        # public generator is silent while most of the work happens; their per-file pass is not.
        self._per_file = hasattr(storage, "_post_process")
        if self._per_file:
            storage._post_process = self._reporting_pass(storage._post_process)  # type: ignore[attr-defined]

    def collect(self) -> dict[str, list[str]]:
        self.progress.begin(Phase.COPYING, self.copy_total)
        if isinstance(self.storage, FileSystemStorage):
            _remove_leftovers(str(self.storage.location))
        collected = super().collect()
        # Deletes that no new copy followed happen now.
        for name in sorted(self._held):
            self.storage.delete(name)
        return collected

    def clear_dir(self, path: str) -> None:
        outermost = not self._clearing
        self._clearing = True
        try:
            super().clear_dir(path)
        finally:
            if outermost:
                self._clearing = False

    def delete_file(self, path: str, prefixed_path: str, source_storage: Storage) -> bool:
        """Return True if the file must be (re)copied, deleting the old copy first."""
        copy = self.decisions.get(prefixed_path)
        if copy is None:
            return super().delete_file(path, prefixed_path, source_storage)
        if not copy:
            self.unmodified_files.append(prefixed_path)
            self.log(f"Skipping '{path}' (the collected copy has the same bytes)")
            return False
        if self.storage.exists(prefixed_path):
            self.log(f"Deleting '{path}' (the collected copy differs)")
            self.storage.delete(prefixed_path)
        return True

    def copy_file(self, path: str, prefixed_path: str, source_storage: Storage) -> None:
        super().copy_file(path, prefixed_path, source_storage)
        self.progress.advance()

    def _counting_delete(self, delete: Callable[[str], None]) -> Callable[[str], None]:
        def counting_delete(name: str) -> None:
            if self._atomic and not self._clearing and name not in self._held:
                # Held back: the new copy replaces the file (``_replace``), or ``collect``
                # deletes it at the end.
                self._held.add(name)
                return
            self._held.discard(name)
            delete(name)
            if self._clearing:
                self.cleared.append(name)
                self.progress.advance()

        return counting_delete

    def _replacing_save(self, save: Callable[..., str]) -> Callable[..., str]:
        def replacing_save(name: str, content: Any, *args: Any, **kwargs: Any) -> str:
            if name in self._held:
                self._held.discard(name)
                return self._replace(name, content)
            return save(name, content, *args, **kwargs)

        return replacing_save

    def _replace(self, name: str, content: Any) -> str:
        """Write ``content`` beside ``name`` under a temporary name in the same folder (the
        storage's own ``_save``), then move it over ``name`` in one step."""
        target = self.storage.path(name)
        folder, base = os.path.split(name)
        temporary = os.path.join(folder, f".{base}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}")
        written = self._real_save(temporary, content)
        try:
            os.replace(self.storage.path(written), target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(self.storage.path(written))
            raise
        return name

    def _reporting_post_process(
        self, post_process: Callable[..., Iterator[Any]]
    ) -> Callable[..., Iterator[Any]]:
        def reporting_post_process(
            paths: dict[str, Any], dry_run: bool = False, **options: Any
        ) -> Iterator[Any]:
            self.progress.begin(Phase.POST_PROCESSING, len(paths))
            self._seen.clear()
            for item in post_process(paths, dry_run=dry_run, **options):
                name, processed = item[0], item[2]
                base, suffix = strip_compression(item[1]) if isinstance(item[1], str) else ("", "")
                if suffix and base == name:
                    self.variants.setdefault(name, set()).add(item[1])
                # Files whose references are rewritten come by more than once (one per pass);
                # whitenoise also yields the compressed copies it writes, which are not paths:
                # one of an unhashed name (a.svg as a.svg.gz) is no post-processing of a.svg.
                if name in paths:
                    if not self._per_file:
                        self._advance_once(name)
                    if processed is True and not suffix:
                        self.post_processed.add(name)
                yield item

        return reporting_post_process

    def _reporting_pass(
        self, one_pass: Callable[..., Iterator[Any]]
    ) -> Callable[..., Iterator[Any]]:
        def reporting_pass(*args: Any, **kwargs: Any) -> Iterator[Any]:
            for item in one_pass(*args, **kwargs):
                self._advance_once(item[0])
                yield item

        return reporting_pass

    def _advance_once(self, name: str) -> None:
        if name not in self._seen:
            self._seen.add(name)
            self.progress.advance()

    def replaced(
        self, unchanged: Collection[str], hashed: Collection[str], manifest: str | None
    ) -> list[str]:
        """Return the stored names whose bytes this run changed under an unhashed name.

        ``unchanged``: paths whose collected copy already had the source's bytes (copied again
        only because the storage was cleared); ``hashed``: the storage's hashed names (a cleared
        one is replaced by a new name, never served again); ``manifest``: the manifest's
        storage name, listed when its text changed (``manifest_changed``).
        """
        copied = set(self.copied_files) - set(unchanged)
        names = set(copied)
        for name in copied:
            names.update(self.variants.get(name, ()))
        # Cleared and not collected again: the URL now answers 404, which a CDN must learn.
        names.update(
            name
            for name in self.cleared
            if name not in self.copied_files
            and strip_compression(name)[0] not in hashed
            and name != manifest
        )
        if manifest is not None and self.manifest_changed:
            names.add(manifest)
        return sorted(names)

    def counts(self) -> Counts:
        return Counts(
            copied=len(self.copied_files),
            unmodified=len(self.unmodified_files),
            deleted=len(self.cleared),
            post_processed=len(self.post_processed),
        )
