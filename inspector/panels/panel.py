"""The django-debug-toolbar panel: provenance and production risk of every asset a request used.

Unlike the built-in StaticFilesPanel, which lists every file of every finder on every request, this
panel looks only at the paths the request resolved through the staticfiles storage's ``url()`` and
at the static URLs its HTML contains, and looks them up in the inventory the process already built
(kept between requests: see ``data``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import Token
from typing import Any

from debug_toolbar.panels import Panel
from debug_toolbar.utils import is_processable_html_response
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.exceptions import DisallowedHost, SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..core.access import may_view
from ..core.freshness import page_max_age
from ..core.layers import Layers
from ..core.manifest.report import ManifestReport
from ..core.paths import file_of_name
from ..core.records import Candidate, PathRecord
from ..core.references.current import current_references
from ..core.references.model import ReferenceScan
from ..core.status import Severity, SourceStatus
from . import usage
from .data import layers_for_request

Stats = dict[str, Any]
DENIED = _(
    "You may not see this: the Assets panel needs a staff user with the "
    "inspector.view_assets permission."
)


class AssetsPanel(Panel):
    """Every static file the request used: who serves it, what it hides, whether prod breaks."""

    is_async = True
    template = "inspector/panel.html"
    nav_title = _("Assets")
    title = _("Static assets this request used")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recording: usage.Recording | None = None
        self._token: Token[usage.Recording | None] | None = None

    @property
    def nav_subtitle(self) -> str:
        stats = self.get_stats()
        return "" if stats.get("denied") else subtitle(stats.get("summary") or {})

    def enable_instrumentation(self) -> None:
        # Hooked here, not in ready(): the storage instance is rebuilt when STORAGES changes.
        usage.hook(storages["staticfiles"])
        self._recording, self._token = usage.start()

    def disable_instrumentation(self) -> None:
        if self._token is not None:
            usage.stop(self._token)
            self._token = None

    def generate_stats(self, request: HttpRequest, response: HttpResponse) -> None:
        # The user is known only now (the toolbar's middleware may run before authentication).
        # The toolbar keeps stats for anyone it is shown to: store nothing for someone the
        # dashboard would refuse, whatever the project's SHOW_TOOLBAR_CALLBACK says.
        if not _may_view(request):
            self.record_stats({"denied": True})
            return
        recording = self._recording or usage.Recording()
        self.record_stats(build_stats(request, response, recording))

    @property
    def content(self) -> str:
        stats = self.get_stats()
        if stats.get("denied"):
            return format_html('<p class="inspector-denied">{}</p>', DENIED)
        # Links to the dashboard are made when the panel is opened, not on every request.
        links = _DetailLinks()
        files = [{**row, "detail_url": links(row["detail_path"])} for row in stats["files"]]
        html = [{**row, "detail_url": links(row["detail_path"])} for row in stats["html"]]
        return render_to_string(self.template, {**stats, "files": files, "html": html})


def _may_view(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return may_view(user)
    # An async request: its user is loaded lazily from the database, which the event loop's
    # thread may not touch. The toolbar calls this synchronously, so ask from another thread.
    with ThreadPoolExecutor(1, thread_name_prefix="inspector-panel-user") as pool:
        return pool.submit(_may_view_in_thread, user).result()


def _may_view_in_thread(user: Any) -> bool:
    try:
        return may_view(user)
    finally:
        connections.close_all()


def build_stats(request: HttpRequest, response: HttpResponse, recording: usage.Recording) -> Stats:
    """Return the panel's JSON-safe stats for one request and its response."""
    hashing = isinstance(staticfiles_storage, ManifestFilesMixin)
    lookups = {path: file_of_name(path, hashing=hashing) for path in recording.paths}
    references = _references(request, response, recording)
    layers = layers_for_request([*lookups.values(), *(r.path for r in references)])
    scan = current_references(layers, max_age=page_max_age(), stale_ok=True)
    inventory = layers.inventory
    # What the layers say of a file is the same for every request until they change: kept on
    # them (a dict per Layers object, at most one entry per path they have), so a request adds
    # only what is its own.
    facts: dict[str, Stats] = layers.derive("panel-file-facts", dict)
    files = []
    for path in recording.paths:
        lookup = lookups[path]
        record = inventory.get(lookup)
        known = facts.get(lookup) if record is not None else None
        if known is None:
            known = _file_facts(layers, lookup, record)
            if record is not None:
                facts[lookup] = known
        row = {
            "path": path,
            "urls": recording.paths[path],
            "error": recording.errors.get(path),
            **known,
            "reference_problems": _reference_problems(scan, lookup, record),
        }
        files.append(row)
    html = [_reference_row(ref, inventory.get(ref.path)) for ref in references]
    return {
        "files": files,
        "html": html,
        "summary": _summary(files, html),
        # Used files with a reference problem (to them, or inside them): marked in the table.
        "bad_references": sum(1 for f in files if f["reference_problems"]),
        "manifest_problems": [_text(p) for p in layers.manifest.problems],
        "inventory_built_at": inventory.built_at,
    }


# (summary key, its words for n); every part but "used" shows only when it is not zero. Each
# ngettext call is written out so that makemessages finds its strings.
_SUBTITLE_PARTS: tuple[tuple[str, Callable[[int], str]], ...] = (
    ("used", lambda n: ngettext("%(n)d used", "%(n)d used", n)),
    ("conflicts", lambda n: ngettext("%(n)d conflict", "%(n)d conflicts", n)),
    ("would_500", lambda n: ngettext("%(n)d would 500", "%(n)d would 500", n)),
    ("hardcoded", lambda n: ngettext("%(n)d hardcoded", "%(n)d hardcoded", n)),
    ("not_found", lambda n: ngettext("%(n)d not found", "%(n)d not found", n)),
)


def subtitle(summary: dict[str, int]) -> str:
    """Return the nav line, e.g. "14 used · 1 conflict · 1 would 500"."""
    parts = []
    for key, words in _SUBTITLE_PARTS:
        n = int(summary.get(key, 0))
        if n or key == "used":
            parts.append(words(n) % {"n": n})
    return " · ".join(parts)


def _references(
    request: HttpRequest, response: HttpResponse, recording: usage.Recording
) -> list[usage.HtmlReference]:
    """Return the page's static URLs that did not come from ``url()`` in this request."""
    if not is_processable_html_response(response):
        return []
    prefixes = _static_prefixes(request)
    content = response.content.decode(response.charset or "utf-8", errors="replace")
    produced = {_without_origin(url) for url in recording.urls}
    return [
        ref
        for ref in usage.scan_html(content, prefixes)
        if _without_origin(ref.url) not in produced
    ]


def _static_prefixes(request: HttpRequest) -> tuple[str, ...]:
    """Return the forms STATIC_URL takes in a page: as configured, absolute, scheme-relative."""
    static_url = str(settings.STATIC_URL)
    if static_url.startswith(("http://", "https://")):
        return (static_url, "//" + static_url.split("://", 1)[1])
    try:
        absolute = request.build_absolute_uri(static_url)
    except DisallowedHost:  # the view already answered for it; scan the configured form only
        return (static_url,)
    return (static_url, absolute, "//" + absolute.split("://", 1)[1])


def _without_origin(url: str) -> str:
    for marker in ("https://", "http://", "//"):
        if url.startswith(marker):
            rest = url[len(marker) :]
            return rest[rest.find("/") :] if "/" in rest else "/"
    return url


class _DetailLinks:
    """Links to the dashboard's detail page, or none when the dashboard is not mounted."""

    def __init__(self) -> None:
        self._mounted = True

    def __call__(self, path: str | None) -> str | None:
        if path is None or not self._mounted:
            return None
        try:
            return reverse("inspector:path", args=[path])
        except NoReverseMatch:
            self._mounted = False  # not mounted in this URLconf: no other path is either
            return None


def _text(value: str) -> str:
    # File names from disk may carry undecodable bytes as surrogates; keep them visible but safe
    # to encode as UTF-8 wherever the stats are rendered.
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _place(candidate: Candidate | None) -> dict[str, str] | None:
    if candidate is None:
        return None
    return {"source": _text(candidate.source), "location": _text(candidate.location)}


def _file_facts(layers: Layers, lookup: str, record: PathRecord | None) -> Stats:
    """Return what ``layers`` say of the file a used path looks up (``lookup``)."""
    collected = record.collect_winner if record else None
    winner = record.winner if record else None
    live = layers.live.status_of(lookup) if layers.live else None
    # The dashboard's severity; a path no source has is a 404 in development, an error.
    judgement = layers.judge_row(record) if record is not None else None
    return {
        "found": record is not None,
        "status": str(record.status) if record else None,
        "flags": [str(flag) for flag in record.flags] if record else [],
        "winner": _place(winner),
        # Only when collection would take another file than development serves.
        "collected_from": _place(collected) if collected is not winner else None,
        "shadowed": [
            {
                **(_place(candidate) or {}),
                # True / False, or None where the bytes could not be compared.
                "differs": (
                    None
                    if candidate.identical_to_winner is None
                    else not candidate.identical_to_winner
                ),
            }
            for candidate in (record.shadowed if record else ())
        ],
        "manifest": _manifest_entry(layers.manifest, lookup),
        # Sources against the collected copy; None where it could not be checked.
        "live": str(live) if live is not None else None,
        # The dashboard's detail page of the row (its link is made when the panel is opened).
        "detail_path": record.path if record else None,
        "errors": [_text(e) for e in record.errors] if record else [],
        "severity": str(judgement.severity) if judgement else str(Severity.ERROR),
        "accepted": judgement.accepted.reason if judgement and judgement.accepted else None,
    }


def _reference_row(ref: usage.HtmlReference, record: PathRecord | None) -> Stats:
    return {
        "url": ref.url,
        "path": ref.path,
        "where": ref.where,
        # "source" (a finder has it), "collected" (only the collected storage has it), or None.
        "exists": "source" if record else ("collected" if _collected(ref.path) else None),
        "detail_path": record.path if record else None,
    }


def _collected(path: str) -> bool:
    """Return True if the local collected storage holds ``path`` (never a remote call)."""
    if not isinstance(staticfiles_storage, FileSystemStorage):
        return False
    try:
        return bool(staticfiles_storage.exists(path))
    except (SuspiciousFileOperation, OSError, ValueError):
        return False


def _manifest_entry(report: ManifestReport, path: str) -> dict[str, Any]:
    entry = report.entry(path)
    return {
        "status": str(entry.status),
        "hashed_name": entry.hashed_name,
        "note": entry.note,
        "would_500": entry.raises,
    }


def _reference_problems(
    scan: ReferenceScan, path: str, record: PathRecord | None
) -> list[dict[str, Any]]:
    """Return the problems of the references to ``path`` and of those its own file writes
    (a stylesheet's url() to a missing font), from the last scan."""
    own = scan.by_file.get(record.winner.location, ()) if record and record.winner else ()
    return [
        {
            "where": f"{_text(ref.origin.file)}:{ref.origin.line}",
            "kind": str(ref.kind),
            "reference": _text(ref.reference),
            "problem": str(ref.problem),
            "severity": str(ref.severity),
            "inside": ref in own,
        }
        for ref in (*scan.by_path.get(path, ()), *own)
        if ref.problem is not None
    ]


def _summary(files: list[Stats], html: list[Stats]) -> dict[str, int]:
    return {
        "used": len(files),
        "conflicts": sum(1 for f in files if f["status"] == SourceStatus.CONFLICT),
        "would_500": sum(1 for f in files if f["manifest"]["would_500"]),
        "hardcoded": len(html),
        "not_found": sum(1 for f in files if not f["found"])
        + sum(1 for h in html if h["exists"] is None),
    }
