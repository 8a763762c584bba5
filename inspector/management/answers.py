"""The CLI's answers: the rows of paths in each format, a diff, the paths a CDN must invalidate,
and the comparison of two releases. Each raises ``CommandError`` (exit status 2) for what cannot
work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError, OutputWrapper

from ..core.diffs import live_diff
from ..core.invalidation import differs, pending_invalidation
from ..core.layers import Layers
from ..core.manifest.releases import compare_releases
from ..core.paths import printable
from ..core.records import PathRecord
from ..core.rows import Writable, write_changes, write_csv, write_json, write_paths
from ..core.selection import PathFilter
from .columns import table_style, table_width
from .forked import write_json_forked
from .process import owns_process
from .text import write_table
from .timings import step

Write = Callable[[str], object]


def write_rows(
    layers: Layers,
    records: list[PathRecord],
    options: dict[str, Any],
    stdout: OutputWrapper,
    stderr: OutputWrapper,
) -> None:
    """Write one row per record in ``--format``: JSON or CSV for scripts, the table for people."""
    output = options["format"]
    with step(f"writing the {'table' if output == 'table' else output.upper()}"):
        if output == "json":
            # OutputWrapper keeps the stream it wraps as ``_out``: the copy's rows go to that one.
            out = getattr(stdout, "_out", None)
            if owns_process() and not options["hash"] and out is not None:
                write_json_forked(records, stdout, layers, out)
            else:
                write_json(records, stdout, layers, force_hash=options["hash"])
        elif output == "csv":
            write_csv(records, stdout, layers, force_hash=options["hash"])
        else:
            style = table_style(stdout, stderr, options)
            write_table(layers, records, stdout.write, width=table_width(stdout), style=style)


def write_diff(layers: Layers, path: str, write: Write) -> None:
    """Write the diff from the collected copy of ``path`` to its source now."""
    record = layers.get(path)
    if record is None or layers.live is None:
        raise CommandError(f"no source and no collected file has {path!r}", returncode=2)
    entry = layers.live.entry(path)
    diff = live_diff(record, entry, layers.live)
    if diff is None:
        write(f"{path}: {entry.status} ({entry.note}); nothing to diff.")
    elif diff.skipped:
        write(f"{path}: {entry.status}; no diff: {diff.skipped}.")
    else:
        write("\n".join(line.text for line in diff.lines))
        if diff.truncated:
            write("... (cut short: DIFF_MAX_LINES)")


def write_answer(
    layers: Layers, options: dict[str, Any], path_filter: PathFilter, stream: Writable
) -> None:
    """Write what ``--invalidation-paths`` or ``--compare-releases`` asks for."""
    if options["invalidation_paths"]:
        if layers.live is None:
            raise CommandError(
                "--invalidation-paths needs the live layer: drop --no-live.", returncode=2
            )
        records = path_filter.apply(layers.records, layers)
        changed = [r.path for r in records if differs(layers, r)]
        write_paths(pending_invalidation(layers, changed).paths, stream, options["format"])
        return
    before, after = options["compare_releases"]
    manifest = layers.manifest
    releases = {release.id: release for release in manifest.releases}
    if not releases:
        raise CommandError(
            "--compare-releases: the staticfiles storage keeps one manifest, not one per "
            "release (its manifest_storage is the storage itself)",
            returncode=2,
        )
    unknown = [release for release in (before, after) if release not in releases]
    if unknown:
        known = ", ".join(printable(r) for r in releases)
        raise CommandError(
            f"--compare-releases: no release {printable(unknown[0])!r}; known: {known}",
            returncode=2,
        )
    changes = compare_releases(releases[before], releases[after])
    if options["format"] in ("json", "csv"):
        write_changes(changes, stream, options["format"])
        return
    rows = [("PATH", "CHANGE", "BEFORE", "AFTER")]
    rows += [(c.path, str(c.change), c.before or "-", c.after or "-") for c in changes]
    widths = [max(len(printable(row[i])) for row in rows) for i in range(4)]
    for row in rows:
        cells = (printable(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        stream.write("  ".join(cells).rstrip() + "\n")
    stream.write(f"\n{len(changes)} path(s) differ from release {before} to release {after}.\n")
