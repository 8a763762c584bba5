"""``inspect_assets --references``: its options, and the run that lists references."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError, OutputWrapper

from ..core.layers import current_layers
from ..core.references.current import current_references
from ..core.references.rows import REFERENCE_CSV_COLUMNS, reference_to_dict, reference_to_row
from ..core.references.selection import ReferenceFilter, failing, parse_fail_on
from ..core.rows import write_objects, write_rows
from ..core.selection import UnknownWords
from ..core.status import ReferenceKind, ReferenceProblem
from .columns import table_style, table_width, warning_writer
from .text import reference_warnings, write_reference_table

# Options that only make sense for paths: refused with --references, so nothing is ignored.
PATH_ONLY = ("status", "flag", "live_status", "manifest", "probe", "base_url", "diff", "hash")


def add_reference_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--references",
        action="store_true",
        help="List the references of the templates, CSS, JS and form media to static files "
        "instead of the paths: where each is written, what it resolves to and its problem. "
        "--path, --severity, --format and --fail-on (a severity or a problem, e.g. "
        "not-found) apply to them.",
    )
    for option, words, meaning in (
        ("--kind", ReferenceKind, "of this kind"),
        ("--problem", ReferenceProblem, "with this problem"),
    ):
        parser.add_argument(
            option,
            action="append",
            default=[],
            choices=[str(w) for w in words],
            help=f"With --references: only references {meaning} (repeatable).",
        )


def run_references(options: dict[str, Any], stdout: OutputWrapper, stderr: OutputWrapper) -> None:
    """List the references ``options`` select; raise ``CommandError`` as ``--fail-on`` says."""
    if not options["references"]:
        raise CommandError(
            "--kind and --problem select references: add --references.", returncode=2
        )
    given = [name for name in PATH_ONLY if options.get(name)]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise CommandError(f"{flags}: for paths, not with --references.", returncode=2)
    try:
        fail_on = parse_fail_on(options["fail_on"])
    except UnknownWords as exc:
        raise CommandError(f"--fail-on: {exc}", returncode=2) from exc
    scan = current_references(current_layers(live=False))
    facets = {
        "kind": frozenset(options["kind"]),
        "problem": frozenset(options["problem"]),
        "severity": frozenset(options["severity"]),
    }
    refs, _counts = ReferenceFilter(facets, tuple(options["path"])).select(scan.references)
    output = options["format"]
    if output == "json":
        write_objects((reference_to_dict(ref) for ref in refs), stdout)
    elif output == "csv":
        write_rows((reference_to_row(ref) for ref in refs), REFERENCE_CSV_COLUMNS, stdout)
    else:
        style = table_style(stdout, stderr, options)
        write_reference_table(scan, refs, stdout.write, width=table_width(stdout), style=style)
    warn = warning_writer(stderr, options)
    for line in reference_warnings(scan):
        warn(line)
    failed = failing(refs, fail_on)
    if failed:
        named = ", ".join(f"{r.origin.file}:{r.origin.line} ({r.problem})" for r in failed[:5])
        raise CommandError(
            f"{len(failed)} reference(s) match --fail-on {','.join(sorted(fail_on))}: {named}"
            + (" ..." if len(failed) > 5 else ""),
            returncode=1,
        )
