"""Benchmark the asset inspector against collectstatic on a synthetic project.

Usage: ``python bench/run.py [--files N] [--out DIR]`` (N also from the environment variable N).
Prints figures only; it exits non-zero only when something crashes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate, read_marker  # noqa: E402

DRY_RUN_RATIO_TARGET = 0.3
WARM_TARGET_S = 0.100
EDIT_VISIBLE_WAIT_S = 5.0


class BenchError(RuntimeError):
    """A step of the benchmark failed."""


@dataclass
class Report:
    """Rows of (label, seconds or text, note) plus warnings, printed at the end."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def add(self, key: str, label: str, value: str, note: str = "") -> None:
        self.rows.append((label, value, note))
        self.figures[key] = value


def fmt(seconds: float | None) -> str:
    """Return a duration as ``1.23 s`` or ``45.6 ms``."""
    if seconds is None:
        return "n/a"
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def bench_env(root: Path, with_inspector: bool = True) -> dict[str, str]:
    """Return the environment for Django subprocesses on the tree at ``root``."""
    env = dict(os.environ)
    env["BENCH_ROOT"] = str(root)
    env["BENCH_INSPECTOR"] = "1" if with_inspector else "0"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def django_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "django", *args, "--settings=bench.settings"]


def run_timed(cmd: Sequence[str], env: dict[str, str], stdout: Any = subprocess.DEVNULL) -> float:
    """Run ``cmd`` from the repository root; return its wall time (raise on failure)."""
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, stdout=stdout, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-15:]
        raise BenchError(f"{' '.join(cmd[2:])} exited {proc.returncode}:\n" + "\n".join(tail))
    return elapsed


def best_of(repeat: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(repeat))


def probe_inspector(env: dict[str, str]) -> str | None:
    """Return why the inventory cannot be used in this tree, or None if it can."""
    if not (REPO / "inspector" / "core" / "inventory.py").exists():
        return "inspector/core/inventory.py does not exist yet"
    code = (
        "import django; django.setup(); "
        "from inspector.core.inventory import clear_inventory_cache, current_inventory; "
        "from inspector.core.fingerprints import clear_memory_cache; "
        "from django.core.management import get_commands; "
        "assert 'inspect_assets' in get_commands(), 'no inspect_assets command'"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        capture_output=True,
        check=False,
    )
    if proc.returncode:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        return "inspector not importable: " + (lines[-1] if lines else "?")
    return None


def source_folders() -> list[str]:
    """Return every folder the two default finders read (Django must be set up)."""
    from django.apps import apps
    from django.conf import settings

    folders = [str(e[1] if isinstance(e, tuple | list) else e) for e in settings.STATICFILES_DIRS]
    for config in apps.get_app_configs():
        static = Path(config.path) / "static"
        if static.is_dir():
            folders.append(str(static))
    return folders


def scandir_walk(folders: list[str]) -> int:
    """Walk ``folders`` with ``os.scandir`` and ``stat()`` every file; return the file count."""
    count = 0
    stack = list(folders)
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    stack.append(entry.path)
                else:
                    entry.stat()
                    count += 1
    return count


def inventory_counts(inv: Any) -> dict[str, int]:
    statuses = Counter(rec.status for rec in inv.paths)
    return {
        "files": sum(len(rec.candidates) for rec in inv.paths),
        "paths": len(inv.paths),
        "shadowed": sum(1 for rec in inv.paths if len(rec.candidates) > 1),
        "conflicts": statuses["conflict"],
        "duplicates": statuses["duplicate"],
        "absent": statuses["absent"],
    }


def in_process(report: Report, root: Path, repeat: int, with_inspector: bool) -> dict[str, int]:
    """Measure the inventory inside this process; return its counts (empty without it)."""
    os.environ.update(bench_env(root, with_inspector))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    folders = source_folders()
    walked = [0]

    def walk() -> float:
        start = time.perf_counter()
        walked[0] = scandir_walk(folders)
        return time.perf_counter() - start

    scandir_s = best_of(repeat, walk)
    report.figures["walked"] = str(walked[0])
    if not with_inspector:
        report.add("scandir", f"bare scandir+stat walk (best of {repeat})", fmt(scandir_s))
        return {}

    from django.core.cache import caches

    from inspector.core.fingerprints import clear_memory_cache
    from inspector.core.inventory import clear_inventory_cache, current_inventory

    def cold() -> float:
        clear_inventory_cache()
        clear_memory_cache()
        caches["inspector"].clear()
        start = time.perf_counter()
        current_inventory()
        return time.perf_counter() - start

    cold_runs = [cold() for _ in range(repeat)]
    report.add(
        "cold",
        f"inventory cold, in-process (best of {repeat})",
        fmt(min(cold_runs)),
        "runs " + ", ".join(fmt(s) for s in cold_runs),
    )

    inv = current_inventory()
    warm_runs = []
    same = True
    for _ in range(5):
        start = time.perf_counter()
        again = current_inventory()
        warm_runs.append(time.perf_counter() - start)
        same = same and again is inv
    warm = statistics.median(warm_runs)
    verdict = "OK" if warm <= WARM_TARGET_S else "MISSED"
    report.add(
        "warm",
        "inventory warm (median of 5)",
        fmt(warm),
        f"target <= {fmt(WARM_TARGET_S)}: {verdict}" + ("" if same else "; new object each call"),
    )

    edit_s, note = measure_edit(inv, current_inventory)
    report.add("edit", "inventory after editing one file", fmt(edit_s), note)
    if "not visible" in note or "restore" in note:
        report.warnings.append(f"edit: {note}")
    report.add("scandir", f"bare scandir+stat walk (best of {repeat})", fmt(scandir_s), "")
    return inventory_counts(current_inventory())


def measure_edit(inv: Any, get_inventory: Callable[[], Any]) -> tuple[float, str]:
    """Append to one unique CSS source, time the next inventory, restore the file."""
    records = [r for r in inv.paths if r.status == "unique" and r.path.endswith(".css")]
    if not records:
        return 0.0, "no unique .css path to edit"
    rec = records[len(records) // 2]
    location = Path(rec.candidates[0].location)
    original = location.read_bytes()
    stat = location.stat()
    try:
        with location.open("ab") as stream:
            stream.write(b"\n.bench-edit { color: red; }\n")
        new_size = location.stat().st_size
        start = time.perf_counter()
        seen = get_inventory().get(rec.path)
        elapsed = time.perf_counter() - start
        if seen is not None and seen.candidates and seen.candidates[0].size == new_size:
            note = f"edit visible ({rec.path})"
        else:
            waited = 0.0
            while waited < EDIT_VISIBLE_WAIT_S:
                time.sleep(0.25)
                waited += 0.25
                seen = get_inventory().get(rec.path)
                if seen is not None and seen.candidates and seen.candidates[0].size == new_size:
                    break
            else:
                return elapsed, f"edit not visible after {EDIT_VISIBLE_WAIT_S:.0f} s ({rec.path})"
            note = f"edit not visible at once, visible after ~{waited:.2f} s ({rec.path})"
    finally:
        location.write_bytes(original)
        os.utime(location, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    restored = get_inventory().get(rec.path)
    if restored is None or restored.candidates[0].size != len(original):
        note += "; restore not visible"
    return elapsed, note


def cli_after_edit(root: Path, run: Callable[[], float]) -> tuple[str, str]:
    """Time one CLI run after appending to a CSS source (a change it must find), then put
    the file back as it was (bytes and mtime)."""
    sources = sorted((root / "benchapps").glob("app1*/static/**/*.css"))
    if not sources:
        return "n/a", "no CSS source to edit"
    location = sources[len(sources) // 2]
    original, stat = location.read_bytes(), location.stat()
    try:
        with location.open("ab") as stream:
            stream.write(b"\n.bench-edit { color: red; }\n")
        elapsed = run()
    finally:
        location.write_bytes(original)
        os.utime(location, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return fmt(elapsed), f"recomputes every layer ({location.relative_to(root)})"


def check_json(path: Path, counts: dict[str, int], report: Report) -> None:
    """Compare the CLI's JSON output with the in-process inventory."""
    try:
        rows = json.loads(path.read_text())
    except ValueError as exc:
        report.warnings.append(f"inspect_assets --format json is not valid JSON: {exc}")
        return
    if not isinstance(rows, list):
        report.warnings.append("inspect_assets --format json did not print an array")
        return
    statuses = Counter(row.get("status") for row in rows)
    from_json = {
        "paths": len(rows),
        "conflicts": statuses["conflict"],
        "duplicates": statuses["duplicate"],
    }
    for key, value in from_json.items():
        if counts and counts.get(key) != value:
            report.warnings.append(f"JSON {key}={value} but in-process inventory {counts[key]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=int(os.environ.get("N") or 20000))
    parser.add_argument("--out", type=Path, default=REPO / "bench-out")
    parser.add_argument("--apps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="best of how many runs")
    args = parser.parse_args(argv)
    root = args.out.resolve()
    report = Report()

    start = time.perf_counter()
    generate(root, args.files, args.apps, args.seed)
    marker = read_marker(root, args.files) or {}
    expected = dict(marker.get("expected", {}))
    report.add("generate", "generate tree (skipped if present)", fmt(time.perf_counter() - start))

    why_not = probe_inspector(bench_env(root))
    with_inspector = why_not is None
    env = bench_env(root, with_inspector)
    if with_inspector:
        run_timed(django_cmd("migrate", "--noinput", "-v", "0"), env)

    shutil.rmtree(root / "collected", ignore_errors=True)  # a full collection, not an update
    collect = run_timed(django_cmd("collectstatic", "--noinput", "-v", "0"), env)
    report.add("collect", "collectstatic --noinput into an empty STATIC_ROOT (once)", fmt(collect))
    setup_cmd = [sys.executable, "-c", "import django; django.setup()"]
    setup_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    startup = best_of(args.repeat, lambda: run_timed(setup_cmd, setup_env))
    report.add(
        "startup", f"django.setup() alone, whole process (best of {args.repeat})", fmt(startup)
    )
    dry_cmd = django_cmd("collectstatic", "--dry-run", "--noinput")
    dry = best_of(args.repeat, lambda: run_timed(dry_cmd, env))
    report.add("dry", f"collectstatic --dry-run, whole process (best of {args.repeat})", fmt(dry))

    json_out = root / "inspect.json"
    if with_inspector:
        shutil.rmtree(root / "cache", ignore_errors=True)
        inspect_cmd = django_cmd("inspect_assets", "--format", "json")
        with json_out.open("wb") as stream:
            first = run_timed(inspect_cmd, env, stdout=stream)
        report.add("inspect_cold", "inspect_assets --format json, empty file cache", fmt(first))
        inspect = best_of(args.repeat, lambda: run_timed(inspect_cmd, env))
        ratio = inspect / dry
        report.add(
            "inspect",
            f"inspect_assets --format json, whole process (best of {args.repeat})",
            fmt(inspect),
        )
        verdict = "OK" if ratio <= DRY_RUN_RATIO_TARGET else "MISSED"
        report.add(
            "ratio",
            "ratio inspect_assets / collectstatic --dry-run",
            f"{ratio:.2f}",
            f"target <= {DRY_RUN_RATIO_TARGET}: {verdict}",
        )
        edited, note = cli_after_edit(root, lambda: run_timed(inspect_cmd, env))
        report.add("inspect_edit", "inspect_assets after editing one CSS source", edited, note)
        no_live_cmd = django_cmd("inspect_assets", "--format", "json", "--no-live")
        run_timed(no_live_cmd, env)  # the first run on these options keeps its answer
        no_live = best_of(args.repeat, lambda: run_timed(no_live_cmd, env))
        report.add(
            "inspect_no_live",
            f"inspect_assets --format json --no-live (best of {args.repeat})",
            fmt(no_live),
        )
    else:
        report.warnings.append(f"inventory skipped: {why_not}")

    counts = in_process(report, root, args.repeat, with_inspector)
    walked = int(report.figures.get("walked", 0))
    extra = walked - expected.get("files", walked)  # files of other apps (the inspector's own)
    expected["files"] = walked
    expected["paths"] = expected.get("paths", 0) + extra
    if counts:
        check_json(json_out, counts, report)
        for key, value in counts.items():
            if key in expected and expected[key] != value:
                report.warnings.append(f"count {key}: inventory {value}, generated {expected[key]}")

    print_report(report, args, root, counts, expected)
    return 0


def print_report(
    report: Report,
    args: argparse.Namespace,
    root: Path,
    counts: dict[str, int],
    expected: dict[str, int],
) -> None:
    import django

    today = datetime.date.today().isoformat()
    versions = f"Python {platform.python_version()}, Django {django.get_version()}"
    print(f"asset inspector benchmark  {today}  {versions}  {os.cpu_count()} CPUs")
    print(f"tree {root}: {args.files} files, {args.apps} apps + 2 dirs, seed {args.seed}")
    print()
    width = max(len(label) for label, _, _ in report.rows)
    for label, value, note in report.rows:
        print(f"  {label:<{width}}  {value:>10}  {note}".rstrip())
    print()
    shown = counts or expected
    print(
        "  counts (inventory):" if counts else "  counts (generated, no inventory):",
        "  ".join(f"{k} {v}" for k, v in shown.items()),
    )
    if counts:
        print(
            "  counts (generated): ",
            "  ".join(f"{k} {expected[k]}" for k in counts if k in expected),
        )
    for warning in report.warnings:
        print(f"  WARNING: {warning}")
    print()
    columns = [
        ("date", today),
        ("files", str(args.files)),
        ("Python / Django", f"{platform.python_version()} / {django.get_version()}"),
        ("collectstatic", report.figures.get("collect", "n/a")),
        ("collectstatic --dry-run", report.figures.get("dry", "n/a")),
        ("inspect_assets", report.figures.get("inspect", "n/a")),
        ("ratio", report.figures.get("ratio", "n/a")),
        ("cold", report.figures.get("cold", "n/a")),
        ("warm", report.figures.get("warm", "n/a")),
        ("one edit", report.figures.get("edit", "n/a")),
        ("scandir+stat", report.figures.get("scandir", "n/a")),
    ]
    print("Markdown:")
    print("| " + " | ".join(name for name, _ in columns) + " |")
    print("|" + "---|" * len(columns))
    print("| " + " | ".join(value for _, value in columns) + " |")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
