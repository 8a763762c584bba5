"""``manage.py inspect_assets``: every static path, which source wins it, and what it hides."""

from __future__ import annotations

from argparse import ArgumentParser, RawDescriptionHelpFormatter
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.conf import settings
from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inspector.conf import get_config
from inspector.core.layers import current_layers
from inspector.core.loading import loading_over
from inspector.core.selection import PathFilter, UnknownWords, failures, parse_fail_on
from inspector.core.status import Flag, LiveStatus, ManifestStatus, Severity, SourceStatus
from inspector.management.answers import write_answer, write_diff, write_rows
from inspector.management.columns import warning_writer
from inspector.management.process import owned_process
from inspector.management.references import add_reference_arguments, run_references
from inspector.management.text import EXIT_CODES, warnings
from inspector.management.timings import step, timings_to

FORMATS = ("table", "json", "csv")
SEVERITIES = tuple(Severity)


class Command(BaseCommand):
    help = (
        "List every static path the finders can see: which source wins it, which candidates it "
        "shadows, whether they are identical copies or real conflicts, and how bad each row is."
    )
    # What collectstatic checks: the URLconf and the models are no business of this command,
    # and loading them (every view module) costs more than some whole answers.
    requires_system_checks = [Tags.staticfiles]

    def get_version(self) -> str:
        """Return this package's version for ``--version`` (Django's own is Django's)."""
        try:
            return version("django-asset-inspector")
        except PackageNotFoundError:  # run from a checkout that was never installed
            return "unknown (not installed)"

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        parser.epilog = EXIT_CODES
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="table", help="Output format.")
        for option, words, meaning in (
            ("--status", SourceStatus, "with this source status"),
            ("--flag", Flag, "carrying this flag"),
            ("--live-status", LiveStatus, "with this live status"),
            ("--manifest", ManifestStatus, "with this manifest status (e.g. missing-entry)"),
            ("--severity", SEVERITIES, "of this severity"),
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
            help="Exit with status 1 if any listed path that no ACCEPT rule accepts has one of "
            "these comma-separated words: a severity (error, or warning: that severity or "
            "worse) or a status or flag, e.g. conflict,missing-entry. A manifest or severity "
            "word also fails on a manifest that cannot be read, a live or severity word on a "
            "collected storage that cannot be listed.",
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
            "--invalidation-paths",
            action="store_true",
            help="Print the URL paths a CDN in front of STATIC_URL must invalidate once the "
            "current differences are collected (--format json: an array), and exit.",
        )
        parser.add_argument(
            "--compare-releases",
            nargs=2,
            metavar=("A", "B"),
            help="Print every path whose manifest entry differs from release A to release B "
            "(the release-specific manifest pattern), and exit.",
        )
        parser.add_argument(
            "--hash",
            action="store_true",
            help="Compute the md5 of every file, not only where a status needs it.",
        )
        add_reference_arguments(parser)

    def run_from_argv(self, argv: list[str]) -> None:
        with owned_process(argv):
            super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        loading_over()
        with timings_to(self.stderr if options["verbosity"] >= 2 else None):
            self.answer(options)

    def answer(self, options: dict[str, Any]) -> None:
        if options["references"] or options["kind"] or options["problem"]:
            return run_references(options, self.stdout, self.stderr)
        try:
            fail_on = parse_fail_on(options["fail_on"])
        except UnknownWords as exc:
            raise CommandError(f"--fail-on: {exc}", returncode=2) from exc
        options["live"] = options["live_status"]  # the facet's name for --live-status
        facets = {
            f: frozenset(options[f]) for f in ("status", "flag", "live", "manifest", "severity")
        }
        path_filter = PathFilter(facets=facets, globs=tuple(options["path"]))
        base_url = options["base_url"] or get_config()["BASE_URL"]
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must be an http(s) URL, not {base_url!r}", returncode=2)
        live = not options["no_live"]
        if options["probe"] and not live:
            raise CommandError(
                "--probe compares with the collected copies: drop --no-live.", returncode=2
            )
        if not live and facets["live"]:
            raise CommandError("--live-status needs the live layer: drop --no-live.", returncode=2)
        if options["diff"] is not None and not live:
            raise CommandError("--diff needs the live layer: drop --no-live.", returncode=2)
        layers = current_layers(live=live)
        absolute = str(settings.STATIC_URL or "").startswith(("http://", "https://"))
        if options["probe"] and base_url is None and not absolute:
            raise CommandError(
                f"--probe: STATIC_URL ({settings.STATIC_URL}) is relative: give --base-url or set "
                'ASSET_INSPECTOR["BASE_URL"] (where the site is served, e.g. https://example.com).',
                returncode=2,
            )
        if options["diff"] is not None:
            write_diff(layers, options["diff"], self.stdout.write)
            return
        if options["invalidation_paths"] or options["compare_releases"]:
            write_answer(layers, options, path_filter, self.stdout)
            return
        records = list(path_filter.apply(layers.records, layers))
        if options["probe"]:
            from inspector.served.targets import run_probe

            with step("probing the served URLs"):
                layers = replace(layers, served=run_probe(layers, records, base_url))
        write_rows(layers, records, options, self.stdout, self.stderr)
        warn = warning_writer(self.stderr, options)
        for line in warnings(layers):
            warn(line)
        matched = failures(layers, records, path_filter, fail_on)
        if matched:
            raise CommandError(
                f"{len(matched)} path(s) match --fail-on {','.join(sorted(fail_on))}: "
                + ", ".join(matched[:5])
                + (" ..." if len(matched) > 5 else ""),
                returncode=1,
            )
