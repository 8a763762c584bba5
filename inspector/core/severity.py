"""One rule for how bad a row is, and the findings a team has accepted (design.md).

Every status of every layer maps to a severity in the tables below; a row's severity is the worst
of its layers. The overview, the paths table, the detail page, the toolbar panel, the CLI's
summary and ``--fail-on error|warning`` all read it from ``judge()``.

``ASSET_INSPECTOR["ACCEPT"]`` rules say "this is intended": a row a rule matches keeps its
statuses and severity, carries the rule's reason, and never fails ``--fail-on``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .live import LiveEntry
from .manifest.releases import Release
from .manifest.report import ManifestEntry
from .records import PathRecord
from .served import ServedResult
from .status import (
    Flag,
    LiveStatus,
    ManifestFinding,
    ManifestStatus,
    ReferenceKind,
    ReferenceProblem,
    ReleaseStatus,
    ServedStatus,
    Severity,
    SourceStatus,
)

ERROR, WARNING, INFO, OK = Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.OK

SOURCE_SEVERITY: Mapping[SourceStatus, Severity] = {
    SourceStatus.UNIQUE: OK,
    SourceStatus.DUPLICATE: INFO,
    SourceStatus.CONFLICT: WARNING,
    # A path only the collected storage has: its live status (orphaned) says how bad.
    SourceStatus.ABSENT: OK,
}
FLAG_SEVERITY: Mapping[Flag, Severity] = {
    Flag.IGNORED_BY_COLLECT: INFO,
    Flag.ORDER_MISMATCH: WARNING,
    Flag.UNVERIFIED: WARNING,
}
LIVE_SEVERITY: Mapping[LiveStatus, Severity] = {
    LiveStatus.CURRENT: OK,
    LiveStatus.MODIFIED: WARNING,
    # A collectable path not collected; one collection ignores is never collected (``info``).
    LiveStatus.MISSING: WARNING,
    LiveStatus.ORPHANED: INFO,
    LiveStatus.UNKNOWN: INFO,
}
MANIFEST_SEVERITY: Mapping[ManifestStatus, Severity] = {
    ManifestStatus.OK: OK,
    # An error where ``{% static %}`` raises; a lenient manifest's fallback is a warning.
    ManifestStatus.MISSING_ENTRY: ERROR,
    ManifestStatus.STALE: WARNING,
    ManifestStatus.HASHED_FILE_MISSING: ERROR,
    ManifestStatus.NOT_APPLICABLE: OK,
    ManifestStatus.UNKNOWN: INFO,
}
FINDING_SEVERITY: Mapping[ManifestFinding, Severity] = {
    ManifestFinding.ENTRY_WITHOUT_SOURCE: INFO,
    ManifestFinding.ORPHANED_HASHED_FILE: INFO,
    ManifestFinding.COMPRESSED_MISMATCH: WARNING,
    ManifestFinding.COMPRESSED_MISSING: INFO,
}
# A release's words (the release-specific manifest pattern): a release whose hashed files are gone
# breaks every page that names them as soon as anyone rolls back to it.
RELEASE_SEVERITY: Mapping[ReleaseStatus, Severity] = {
    ReleaseStatus.OK: OK,
    ReleaseStatus.FILES_MISSING: ERROR,
    ReleaseStatus.UNREADABLE: WARNING,
}
SERVED_SEVERITY: Mapping[ServedStatus, Severity] = {
    ServedStatus.OK: OK,
    ServedStatus.HTTP_ERROR: ERROR,
    ServedStatus.STALE: WARNING,
    ServedStatus.HEADERS: WARNING,
    ServedStatus.UNCHECKED: OK,
}

# A reference's problem (design.md, References); a missing entry follows the manifest's rule.
REFERENCE_SEVERITY: Mapping[ReferenceProblem, Severity] = {
    ReferenceProblem.NOT_FOUND: ERROR,
    # Served in development, never collected: production 404s wherever it is used.
    ReferenceProblem.IGNORED_BY_COLLECT: ERROR,
    ReferenceProblem.MISSING_ENTRY: ERROR,
    ReferenceProblem.BYPASSES_MANIFEST: WARNING,
}

# What to do, by word: the second half of a "needs a look" sentence.
_ADVICE: Mapping[str, str] = {
    SourceStatus.CONFLICT: "make the right source win, or accept it (ACCEPT)",
    Flag.ORDER_MISMATCH: "development and production take different files: reorder the finders",
    Flag.UNVERIFIED: "compare the candidates by hand, or raise MAX_HASH_BYTES",
    LiveStatus.MODIFIED: "collect again",
    LiveStatus.MISSING: "collect",
    ManifestStatus.MISSING_ENTRY: "collect again so the manifest names it",
    ManifestStatus.STALE: "collect again",
    ManifestStatus.HASHED_FILE_MISSING: "collect again",
    ManifestFinding.COMPRESSED_MISMATCH: "collect again",
    ServedStatus.HTTP_ERROR: "check the server or CDN in front of STATIC_URL",
    ServedStatus.STALE: "invalidate the CDN's copy",
    ServedStatus.HEADERS: "fix the server's caching headers",
    ReleaseStatus.FILES_MISSING: "collect that release again before rolling back to it, or drop it",
    ReleaseStatus.UNREADABLE: "collect that release again, or drop its folder",
    ReferenceProblem.NOT_FOUND: "add the file or fix the reference",
    ReferenceProblem.IGNORED_BY_COLLECT: "rename the file so collectstatic takes it",
    ReferenceProblem.BYPASSES_MANIFEST: "use {% static %}, which gives the hashed name",
}
# Kinds resolved when the page renders (the storage's url()) and when collectstatic rewrites
# the referring file; the others are URLs the browser asks for as written.
_RENDERED = frozenset({ReferenceKind.STATIC_TAG, ReferenceKind.FORM_MEDIA})
_REWRITTEN = frozenset({ReferenceKind.CSS_URL, ReferenceKind.CSS_IMPORT, ReferenceKind.SOURCE_MAP})


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding of a row: the layer, its word, how bad, and the sentence that says why."""

    severity: Severity
    layer: str  # "source", "manifest", "live", "served" (or "release" for a release)
    word: str
    why: str


@dataclass(frozen=True, slots=True)
class Judgement:
    """A row's severity (the worst of ``reasons``), and the rule that accepts it, if any."""

    severity: Severity
    reasons: tuple[Reason, ...]
    accepted: AcceptRule | None = None

    @property
    def headline(self) -> Reason | None:
        """Return the worst reason: the one sentence a list of findings shows."""
        return self.reasons[0] if self.reasons else None


# The judgement of every row with nothing to say and no rule accepting it (most rows): one
# immutable value shared, not one per row.
CLEAN = Judgement(OK, ())


def judge(
    record: PathRecord,
    manifest: ManifestEntry | None,
    live: LiveEntry | None,
    served: ServedResult | None = None,
    rules: Sequence[AcceptRule] = (),
    source_label: str | None = None,
) -> Judgement:
    """Return how bad ``record`` is over every layer given, and the first rule accepting it."""
    reasons = _source_reasons(record)
    if manifest is not None:
        reasons += _manifest_reasons(manifest)
    if live is not None:
        reasons += _live_reasons(record, live)
    if served is not None:
        severity = SERVED_SEVERITY[served.status]
        if severity is not OK:
            reasons.append(_reason(severity, "served", served.status, served.detail))
    accepted = None
    if rules:
        words = _Words(
            record,
            manifest.status if manifest is not None else None,
            live.status if live is not None else None,
            source_label,
        )
        accepted = next((rule for rule in rules if rule.matches(words)), None)
    if not reasons and accepted is None:
        return CLEAN
    reasons.sort(key=lambda r: -r.severity.rank)
    worst = reasons[0].severity if reasons else OK
    return Judgement(worst, tuple(reasons), accepted)


def judge_release(release: Release) -> Judgement:
    """Return how bad a release is: an ``error`` when a rollback to it would break pages."""
    severity = RELEASE_SEVERITY[release.status]
    if severity is OK:
        return CLEAN
    return Judgement(severity, (_reason(severity, "release", release.status, release.note),))


def judge_reference(
    problem: ReferenceProblem,
    kind: ReferenceKind,
    manifest: ManifestEntry | None,
    collected_by_hashing: bool,
) -> Reason:
    """Return how bad a reference's ``problem`` is and why. ``manifest`` is its path's entry
    (where a manifest storage keeps one); ``collected_by_hashing`` says the referring file is
    one a manifest storage's collectstatic rewrites (a CSS or JS file it collects)."""
    severity = REFERENCE_SEVERITY[problem]
    raises = manifest is not None and manifest.raises
    if problem == ReferenceProblem.NOT_FOUND:
        note = "no source has it: a 404 in development"
        if kind in _RENDERED and raises:
            note += ", a 500 in production ({% static %} raises)"
        elif kind in _REWRITTEN and collected_by_hashing:
            note += "; collectstatic fails on the file that names it"
    elif problem == ReferenceProblem.IGNORED_BY_COLLECT:
        note = "served in development, never collected: production 404s"
        if kind in _REWRITTEN and collected_by_hashing:
            note += " and collectstatic fails on the file that names it"
    elif problem == ReferenceProblem.MISSING_ENTRY:
        if manifest is not None and not manifest.raises:
            severity = WARNING  # a lenient manifest hashes the collected copy instead
        note = manifest.note if manifest is not None and manifest.note else "no manifest entry"
        return _reason(severity, "reference", ManifestStatus.MISSING_ENTRY, note)
    else:
        note = "the unhashed name is served: browsers and CDNs keep stale copies"
    return _reason(severity, "reference", problem, note)


def _reason(severity: Severity, layer: str, word: str, note: str) -> Reason:
    advice = _ADVICE.get(word)
    why = f"{note.rstrip('.')}: {advice}" if advice and note else (note or advice or word)
    return Reason(severity, layer, str(word), why)


def _source_reasons(record: PathRecord) -> list[Reason]:
    # Lists, not generators: most rows have nothing to say, and say it at once.
    reasons: list[Reason] = []
    severity = SOURCE_SEVERITY[record.status]
    if severity is not OK:
        shadowed = ", ".join(
            c.source for c in record.shadowed if c.identical_to_winner is not True
        ) or ", ".join(c.source for c in record.shadowed)
        winner = record.winner.source if record.winner else "no source"
        note = (
            f"{winner} hides other bytes from {shadowed}"
            if record.status == SourceStatus.CONFLICT
            else f"{winner} and {shadowed} hold the same bytes"
        )
        reasons.append(_reason(severity, "source", record.status, note))
    for flag in record.flags:
        note = {
            Flag.IGNORED_BY_COLLECT: "; ".join(record.notes)
            or "served in development, never collected",
            Flag.ORDER_MISMATCH: "development serves one file, collectstatic takes another",
            Flag.UNVERIFIED: "a candidate of the winner's size could not be compared",
        }[flag]
        reasons.append(_reason(FLAG_SEVERITY[flag], "source", flag, note))
    return reasons


def _manifest_reasons(entry: ManifestEntry) -> list[Reason]:
    reasons: list[Reason] = []
    severity = MANIFEST_SEVERITY[entry.status]
    if entry.status == ManifestStatus.MISSING_ENTRY and not entry.raises:
        severity = WARNING  # a lenient manifest hashes the collected copy instead
    if entry.status == ManifestStatus.UNKNOWN and entry.raises:
        severity = ERROR  # a manifest Django cannot load: every {% static %} raises
    if entry.breaks_collection:
        severity = ERROR
    if severity is not OK:
        reasons.append(_reason(severity, "manifest", entry.status, entry.note))
    for finding in entry.findings:
        kind = ManifestFinding(finding.kind)
        found = FINDING_SEVERITY[kind]
        if found is not OK:
            reasons.append(_reason(found, "manifest", kind, f"{finding.file}: {finding.detail}"))
    return reasons


def _live_reasons(record: PathRecord, entry: LiveEntry) -> list[Reason]:
    severity = LIVE_SEVERITY[entry.status]
    if entry.status == LiveStatus.MISSING and record.collect_winner is None:
        severity = INFO  # collection ignores it: never collected, by design
    if severity is not OK:
        return [_reason(severity, "live", entry.status, entry.note)]
    return []


# --- accepted findings --------------------------------------------------------------------------

ACCEPT_KEYS = ("path", "status", "flag", "live_status", "manifest", "source", "reason")
_WORDS_BY_KEY: Mapping[str, frozenset[str]] = {
    "status": frozenset(str(s) for s in SourceStatus),
    "flag": frozenset(str(f) for f in Flag),
    "live_status": frozenset(str(s) for s in LiveStatus),
    "manifest": frozenset(str(s) for s in ManifestStatus),
}


class InvalidRule(ValueError):
    """An ``ACCEPT`` rule that names an unknown key or word, or lacks a path or a reason."""


@dataclass(frozen=True, slots=True)
class _Words:
    """What a rule is matched against: the row and the words of its layers."""

    record: PathRecord
    manifest: str | None
    live: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class AcceptRule:
    """One ``ACCEPT`` rule: a path glob, optional words that must all hold, and a reason."""

    number: int  # 1-based position in the setting, for messages
    path: str
    reason: str
    status: str | None = None
    flag: str | None = None
    live_status: str | None = None
    manifest: str | None = None
    source: str | None = None

    def matches(self, words: _Words) -> bool:
        record = words.record
        return (
            fnmatch.fnmatchcase(record.path, self.path)
            and (self.status is None or record.status == self.status)
            and (self.flag is None or self.flag in record.flags)
            and (self.live_status is None or words.live == self.live_status)
            and (self.manifest is None or words.manifest == self.manifest)
            and (self.source is None or words.source == self.source)
        )

    def describe(self) -> str:
        """Return the rule as the settings spell it, e.g. ``path='admin/*', status='conflict'``."""
        keys = ("path", "status", "flag", "live_status", "manifest", "source")
        parts = [f"{key}={getattr(self, key)!r}" for key in keys if getattr(self, key) is not None]
        return f"rule {self.number} ({', '.join(parts)})"


def parse_rules(raw: object) -> tuple[AcceptRule, ...]:
    """Return the rules of ``ASSET_INSPECTOR["ACCEPT"]``; raise ``InvalidRule`` naming the
    first bad rule and what is wrong with it."""
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise InvalidRule(f"ACCEPT must be a list of rules (dicts), not {type(raw).__name__}")
    rules = []
    for number, rule in enumerate(raw, start=1):
        where = f"ACCEPT rule {number} ({rule!r})"
        if not isinstance(rule, Mapping):
            raise InvalidRule(f"{where} is not a dict")
        unknown = sorted(str(k) for k in set(rule) - set(ACCEPT_KEYS))
        if unknown:
            raise InvalidRule(
                f"{where} has unknown key(s) {', '.join(unknown)}; known: {', '.join(ACCEPT_KEYS)}"
            )
        for key in ("path", "reason"):
            if not isinstance(rule.get(key), str) or not rule[key].strip():
                raise InvalidRule(f"{where} needs a {key!r} (a non-empty string)")
        for key, words in _WORDS_BY_KEY.items():
            value = rule.get(key)
            if value is not None and value not in words:
                known = ", ".join(sorted(words))
                raise InvalidRule(f"{where}: {key}={value!r} is not a {key} word; one of {known}")
        source = rule.get("source")
        if source is not None and not isinstance(source, str):
            raise InvalidRule(f"{where}: source must be a source label (a string)")
        rules.append(
            AcceptRule(
                number,
                rule["path"],
                rule["reason"].strip(),
                rule.get("status"),
                rule.get("flag"),
                rule.get("live_status"),
                rule.get("manifest"),
                source,
            )
        )
    return tuple(rules)
