"""The scan: every file Django reads references from, read once per version, then judged.

- templates: every folder of every configured engine's loaders (``use_template_folders``
  receives them from outside the core, which imports no template code);
- CSS and JS: the files the inventory already listed, the winner of each path and, where
  collectstatic takes another, that one too (shadowed copies are never served);
- Python: the modules of every installed app's package that mention ``Media`` (``ast``, never
  imported), without migrations, tests and the folders of static files, templates and
  translations.

What a file holds is kept per file version (its ``FileStamp``), so a scan after an edit reads
only the edited files; judging against the layers is redone every time (it reads no file).
A file over ``REFERENCES_MAX_BYTES``, an undecodable one, a template that does not compile and
a module that does not parse are problems of the scan, with their file and line.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from django.apps import apps

from ...conf import get_config
from .. import caches
from ..fingerprints import FileStamp, read_recorded, same_file_now
from ..layers import Layers
from ..storage.instance import collected_storage
from .assets import extract_asset
from .judging import judged
from .media import extract_media
from .model import (
    Extracted,
    Extractor,
    Origin,
    Reference,
    ReferenceScan,
    ScanProblem,
    StaticNames,
    TemplateFolder,
)
from .urls import static_names

TemplateFolders = Callable[[], tuple[list[TemplateFolder], list[str]]]
_template_folders: TemplateFolders | None = None

# Folders of an app's package that hold no form media.
_NOT_CODE = frozenset(
    {
        "migrations",
        "tests",
        "test",
        "static",
        "templates",
        "jinja2",
        "locale",
        "node_modules",
        "__pycache__",
    }
)
_ASSETS = (".css", ".js")


def use_template_folders(provider: TemplateFolders) -> None:
    """Say where templates are: ``provider`` returns the engines' folders and notes."""
    global _template_folders
    _template_folders = provider


@dataclass(frozen=True, slots=True)
class _File:
    """One file to read: what it is, where, and how its text turns into references."""

    role: str  # "templates", "css/js" or "python"
    location: str
    key: str  # what else its references depend on: the engine, or the served path
    extract: Callable[[str], Extracted]
    charset: str = "utf-8"
    stamp: FileStamp | None = None
    rewritten: bool = False
    app: str | None = None  # None: the installed app whose folder holds the file


# (location, key, stamp, names) -> what the file holds.
_Memo = tuple[str, str, FileStamp, StaticNames]
_extracted: dict[_Memo, Extracted] = {}
_memo_lock = threading.Lock()
# Enough for any project's templates, stylesheets and modules; past it the memo starts over.
_MEMO_LIMIT = 200_000


_Read = list[tuple[_File, Extracted]]


@dataclass(frozen=True)
class _KeptAssets:
    """What the CSS/JS files of one inventory hold: the same inventory object lists the same
    file versions, so a scan with it reads and looks up nothing again."""

    inventory: object = None
    names: StaticNames | None = None
    read: _Read = field(default_factory=list)
    problems: tuple[ScanProblem, ...] = ()
    notes: tuple[str, ...] = ()


_kept_assets = _KeptAssets()


def _forget() -> None:
    global _kept_assets
    with _memo_lock:
        _extracted.clear()
        _kept_assets = _KeptAssets()


caches.register(
    "reference-files",
    _forget,
    fresh_while="the file's stamp (size, mtime, inode) is unchanged and was not racy when read",
)


def scan_references(layers: Layers) -> ReferenceScan:
    """Return every reference of the project's templates, CSS, JS and form media, judged
    against ``layers``."""
    started, built_at = time.perf_counter(), time.time()
    names = static_names()
    budget = int(get_config()["REFERENCES_MAX_BYTES"])
    notes: list[str] = []
    problems: list[ScanProblem] = []
    now_ns = time.time_ns()
    read: _Read = []
    for file in [*_templates(names, notes), *_python(names)]:
        extracted = _extract(file, names, budget, now_ns, problems)
        if extracted is not None:
            read.append((file, extracted))
    read += _read_assets(layers, names, budget, now_ns, problems, notes)
    app_of = _AppOf()
    references: list[Reference] = []
    counted: Counter[str] = Counter()
    for file, extracted in read:
        counted[file.role] += 1
        app = file.app if file.app is not None else app_of(file.location)
        problems.extend(
            ScanProblem(file.location, line, message) for line, message in extracted.problems
        )
        references.extend(
            judged(found, Origin(file.location, found.line, app), layers, names, file.rewritten)
            for found in extracted.found
        )
    references.sort(key=lambda r: (r.origin.file, r.origin.line))
    return ReferenceScan(
        tuple(references),
        tuple(problems),
        tuple(notes),
        counted,
        time.perf_counter() - started,
        built_at,
    )


def _extract(
    file: _File, names: StaticNames, budget: int, now_ns: int, problems: list[ScanProblem]
) -> Extracted | None:
    """Return what ``file`` holds (from the memo where its version was read before)."""
    try:
        # A file the layers listed is read as it is now (they can be older than its last
        # edit), but only the very file they listed; the memo is keyed by the version read.
        stamp = same_file_now(file.stamp) if file.stamp else FileStamp.of(file.location)
    except OSError as exc:
        problems.append(ScanProblem(file.location, None, f"cannot read it: {exc.strerror or exc}"))
        return None
    memo = (file.location, file.key, stamp, names)
    known = _extracted.get(memo)
    if known is not None:
        return known
    if stamp.size > budget:
        problems.append(
            ScanProblem(
                file.location,
                None,
                f"not scanned: {stamp.size:,} bytes, over REFERENCES_MAX_BYTES ({budget:,})",
            )
        )
        return None
    try:
        data = read_recorded(stamp)
    except OSError as exc:
        problems.append(ScanProblem(file.location, None, f"cannot read it: {exc.strerror or exc}"))
        return None
    if file.role == "python" and b"Media" not in data:
        extracted = Extracted()
    else:
        try:
            text = data.decode(file.charset)
        except (UnicodeDecodeError, LookupError) as exc:
            extracted = Extracted((), ((None, f"not {file.charset} text, so not scanned: {exc}"),))
        else:
            extracted = file.extract(text)
    if not stamp.is_racy(now_ns) and len(data) == stamp.size:  # not written while read
        with _memo_lock:
            if len(_extracted) > _MEMO_LIMIT:
                _extracted.clear()
            _extracted[memo] = extracted
    return extracted


def _walk(
    root: str, keep: Callable[[str], bool], skip_dirs: frozenset[str] = frozenset()
) -> Iterator[str]:
    """Yield the files under ``root`` that ``keep`` accepts, hidden ones and ``skip_dirs`` left
    out; symlinked folders are followed once each."""
    seen: set[str] = set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in skip_dirs)
        for name in sorted(names):
            if not name.startswith(".") and keep(name):
                yield os.path.join(folder, name)


def _templates(names: StaticNames, notes: list[str]) -> list[_File]:
    if _template_folders is None:
        notes.append("templates are not scanned: the inspector app is not ready")
        return []
    folders, engine_notes = _template_folders()
    notes.extend(engine_notes)
    found: list[_File] = []
    for folder in folders:
        if not os.path.isdir(folder.root):
            continue
        extract = folder.extract
        for location in _walk(folder.root, lambda name: True):
            name = os.path.relpath(location, folder.root).replace(os.sep, "/")
            reader = partial(_call, extract, names=names, name=name)
            found.append(_File("templates", location, folder.engine, reader, folder.charset))
    return found


def _read_assets(
    layers: Layers,
    names: StaticNames,
    budget: int,
    now_ns: int,
    problems: list[ScanProblem],
    notes: list[str],
) -> _Read:
    """Return what the inventory's CSS and JS files hold, kept per inventory object: as they
    are when the first scan of these layers reads them."""
    global _kept_assets
    kept = _kept_assets
    if kept.inventory is layers.inventory and kept.names == names:
        problems.extend(kept.problems)
        notes.extend(kept.notes)
        return kept.read
    files = list(_asset_files_of(layers, names))
    own_problems: list[ScanProblem] = []
    own_notes: list[str] = []
    unreadable = sum(1 for f in files if f.stamp is None)
    if unreadable:
        own_notes.append(
            f"{unreadable} CSS/JS file(s) of custom finders have no local file: not scanned"
        )
    read = [
        (file, extracted)
        for file in files
        if file.stamp is not None
        and (extracted := _extract(file, names, budget, now_ns, own_problems)) is not None
    ]
    if not any(f.stamp is not None and f.stamp.is_racy(now_ns) for f in files):
        _kept_assets = _KeptAssets(
            layers.inventory, names, read, tuple(own_problems), tuple(own_notes)
        )
    problems.extend(own_problems)
    notes.extend(own_notes)
    return read


def _asset_files_of(layers: Layers, names: StaticNames) -> Iterator[_File]:
    storage, _error = collected_storage()
    storage_class = type(storage) if storage is not None else None
    for record in layers.inventory.paths:
        # Case-sensitive, as post_process's patterns (*.css, *.js) match.
        if not record.path.endswith(_ASSETS):
            continue
        served = {c.location: c for c in (record.winner, record.collect_winner) if c is not None}
        for candidate in served.values():
            source = candidate.source
            yield _File(
                "css/js",
                candidate.location,
                record.path,
                partial(_asset, record.path, names=names, storage_class=storage_class),
                stamp=candidate.stamp,
                rewritten=names.hashing and candidate is record.collect_winner,
                app=source.removeprefix("app:") if source.startswith("app:") else "",
            )


def _python(names: StaticNames) -> list[_File]:
    found: dict[str, _File] = {}
    for app in apps.get_app_configs():
        if not app.path or os.path.exists(os.path.join(app.path, "pyvenv.cfg")):
            continue
        for location in _walk(app.path, lambda name: name.endswith(".py"), _NOT_CODE):
            found.setdefault(
                location, _File("python", location, "", partial(extract_media, names=names))
            )
    return list(found.values())


def _call(extract: Extractor, text: str, *, names: StaticNames, name: str) -> Extracted:
    return extract(text, names, name)


def _asset(path: str, text: str, *, names: StaticNames, storage_class: type | None) -> Extracted:
    return extract_asset(path, text, names, storage_class)


class _AppOf:
    """The installed app whose package folder holds a file ("" for none), by folder."""

    def __init__(self) -> None:
        roots = [(os.path.join(a.path, ""), a.name) for a in apps.get_app_configs() if a.path]
        self.roots = sorted(roots, key=lambda pair: -len(pair[0]))  # the deepest folder first
        self.known: dict[str, str] = {}

    def __call__(self, location: str) -> str:
        folder = os.path.join(os.path.dirname(location), "")
        app = self.known.get(folder)
        if app is None:
            app = next((name for root, name in self.roots if folder.startswith(root)), "")
            self.known[folder] = app
        return app
