"""The CLI's words for people: the table, its summaries, and the warnings on stderr."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from django.core.management.color import Style

from ..core.layers import Layers
from ..core.live import LiveReport
from ..core.manifest.report import ManifestReport
from ..core.paths import printable
from ..core.records import PathRecord
from ..core.references.model import Reference, ReferenceScan
from ..core.status import (
    LiveStatus,
    ManifestFinding,
    ManifestStatus,
    ReferenceKind,
    ReferenceProblem,
    ReleaseStatus,
    Severity,
    SourceStatus,
)
from .columns import Cell, Column, Listing, Write, wrapping, write_columns

# The paths table: the path takes the width the others leave; labels and lists shorten.
# Too narrow a terminal loses STATUS first (SHADOWS says it too: none, identical, differs).
PATH_COLUMNS = (
    Column("PATH", rest=True, minimum=24),
    Column("SEVERITY", severity=True),
    Column("STATUS", drop=1),
    Column("FLAGS", elastic=True, minimum=10, drop=2),
    Column("WINNER", elastic=True, minimum=12, drop=3),
    Column("SHADOWS", elastic=True, minimum=20),
    Column("LIVE", drop=4),
    Column("MANIFEST"),
)
SERVED_COLUMN = Column("SERVED")
# How a shadowed file compares with the winner, in the SHADOWS column (as on the pages).
SAMENESS = {True: "identical", False: "differs", None: "not compared"}

EXIT_CODES = """exit status:
  0  the listed paths (or references) were inspected and none matches --fail-on
  1  a listed path (not accepted by an ACCEPT rule) or reference matches --fail-on, or a
     layer --fail-on asks about could not be checked at all
  2  bad arguments, or options that cannot work here (the message says which)"""


def write_table(
    layers: Layers,
    records: Sequence[PathRecord],
    write: Write,
    *,
    width: int | None = None,
    style: Style | None = None,
) -> None:
    """Write the table of ``records`` (fitted to ``width``, coloured in ``style``) and the
    summaries; the paths summary comes last."""
    columns = PATH_COLUMNS + ((SERVED_COLUMN,) if layers.served is not None else ())
    rows = [_cells(layers, r) for r in records]
    left_out = write_columns(columns, rows, write, width=width, style=style)
    write = wrapping(write, width)
    if left_out:
        write(left_out_note(left_out, width))
    # Before the paths summary: scripts read that one from the last line (whole where no
    # width is fitted: a pipe or a file without COLUMNS).
    write("\n" + severity_summary(layers))
    write(manifest_summary(layers.manifest))
    if layers.manifest.releases:
        write(releases_summary(layers.manifest))
    if layers.live is not None:
        write(live_summary(layers.live))
    counts = layers.counts
    summary = ", ".join(f"{counts[s]} {s}" for s in SourceStatus if counts[s])
    inventory = layers.inventory
    write(
        f"\n{len(records)} of {len(layers.records)} paths shown. "
        f"All paths: {summary or 'none'}; {len(inventory.sources)} sources, "
        f"{len(inventory.problems)} problems."
    )


def left_out_note(headers: Sequence[str], width: int | None) -> str:
    return f"(Left out to fit {width} columns: {', '.join(headers)}; --format csv has all.)"


def severity_summary(layers: Layers) -> str:
    """Return the line that leads with what breaks: counts by severity, accepted apart."""
    counts = layers.severity_counts
    words = (
        (Severity.ERROR, "will break production"),
        (Severity.WARNING, "differ from the sources"),
        (Severity.INFO, "worth knowing"),
    )
    parts = [f"{counts[severity]} {severity} ({meaning})" for severity, meaning in words]
    parts.append(f"{counts['accepted']} accepted")
    return "Severity: " + ", ".join(parts) + "."


def _cells(layers: Layers, record: PathRecord) -> list[Cell]:
    cells: list[Cell] = [
        record.path,
        layers.severity(record.path),
        record.status,
        ",".join(record.flags) or "-",
        record.winner.source if record.winner else "-",
        Listing(tuple((c.source, SAMENESS[c.identical_to_winner]) for c in record.shadowed)),
        layers.live_status(record.path) or "-",
        layers.manifest_status(record.path),
    ]
    if layers.served is not None:
        cells.append(layers.served_status(record.path) or "-")
    return cells


def manifest_summary(manifest: ManifestReport) -> str:
    if not manifest.applicable:
        return f"Manifest: n/a ({manifest.storage_class} keeps no manifest)."
    counts = manifest.counts()
    statuses = ", ".join(f"{counts[s]} {s}" for s in ManifestStatus if counts[s])
    strict = {True: "strict: a missing entry is a 500", False: "not strict: silent fallback"}
    details = [
        f"version {manifest.version}" if manifest.version else "",
        f"hash {manifest.manifest_hash}" if manifest.manifest_hash else "",
        f"{manifest.entry_count} entries",
        strict.get(manifest.strict, "") if manifest.strict is not None else "",
    ]
    return (
        f"Manifest: {manifest.location} ({', '.join(d for d in details if d)}): "
        f"{statuses or 'no paths'}; {len(manifest.findings)} manifest-wide findings, "
        f"{len(manifest.problems)} problems."
    )


def releases_summary(manifest: ManifestReport) -> str:
    """Return the line that lists the releases (the release-specific manifest pattern)."""
    described = ", ".join(
        f"{r.id}{' (configured)' if r.configured else ''}: {r.entries} entries"
        + ("" if r.status == ReleaseStatus.OK else f", {r.status}")
        for r in manifest.releases
    )
    return printable(f"Releases: {described}.")


def live_summary(live: LiveReport) -> str:
    if not live.checked:
        why = live.problems[0] if live.problems else "nothing to compare"
        return f"Live: {live.location or 'no collected storage'}: not checked ({why})."
    counts = live.counts()
    statuses = ", ".join(f"{counts[s]} {s}" for s in LiveStatus if counts[s])
    return (
        f"Live: {live.location} ({live.file_count} files listed in "
        f"{live.listing_seconds:.2f} s): {statuses}."
    )


def warnings(layers: Layers) -> Iterator[str]:
    """Yield a ``warning:`` line for everything a layer could not check."""
    for problem in layers.inventory.problems:
        where = " ".join(x for x in (problem.source, problem.path and repr(problem.path)) if x)
        yield printable(f"warning: {where}: {problem.message}")
    manifest = layers.manifest
    for message in manifest.problems:
        yield printable(f"warning: manifest: {message}")
    by_kind: dict[str, list[str]] = {}
    for finding in manifest.findings:
        by_kind.setdefault(str(finding.kind), []).append(finding.file)
    for kind, files in sorted(by_kind.items()):
        more = f" and {len(files) - 3} more" if len(files) > 3 else ""
        extra = ""
        if kind == ManifestFinding.ORPHANED_HASHED_FILE:
            extra = f" ({manifest.reclaimable_bytes:,} bytes reclaimable)"
        shown = ", ".join(printable(f) for f in files[:3])
        yield f"warning: manifest: {len(files)} {kind}{extra}: {shown}{more}"
    for release in manifest.releases:
        if release.status != ReleaseStatus.OK:
            yield printable(f"warning: release {release.id}: {release.status}: {release.note}")
    for message in layers.live.problems if layers.live else ():
        yield printable(f"warning: live: {message}")
    for rule in layers.stale_rules:
        yield printable(
            f"warning: ACCEPT {rule.describe()} matches no path: a stale acceptance, remove it"
        )


# The references table: the reference takes the width the others leave.
REFERENCE_COLUMNS = (
    Column("SEVERITY", severity=True),
    Column("PROBLEM"),
    Column("KIND", drop=1),
    Column("ORIGIN", elastic=True, minimum=16),
    Column("REFERENCE", rest=True, minimum=16),
    Column("PATH", elastic=True, minimum=12, drop=2),
)


def write_reference_table(
    scan: ReferenceScan,
    refs: Sequence[Reference],
    write: Write,
    *,
    width: int | None = None,
    style: Style | None = None,
) -> None:
    """Write the table of ``refs`` (origin files relative to the current folder where they are
    inside it; fitted to ``width``, coloured in ``style``) and the references summary last."""
    here = os.path.join(os.getcwd(), "")
    rows = [
        (
            ref.severity,
            ref.problem or "-",
            ref.kind,
            f"{ref.origin.file.removeprefix(here)}:{ref.origin.line}",
            ref.reference,
            ref.path or "-",
        )
        for ref in refs
    ]
    left_out = write_columns(REFERENCE_COLUMNS, rows, write, width=width, style=style)
    write = wrapping(write, width)
    if left_out:
        write(left_out_note(left_out, width))
    write("\n" + reference_summary(scan, len(refs)))


def reference_summary(scan: ReferenceScan, shown: int) -> str:
    """Return the line that says what was scanned and found, by kind and by problem."""
    counts = scan.counts
    kinds = ", ".join(f"{counts[k]} {k}" for k in ReferenceKind if counts[k])
    problems = ", ".join(f"{counts[p]} {p}" for p in ReferenceProblem if counts[p])
    files = scan.files
    return (
        f"{shown} of {len(scan)} references shown. Scanned {files['templates']} templates, "
        f"{files['css/js']} CSS/JS files and {files['python']} Python modules in "
        f"{scan.seconds:.2f} s: {kinds or 'no references'}; problems: {problems or 'none'}."
    )


def reference_warnings(scan: ReferenceScan) -> Iterator[str]:
    """Yield a ``warning:`` line for each file the scan could not read, and each note."""
    for problem in scan.problems:
        where = problem.file + (f":{problem.line}" if problem.line else "")
        yield printable(f"warning: references: {where}: {problem.message}")
    for note in scan.notes:
        yield printable(f"warning: references: {note}")
