"""``manage.py inspect_assets``: every static path, which source wins it, and what it hides."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from inspector.filters import PathFilter, failing
from inspector.inventory import Inventory, PathRecord, get_inventory
from inspector.report import record_to_dict, write_csv
from inspector.status import Flag, LiveStatus, SourceStatus, all_values
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
            "statuses or flags, e.g. conflict,ignored-by-collect.",
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
        )
        if path_filter.live_statuses:
            self.stderr.write("Note: the live layer is not checked yet; no path has a live status.")
        inventory = get_inventory()
        records = list(path_filter.apply(inventory))
        with paused_gc():
            self._write(inventory, records, options["format"], options["hash"])
        for problem in inventory.problems:
            where = " ".join(x for x in (problem.source, problem.path and repr(problem.path)) if x)
            self.stderr.write(f"warning: {where}: {problem.message}")
        matched = failing(records, fail_on)
        if matched:
            raise CommandError(
                f"{len(matched)} path(s) match --fail-on {','.join(sorted(fail_on))}: "
                + ", ".join(r.path for r in matched[:5])
                + (" ..." if len(matched) > 5 else ""),
                returncode=1,
            )

    def _write(
        self, inventory: Inventory, records: Sequence[PathRecord], output: str, force_hash: bool
    ) -> None:
        if output == "json":
            # One object per line: greppable, and json's C encoder (indent= falls back to Python).
            lines = (
                json.dumps(record_to_dict(r, force_hash=force_hash), ensure_ascii=False)
                for r in records
            )
            self.stdout.write("[\n" + ",\n".join(lines) + "\n]")
        elif output == "csv":
            write_csv(records, self.stdout)
        else:
            self._write_table(inventory, records)

    def _write_table(self, inventory: Inventory, records: Sequence[PathRecord]) -> None:
        headers = ("PATH", "STATUS", "FLAGS", "WINNER", "CANDIDATES")
        rows = [
            tuple(
                _printable(cell)
                for cell in (
                    r.path,
                    r.status,
                    ",".join(r.flags) or "-",
                    r.winner.source if r.winner else "-",
                    str(len(r.candidates)),
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
        counts = inventory.counts()
        summary = ", ".join(f"{counts[s]} {s}" for s in SourceStatus if counts[s])
        self.stdout.write(
            f"\n{len(records)} of {len(inventory)} paths shown. All paths: {summary or 'none'}; "
            f"{len(inventory.sources)} sources, {len(inventory.problems)} problems."
        )


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
