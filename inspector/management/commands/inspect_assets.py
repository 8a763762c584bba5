"""``manage.py inspect_assets``: every static path, which source wins it, and what it hides."""

from __future__ import annotations

import gc
from argparse import ArgumentParser
from dataclasses import replace
from typing import Any

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError

from inspector.core.diffs import live_diff
from inspector.core.layers import Layers, current_layers
from inspector.core.rows import write_csv, write_json
from inspector.core.selection import PathFilter, UnknownWords, failures, parse_fail_on
from inspector.core.status import Flag, LiveStatus, ManifestStatus, SourceStatus
from inspector.management.text import warnings, write_table

FORMATS = ("table", "json", "csv")


class Command(BaseCommand):
    help = (
        "List every static path the finders can see: which source wins it, which candidates it "
        "shadows, and whether they are identical copies or real conflicts."
    )
    # What collectstatic checks: the URLconf and the models are no business of this command,
    # and loading them (every view module) costs more than some whole answers.
    requires_system_checks = [Tags.staticfiles]

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="table", help="Output format.")
        for option, words, meaning in (
            ("--status", SourceStatus, "with this source status"),
            ("--flag", Flag, "carrying this flag"),
            ("--live-status", LiveStatus, "with this live status"),
            ("--manifest", ManifestStatus, "with this manifest status (e.g. missing-entry)"),
        ):
            parser.add_argument(
                option,
                action="append",
                default=[],
                choices=[str(w) for w in words],
                help=f"Only paths {meaning} (repeatable).",
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
            "--no-live",
            action="store_true",
            help="Do not compare with the collected storage (live_status is then null).",
        )
        parser.add_argument(
            "--probe",
            action="store_true",
            help="Request the served URL of every listed path (bounded: PROBE_CONCURRENCY, "
            "TIMEOUT, PROBE_BUDGET) and compare it with the collected copy.",
        )
        parser.add_argument(
            "--base-url",
            metavar="URL",
            help="Where a relative STATIC_URL is served from, e.g. https://www.example.com "
            "(for --probe).",
        )
        parser.add_argument(
            "--diff",
            metavar="PATH",
            help="Print the diff from the collected copy of PATH to its source now, and exit.",
        )
        parser.add_argument(
            "--hash",
            action="store_true",
            help="Compute the md5 of every file, not only where a status needs it.",
        )

    def run_from_argv(self, argv: list[str]) -> None:
        # The process exits after this command: the cyclic collector's passes over tens of
        # thousands of acyclic records would free nothing that exiting does not free anyway.
        # call_command (tests, long-lived processes) does not come through here.
        gc.disable()
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            fail_on = parse_fail_on(options["fail_on"])
        except UnknownWords as exc:
            raise CommandError(f"--fail-on: {exc}", returncode=2) from exc
        path_filter = PathFilter(
            statuses=frozenset(options["status"]),
            flags=frozenset(options["flag"]),
            live_statuses=frozenset(options["live_status"]),
            globs=tuple(options["path"]),
            manifest_statuses=frozenset(options["manifest"]),
        )
        base_url = options["base_url"]
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must be an http(s) URL, not {base_url!r}", returncode=2)
        live = not options["no_live"]
        if options["probe"] and not live:
            raise CommandError(
                "--probe compares with the collected copies: drop --no-live.", returncode=2
            )
        if not live and path_filter.live_statuses:
            raise CommandError("--live-status needs the live layer: drop --no-live.", returncode=2)
        if options["diff"] is not None and not live:
            raise CommandError("--diff needs the live layer: drop --no-live.", returncode=2)
        layers = current_layers(live=live)
        if options["diff"] is not None:
            self._write_diff(layers, options["diff"])
            return
        records = list(path_filter.apply(layers.records, layers))
        if options["probe"]:
            from inspector.served.targets import run_probe

            layers = replace(layers, served=run_probe(layers, records, base_url))
        output = options["format"]
        if output == "json":
            write_json(records, self.stdout, layers, force_hash=options["hash"])
        elif output == "csv":
            write_csv(records, self.stdout, layers)
        else:
            write_table(layers, records, self.stdout.write)
        for line in warnings(layers):
            self.stderr.write(line)
        matched = failures(layers, records, path_filter, fail_on)
        if matched:
            raise CommandError(
                f"{len(matched)} path(s) match --fail-on {','.join(sorted(fail_on))}: "
                + ", ".join(matched[:5])
                + (" ..." if len(matched) > 5 else ""),
                returncode=1,
            )

    def _write_diff(self, layers: Layers, path: str) -> None:
        record = layers.get(path)
        if record is None or layers.live is None:
            raise CommandError(f"no source and no collected file has {path!r}", returncode=2)
        entry = layers.live.entry(path)
        diff = live_diff(record, entry, layers.live)
        if diff is None:
            self.stdout.write(f"{path}: {entry.status} ({entry.note}); nothing to diff.")
        elif diff.skipped:
            self.stdout.write(f"{path}: {entry.status}; no diff: {diff.skipped}.")
        else:
            self.stdout.write("\n".join(line.text for line in diff.lines))
            if diff.truncated:
                self.stdout.write("... (cut short: DIFF_MAX_LINES)")
