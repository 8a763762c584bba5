"""The status vocabulary shared by the CLI, JSON, CSV, dashboard and panel (see design.md)."""

from __future__ import annotations

from enum import StrEnum


class SourceStatus(StrEnum):
    UNIQUE = "unique"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    ABSENT = "absent"


class Flag(StrEnum):
    IGNORED_BY_COLLECT = "ignored-by-collect"
    ORDER_MISMATCH = "order-mismatch"
    # Extension: a candidate could not be compared with the winner (unreadable or too large),
    # so the path counts as a conflict until someone looks.
    UNVERIFIED = "unverified"


class LiveStatus(StrEnum):
    CURRENT = "current"
    MODIFIED = "modified"
    MISSING = "missing"
    ORPHANED = "orphaned"
    UNKNOWN = "unknown"


class ManifestStatus(StrEnum):
    OK = "ok"
    MISSING_ENTRY = "missing-entry"
    STALE = "stale"
    HASHED_FILE_MISSING = "hashed-file-missing"
    NOT_APPLICABLE = "n/a"
    # Extension: the manifest or the path could not be checked (corrupt manifest, unreadable
    # source, a reference collectstatic could not resolve); the entry's note says why.
    UNKNOWN = "unknown"


class ManifestFinding(StrEnum):
    """Extension: manifest-wide findings, each attached to the static path it concerns."""

    ENTRY_WITHOUT_SOURCE = "entry-without-source"
    # An old hashed version no entry points to any more: storage that can be reclaimed.
    ORPHANED_HASHED_FILE = "orphaned-hashed-file"
    COMPRESSED_MISMATCH = "compressed-mismatch"
    COMPRESSED_MISSING = "compressed-missing"


class ServedStatus(StrEnum):
    OK = "ok"
    HTTP_ERROR = "http-error"
    STALE = "stale"
    HEADERS = "headers"
    UNCHECKED = "unchecked"


class ReleaseStatus(StrEnum):
    """Extension: one release of the release-specific manifest pattern (a manifest per folder)."""

    OK = "ok"
    # Its manifest points at hashed files the storage no longer has: rolling back to it is a 500.
    FILES_MISSING = "release-files-missing"
    # Its manifest cannot be read or parsed (or the configured release has none yet).
    UNREADABLE = "release-unreadable"


class ReleaseChange(StrEnum):
    """How a path differs between two releases' manifests (``--compare-releases``)."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class ReferenceKind(StrEnum):
    """How a template, stylesheet, script or form names a static file (design.md, References)."""

    STATIC_TAG = "static-tag"
    # ``{% static var %}``: not checkable, counted.
    STATIC_DYNAMIC = "static-dynamic"
    STATIC_URL = "static-url"
    HARDCODED_URL = "hardcoded-url"
    CSS_URL = "css-url"
    CSS_IMPORT = "css-import"
    SOURCE_MAP = "source-map"
    JS_IMPORT = "js-import"
    FORM_MEDIA = "form-media"


class ReferenceProblem(StrEnum):
    NOT_FOUND = "not-found"
    IGNORED_BY_COLLECT = "ignored-by-collect"
    MISSING_ENTRY = "missing-entry"
    BYPASSES_MANIFEST = "bypasses-manifest"


class Severity(StrEnum):
    """How bad a row is, the worst of its layers, named like Django's check levels."""

    # Production breaks: a 500, a failed collectstatic, a URL that is not found.
    ERROR = "error"
    # Production serves something other than the sources, or a source hides another file.
    WARNING = "warning"
    # Worth knowing, harmless.
    INFO = "info"
    OK = "ok"

    @property
    def rank(self) -> int:
        """Return 3 for ``error`` down to 0 for ``ok``: larger is worse."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.OK: 0, Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}


def all_values() -> set[str]:
    """Return every word of the vocabulary, for validating ``--fail-on``."""
    enums: tuple[type[StrEnum], ...] = (
        SourceStatus,
        Flag,
        LiveStatus,
        ManifestStatus,
        ManifestFinding,
        ServedStatus,
        ReleaseStatus,
    )
    return {member.value for enum in enums for member in enum}
