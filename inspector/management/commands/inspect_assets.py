"""``manage.py inspect_assets``: every static path, which source wins it, and what it hides."""

from __future__ import annotations

import fnmatch
import json
from argparse import ArgumentParser
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from inspector.filters import PathFilter, failing
from inspector.inventory import Inventory, PathRecord, get_inventory
from inspector.manifest import ManifestReport, get_manifest_report
from inspector.report import record_to_dict, write_csv
from inspector.status import (
    Flag,
    LiveStatus,
    ManifestFinding,
    ManifestStatus,
    SourceStatus,
    all_values,
)
from inspector.utils import paused_gc

FORMATS = ("table", "json", "csv")


class Command(BaseCommand):
    help = (
        "List every static path the finders can see: which source wins it, which candidates it "
        "shadows, and whether they are identical copies or real conflicts."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="table", help="Output format.")
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            choices=[s.value for s in SourceStatus],
            help="Only paths with this source status (repeatable).",
        )
        parser.add_argument(
            "--flag",
            action="append",
            default=[],
            choices=[f.value for f in Flag],
            help="Only paths carrying this flag (repeatable).",
        )
        parser.add_argument(
            "--live-status",
            action="append",
            default=[],
            choices=[s.value for s in LiveStatus],
            help="Only paths with this live status (repeatable).",
        )
        parser.add_argument(
            "--manifest",
            action="append",
            default=[],
            choices=[s.value for s in ManifestStatus],
            help="Only paths with this manifest status (repeatable), e.g. missing-entry.",
        )
        parser.add_argument(
            "--path",
            action="append",
            default=[],
            metavar="GLOB",
            help="Only paths matching this shell-style pattern, e.g. 'admin/*.css' (repeatable).",
        )
        parser.add_argument(
            "--fail-on",
            default="",
            metavar="WORDS",
            help="Exit with status 1 if any listed path has one of these comma-separated "
            "statuses or flags, e.g. conflict,ignored-by-collect or "
            "missing-entry,stale,hashed-file-missing. A manifest status word also fails on a "
            "manifest that cannot be read.",
        )
        parser.add_argument(
            "--hash",
            action="store_true",
            help="Compute the md5 of every file, not only where a status needs it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fail_on = _parse_fail_on(options["fail_on"])
        path_filter = PathFilter(
            statuses=frozenset(options["status"]),
            flags=frozenset(options["flag"]),
            live_statuses=frozenset(options["live_status"]),
            globs=tuple(options["path"]),
            manifest_statuses=frozenset(options["manifest"]),
        )
        if path_filter.live_statuses:
            self.stderr.write("Note: the live layer is not checked yet; no path has a live status.")
        inventory = get_inventory()
        manifest = get_manifest_report(inventory)
        records = list(path_filter.apply(inventory, manifest))
        with paused_gc():
            self._write(inventory, manifest, records, options["format"], options["hash"])
        for problem in inventory.problems:
            where = " ".join(x for x in (problem.source, problem.path and repr(problem.path)) if x)
            self.stderr.write(f"warning: {where}: {problem.message}")
        self._warn_manifest(manifest)
        matched = [r.path for r in failing(records, fail_on, manifest)]
        matched += _manifest_only_failures(inventory, manifest, path_filter, fail_on)
        manifest_words = {str(s) for s in ManifestStatus} | {str(f) for f in ManifestFinding}
        if manifest.problems and fail_on & manifest_words:
            matched.append(f"(manifest: {manifest.problems[0]})")
        if matched:
            raise CommandError(
                f"{len(matched)} path(s) match --fail-on {','.join(sorted(fail_on))}: "
                + ", ".join(matched[:5])
                + (" ..." if len(matched) > 5 else ""),
                returncode=1,
            )

    def _warn_manifest(self, manifest: ManifestReport) -> None:
        for problem in manifest.problems:
            self.stderr.write(f"warning: manifest: {problem}")
        by_kind: dict[str, list[str]] = {}
        for finding in manifest.findings:
            by_kind.setdefault(str(finding.kind), []).append(finding.file)
        for kind, files in sorted(by_kind.items()):
            more = f" and {len(files) - 3} more" if len(files) > 3 else ""
            extra = ""
            if kind == ManifestFinding.ORPHANED_HASHED_FILE:
                extra = f" ({manifest.reclaimable_bytes:,} bytes reclaimable)"
            self.stderr.write(
                f"warning: manifest: {len(files)} {kind}{extra}: "
                + ", ".join(_printable(f) for f in files[:3])
                + more
            )

    def _write(
        self,
        inventory: Inventory,
        manifest: ManifestReport,
        records: Sequence[PathRecord],
        output: str,
        force_hash: bool,
    ) -> None:
        if output == "json":
            # One object per line: greppable, and json's C encoder (indent= falls back to Python).
            lines = (
                json.dumps(
                    record_to_dict(r, force_hash=force_hash, manifest=manifest), ensure_ascii=False
                )
                for r in records
            )
            self.stdout.write("[\n" + ",\n".join(lines) + "\n]")
        elif output == "csv":
            write_csv(records, self.stdout, manifest)
        else:
            self._write_table(inventory, manifest, records)

    def _write_table(
        self, inventory: Inventory, manifest: ManifestReport, records: Sequence[PathRecord]
    ) -> None:
        headers = ("PATH", "STATUS", "FLAGS", "WINNER", "CANDIDATES", "MANIFEST")
        rows = [
            tuple(
                _printable(cell)
                for cell in (
                    r.path,
                    r.status,
                    ",".join(r.flags) or "-",
                    r.winner.source if r.winner else "-",
                    str(len(r.candidates)),
                    manifest.entry(r.path).status,
                )
            )
            for r in records
        ]
        widths = [
            min(60, max([len(header), *(len(row[i]) for row in rows)]))
            for i, header in enumerate(headers)
        ]
        for row in [headers, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
            self.stdout.write("  ".join(cells).rstrip())
        # Before the paths summary: scripts read that one from the last line.
        self.stdout.write("\n" + _manifest_summary(manifest))
        counts = inventory.counts()
        summary = ", ".join(f"{counts[s]} {s}" for s in SourceStatus if counts[s])
        self.stdout.write(
            f"\n{len(records)} of {len(inventory)} paths shown. All paths: {summary or 'none'}; "
            f"{len(inventory.sources)} sources, {len(inventory.problems)} problems."
        )


def _manifest_summary(manifest: ManifestReport) -> str:
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


def _manifest_only_failures(
    inventory: Inventory, manifest: ManifestReport, path_filter: PathFilter, fail_on: set[str]
) -> list[str]:
    """Return the paths only the manifest knows (no source any more) that match ``fail_on``."""
    failed = []
    for path in manifest.paths():
        if inventory.get(path) is not None:
            continue
        if path_filter.globs and not any(fnmatch.fnmatchcase(path, g) for g in path_filter.globs):
            continue
        entry = manifest.entry(path)
        if fail_on & ({str(entry.status)} | {str(f.kind) for f in entry.findings}):
            failed.append(path)
    return failed


def _parse_fail_on(value: str) -> set[str]:
    words = {w.strip() for w in value.split(",") if w.strip()}
    unknown = sorted(words - all_values())
    if unknown:
        raise CommandError(
            f"--fail-on: unknown word(s) {', '.join(unknown)}. "
            f"Known: {', '.join(sorted(all_values()))}.",
            returncode=2,
        )
    return words


def _printable(path: str) -> str:
    """Keep a cell on one line of the table even if a file or folder name holds control
    characters."""
    return path.encode("unicode_escape").decode("ascii") if not path.isprintable() else path
