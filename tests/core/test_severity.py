"""One severity rule: every status of every layer maps to a severity, and ACCEPT rules."""

from __future__ import annotations

import pytest

from inspector.core.live import LiveEntry
from inspector.core.manifest.report import ManifestEntry
from inspector.core.manifest.verdicts import Finding
from inspector.core.records import Candidate, PathRecord
from inspector.core.served import ServedResult
from inspector.core.severity import (
    FINDING_SEVERITY,
    FLAG_SEVERITY,
    LIVE_SEVERITY,
    MANIFEST_SEVERITY,
    SERVED_SEVERITY,
    SOURCE_SEVERITY,
    InvalidRule,
    judge,
    parse_rules,
)
from inspector.core.status import (
    Flag,
    LiveStatus,
    ManifestFinding,
    ManifestStatus,
    ServedStatus,
    Severity,
    SourceStatus,
)

E, W, INFO, OK = Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.OK


def candidate(source: str = "app:a", *, identical: bool | None = True) -> Candidate:
    return Candidate(source, f"/src/{source}/x.css", None, identical, collectable=True)


def record(
    status: SourceStatus = SourceStatus.UNIQUE,
    flags: tuple[Flag, ...] = (),
    *,
    collected: bool = True,
    path: str = "css/x.css",
) -> PathRecord:
    candidates = (candidate(),)
    if status in (SourceStatus.DUPLICATE, SourceStatus.CONFLICT):
        candidates += (candidate("app:b", identical=status == SourceStatus.DUPLICATE),)
    if status == SourceStatus.ABSENT:
        candidates = ()
    return PathRecord(path, status, flags, candidates, 0 if collected and candidates else None)


def manifest(
    status: ManifestStatus = ManifestStatus.OK,
    *,
    raises: bool = False,
    breaks: bool = False,
    findings: tuple[Finding, ...] = (),
) -> ManifestEntry:
    return ManifestEntry("css/x.css", status, None, None, None, "a note", findings, raises, breaks)


def live(status: LiveStatus = LiveStatus.CURRENT) -> LiveEntry:
    return LiveEntry("css/x.css", status, note="a live note")


# --- the table: every word of every layer -------------------------------------------------------


def test_every_word_of_every_layer_has_a_severity() -> None:
    assert set(SOURCE_SEVERITY) == set(SourceStatus)
    assert set(FLAG_SEVERITY) == set(Flag)
    assert set(LIVE_SEVERITY) == set(LiveStatus)
    assert set(MANIFEST_SEVERITY) == set(ManifestStatus)
    assert set(FINDING_SEVERITY) == set(ManifestFinding)
    assert set(SERVED_SEVERITY) == set(ServedStatus)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (SourceStatus.UNIQUE, OK),
        (SourceStatus.DUPLICATE, INFO),
        (SourceStatus.CONFLICT, W),
        (SourceStatus.ABSENT, OK),
    ],
)
def test_source_status(status: SourceStatus, expected: Severity) -> None:
    assert judge(record(status), manifest(), live()).severity == expected


@pytest.mark.parametrize(
    ("flag", "expected"),
    [(Flag.IGNORED_BY_COLLECT, INFO), (Flag.ORDER_MISMATCH, W), (Flag.UNVERIFIED, W)],
)
def test_flags(flag: Flag, expected: Severity) -> None:
    assert judge(record(flags=(flag,)), manifest(), live()).severity == expected


@pytest.mark.parametrize(
    ("status", "collected", "expected"),
    [
        (LiveStatus.CURRENT, True, OK),
        (LiveStatus.MODIFIED, True, W),
        (LiveStatus.MISSING, True, W),
        # Collection ignores it: missing by design, never collected.
        (LiveStatus.MISSING, False, INFO),
        (LiveStatus.ORPHANED, True, INFO),
        (LiveStatus.UNKNOWN, True, INFO),
    ],
)
def test_live_status(status: LiveStatus, collected: bool, expected: Severity) -> None:
    assert judge(record(collected=collected), manifest(), live(status)).severity == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (manifest(ManifestStatus.OK), OK),
        (manifest(ManifestStatus.NOT_APPLICABLE), OK),
        # A strict manifest (or no collected copy) raises: a 500 wherever the path is used.
        (manifest(ManifestStatus.MISSING_ENTRY, raises=True), E),
        # A lenient manifest falls back to hashing the collected copy at request time.
        (manifest(ManifestStatus.MISSING_ENTRY, raises=False), W),
        (manifest(ManifestStatus.STALE), W),
        (manifest(ManifestStatus.HASHED_FILE_MISSING), E),
        (manifest(ManifestStatus.UNKNOWN), INFO),
        # A manifest Django cannot load makes every {% static %} raise.
        (manifest(ManifestStatus.UNKNOWN, raises=True), E),
        # collectstatic itself fails on the path.
        (manifest(ManifestStatus.UNKNOWN, breaks=True), E),
    ],
)
def test_manifest_status(entry: ManifestEntry, expected: Severity) -> None:
    assert judge(record(), entry, live()).severity == expected


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (ManifestFinding.ENTRY_WITHOUT_SOURCE, INFO),
        (ManifestFinding.ORPHANED_HASHED_FILE, INFO),
        (ManifestFinding.COMPRESSED_MISMATCH, W),
        (ManifestFinding.COMPRESSED_MISSING, INFO),
    ],
)
def test_manifest_findings(kind: ManifestFinding, expected: Severity) -> None:
    found = Finding(kind, "css/x.css", "css/x.abc.css.gz", 10, "detail")
    assert judge(record(), manifest(findings=(found,)), live()).severity == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (ServedStatus.OK, OK),
        (ServedStatus.HTTP_ERROR, E),
        (ServedStatus.STALE, W),
        (ServedStatus.HEADERS, W),
        (ServedStatus.UNCHECKED, OK),
    ],
)
def test_served_status(status: ServedStatus, expected: Severity) -> None:
    served = ServedResult("css/x.css", "http://x/css/x.css", status, 404, "HTTP 404")
    assert judge(record(), manifest(), live(), served).severity == expected


def test_the_worst_layer_wins_and_leads_the_reasons() -> None:
    judgement = judge(
        record(SourceStatus.DUPLICATE),
        manifest(ManifestStatus.MISSING_ENTRY, raises=True),
        live(LiveStatus.MODIFIED),
    )
    assert judgement.severity == E
    assert [r.severity for r in judgement.reasons] == [E, W, INFO]
    assert judgement.headline is not None and judgement.headline.word == "missing-entry"
    assert "a note" in judgement.headline.why and "collect again" in judgement.headline.why


def test_a_row_with_nothing_wrong_is_ok_with_no_reason() -> None:
    judgement = judge(record(), manifest(), live())
    assert judgement.severity == OK and judgement.reasons == () and judgement.headline is None


# --- ACCEPT rules --------------------------------------------------------------------------------

THEME = {"path": "admin/*", "status": "conflict", "source": "app:a", "reason": "our theme"}


def test_a_matching_rule_accepts_the_row_and_keeps_its_severity() -> None:
    rules = parse_rules([THEME])
    row = record(SourceStatus.CONFLICT, path="admin/css/base.css")
    judgement = judge(row, manifest(), live(), rules=rules, source_label="app:a")
    assert judgement.severity == W
    assert judgement.accepted is not None and judgement.accepted.reason == "our theme"


@pytest.mark.parametrize(
    "changed",
    [
        {"path": "css/*"},  # another path
        {"status": "duplicate"},  # another status
        {"source": "app:b"},  # another winner
        {"live_status": "modified"},
        {"manifest": "stale"},
        {"flag": "order-mismatch"},
    ],
)
def test_every_key_of_a_rule_must_hold(changed: dict[str, str]) -> None:
    rules = parse_rules([{**THEME, **changed}])
    row = record(SourceStatus.CONFLICT, path="admin/css/base.css")
    assert judge(row, manifest(), live(), rules=rules, source_label="app:a").accepted is None


def test_the_first_matching_rule_accepts() -> None:
    rules = parse_rules([{"path": "*", "reason": "first"}, {"path": "*", "reason": "second"}])
    assert judge(record(), manifest(), live(), rules=rules).accepted.reason == "first"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("admin/*", "must be a list"),
        ([["admin/*"]], "rule 1"),
        ([{"path": "a/*", "reason": "x", "stauts": "conflict"}], "unknown key(s) stauts"),
        ([{"path": "a/*", "status": "conflict"}], "needs a 'reason'"),
        ([{"status": "conflict", "reason": "x"}], "needs a 'path'"),
        ([{"path": "a/*", "reason": " "}], "needs a 'reason'"),
        ([{"path": "a/*", "reason": "x", "status": "conflicts"}], "status='conflicts'"),
        ([{"path": "a/*", "reason": "x", "flag": "ignored"}], "flag='ignored'"),
        ([{"path": "a/*", "reason": "x", "live_status": "gone"}], "live_status='gone'"),
        ([{"path": "a/*", "reason": "x", "manifest": "missing"}], "manifest='missing'"),
        ([THEME, {"path": "b/*", "reason": "x", "source": 3}], "rule 2"),
    ],
)
def test_a_malformed_rule_is_named(rules: object, message: str) -> None:
    with pytest.raises(InvalidRule, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rules(rules)
