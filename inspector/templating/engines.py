"""Which folders each configured template engine reads templates from, as its loaders say."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.template import engines
from django.template.backends.django import DjangoTemplates as DjangoBackend

from ..core.references.model import TemplateFolder
from .dtl import DjangoTemplates
from .jinja import extract_jinja


def template_folders() -> tuple[list[TemplateFolder], list[str]]:
    """Return every folder of every configured engine, in the engines' order, and notes on
    what is not scanned (an engine of an unknown kind, a loader without folders)."""
    folders: list[TemplateFolder] = []
    notes: list[str] = []
    for backend in engines.all():
        alias = str(backend.name)
        if isinstance(backend, DjangoBackend):
            extract = DjangoTemplates(backend.engine)
            charset = str(backend.engine.file_charset)
            for root in _loader_dirs(backend.engine.template_loaders, notes, alias):
                folders.append(TemplateFolder(root, alias, extract, charset))
        elif type(backend).__module__ == "django.template.backends.jinja2":
            folders.extend(
                TemplateFolder(str(d), alias, extract_jinja) for d in backend.template_dirs
            )
        else:
            notes.append(
                f"template engine {alias!r} ({type(backend).__module__}.{type(backend).__name__}) "
                "is not scanned: only Django and Jinja2 templates are read"
            )
    return folders, notes


def _loader_dirs(loaders: Sequence[object], notes: list[str], alias: str) -> Iterator[str]:
    for loader in loaders:
        inner = getattr(loader, "loaders", None)
        if inner is not None:  # the cached loader wraps the others
            yield from _loader_dirs(inner, notes, alias)
            continue
        get_dirs = getattr(loader, "get_dirs", None)
        if get_dirs is None:
            name = f"{type(loader).__module__}.{type(loader).__name__}"
            notes.append(f"engine {alias!r}: loader {name} has no folders to scan")
            continue
        yield from (str(d) for d in get_dirs())
