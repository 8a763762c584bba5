"""``manage.py inspect_assets``: every static path, which source wins it, and what it hides."""

from __future__ import annotations

import fnmatch
import gc
import json
from argparse import ArgumentParser
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError

from inspector.deployed import LiveReport
from inspector.filters import PathFilter, failing
from inspector.inventory import PathRecord
from inspector.layers import KeptAnswer, Layers, command_inputs, command_layers
from inspector.manifest import ManifestReport
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


# Every option that changes what a kept answer says (see layers.KeptAnswer).
_ANSWER_OPTIONS = (
    "format",
    "status",
    "flag",
    "live_status",
    "manifest",
    "path",
    "fail_on",
    "hash",
)


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
        """Run from the command line without the cyclic garbage collector.

        The process exits after this command: the collector's passes, and its final one at
        exit, would walk every record, stamp and listing of the run (a tenth of a second at
        20,000 files) to free nothing that exiting does not free anyway. ``call_command``
        (tests, long-lived processes) does not come through here and is left alone.
        """
        gc.disable()
        try:
            super().run_from_argv(argv)
        finally:
            gc.freeze()

    def handle(self, *args: Any, **options: Any) -> None:
        fail_on = _parse_fail_on(options["fail_on"])
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
        if options["probe"] and options["no_live"]:
            raise CommandError(
                "--probe compares with the collected copies: drop --no-live.", returncode=2
            )
        if options["no_live"] and path_filter.live_statuses:
            raise CommandError("--live-status needs the live layer: drop --no-live.", returncode=2)
        live = not options["no_live"]
        # The table says how long the listing took, and probes and diffs ask the network and
        # the bytes now: only JSON and CSV answers are kept for a run on the same inputs.
        keepable = options["format"] in ("json", "csv") and not options["probe"]
        kept = KeptAnswer.fetch() if keepable and options["diff"] is None else None
        inputs = command_inputs(live=live)
        if options["diff"] is not None:
            self._write_diff(command_layers(live=live, inputs=inputs), options["diff"])
            return
        signature = None
        if kept is not None:
            signature = inputs.signature(extra=[options[k] for k in _ANSWER_OPTIONS])
            if kept.replay(signature, self.stdout, self.stderr):
                return
        layers = command_layers(live=live, inputs=inputs)
        if signature is None:
            self._answer(layers, path_filter, fail_on, options)
            return
        answer = KeptAnswer(signature)
        real_out, real_err = self.stdout, self.stderr
        self.stdout, self.stderr = answer.recorders(real_out, real_err)  # type: ignore[assignment]
        finished = False
        try:
            self._answer(layers, path_filter, fail_on, options)
            finished = True
        except CommandError as exc:
            answer.error, finished = (str(exc), exc.returncode), True
            raise
        finally:
            self.stdout, self.stderr = real_out, real_err
            if finished:  # never an answer cut short by a crash
                answer.keep()

    def _answer(
        self,
        layers: Layers,
        path_filter: PathFilter,
        fail_on: set[str],
        options: dict[str, Any],
    ) -> None:
        inventory = layers.inventory
        manifest = layers.manifest
        assert manifest is not None
        records = list(path_filter.apply(layers.records, layers))
        if options["probe"]:
            from inspector.probes import run_probe

            layers = replace(layers, served=run_probe(layers, records, options["base_url"]))
        with paused_gc():
            self._write(layers, records, options["format"], options["hash"])
        for problem in inventory.problems:
            where = " ".join(x for x in (problem.source, problem.path and repr(problem.path)) if x)
            self.stderr.write(f"warning: {where}: {problem.message}")
        self._warn_manifest(manifest)
        for problem in layers.live.problems if layers.live else ():
            self.stderr.write(f"warning: live: {problem}")
        matched = [r.path for r in failing(records, fail_on, layers)]
        matched += _manifest_only_failures(layers, manifest, path_filter, fail_on)
        manifest_words = {str(s) for s in ManifestStatus} | {str(f) for f in ManifestFinding}
        if manifest.problems and fail_on & manifest_words:
            matched.append(f"(manifest: {manifest.problems[0]})")
        if layers.live and not layers.live.checked and fail_on & {str(s) for s in LiveStatus}:
            matched.append(f"(live: {layers.live.problems[0] if layers.live.problems else '?'})")
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

    def _write_diff(self, layers: Layers, path: str) -> None:
        from inspector.details import live_diff

        record = layers.get(path)
        if record is None:
            raise CommandError(f"no source and no collected file has {path!r}", returncode=2)
        if layers.live is None:
            raise CommandError("--diff needs the live layer: drop --no-live.", returncode=2)
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

    def _write(
        self, layers: Layers, records: Sequence[PathRecord], output: str, force_hash: bool
    ) -> None:
        if output == "json":
            # One object per line: greppable, and json's C encoder (indent= falls back to Python).
            lines = (
                json.dumps(
                    record_to_dict(r, force_hash=force_hash, layers=layers), ensure_ascii=False
                )
                for r in records
            )
            self.stdout.write("[\n" + ",\n".join(lines) + "\n]")
        elif output == "csv":
            write_csv(records, self.stdout, layers)
        else:
            self._write_table(layers, records)

    def _write_table(self, layers: Layers, records: Sequence[PathRecord]) -> None:
        inventory, manifest = layers.inventory, layers.manifest
        assert manifest is not None
        headers = ("PATH", "STATUS", "FLAGS", "WINNER", "CANDIDATES", "LIVE", "MANIFEST")
        if layers.served is not None:
            headers += ("SERVED",)
        rows = [
            tuple(
                _printable(cell)
                for cell in (
                    r.path,
                    r.status,
                    ",".join(r.flags) or "-",
                    r.winner.source if r.winner else "-",
                    str(len(r.candidates)),
                    layers.live_status(r.path) or "-",
                    manifest.status_of(r.path),
                    *((layers.served_status(r.path) or "-",) if layers.served is not None else ()),
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
        if layers.live is not None:
            self.stdout.write(_live_summary(layers.live))
        counts = layers.counts
        summary = ", ".join(f"{counts[s]} {s}" for s in SourceStatus if counts[s])
        self.stdout.write(
            f"\n{len(records)} of {len(layers.records)} paths shown. "
            f"All paths: {summary or 'none'}; {len(inventory.sources)} sources, "
            f"{len(inventory.problems)} problems."
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


def _live_summary(live: LiveReport) -> str:
    if not live.checked:
        why = live.problems[0] if live.problems else "nothing to compare"
        return f"Live: {live.location or 'no collected storage'}: not checked ({why})."
    counts = live.counts()
    statuses = ", ".join(f"{counts[s]} {s}" for s in LiveStatus if counts[s])
    return (
        f"Live: {live.location} ({live.file_count} files listed in "
        f"{live.listing_seconds:.2f} s): {statuses}."
    )


def _manifest_only_failures(
    layers: Layers, manifest: ManifestReport, path_filter: PathFilter, fail_on: set[str]
) -> list[str]:
    """Return the paths only the manifest knows (no source any more) that match ``fail_on``."""
    failed = []
    for path in manifest.paths():
        if layers.get(path) is not None:
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
