"""Benchmark the asset inspector's cold path against collectstatic and the physical floor.

Usage: ``python bench/run.py [--files N] [--repeat R] [--out DIR]`` (N also from the environment
variable N). Generates the synthetic tree (``bench/generate.py``), collects it once with
``ManifestStaticFilesStorage``, then runs every whole-process command R times, alternating, and
prints medians side by side with the targets of issue 13. Default settings: ``CACHE`` is the
per-process locmem cache; the shared-cache rows point it at a file-based cache. Prints figures;
exits non-zero only when something crashes.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate, read_marker  # noqa: E402

FLOOR_TARGET = 1.5
DRY_RUN_TARGET = 0.5
RSS_TARGET_MB = 250
WALK_TARGET = 1.5


class BenchError(RuntimeError):
    """A step of the benchmark failed."""


def fmt(seconds: float | None) -> str:
    """Return a duration as ``1.23 s`` or ``45.6 ms``."""
    if seconds is None:
        return "n/a"
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def bench_env(root: Path, with_inspector: bool = True, shared: bool = False) -> dict[str, str]:
    """Return the environment for Django subprocesses on the tree at ``root``."""
    env = dict(os.environ)
    env["BENCH_ROOT"] = str(root)
    env["BENCH_INSPECTOR"] = "1" if with_inspector else "0"
    env["BENCH_SHARED_CACHE"] = "1" if shared else "0"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def tree_root(out: Path, files: int) -> Path:
    """Return where the tree of ``files`` files lives: ``out`` for the default 20,000, else a
    folder of its own (so a 100k run does not replace the 20k tree)."""
    return (out if files == 20000 else out / f"n{files}").resolve()


def django_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "django", *args, "--settings=bench.settings"]


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float


def run_timed(cmd: Sequence[str], env: dict[str, str], stdout: Any = subprocess.DEVNULL) -> float:
    """Run ``cmd`` from the repository root; return its wall time (raise on failure)."""
    return measure(cmd, env, stdout).wall


def measure(cmd: Sequence[str], env: dict[str, str], stdout: Any = subprocess.DEVNULL) -> Run:
    """Run ``cmd``; return its wall time, CPU time and peak RSS (its own, from wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=stdout, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode:
        tail = err.decode(errors="replace").strip().splitlines()[-15:]
        raise BenchError(f"{' '.join(cmd[2:])} exited {proc.returncode}:\n" + "\n".join(tail))
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def alternate(
    commands: dict[str, Callable[[], Run]],
    repeat: int,
    warm: Callable[[], object] = lambda: None,
    reading: frozenset[str] = frozenset(),
) -> dict[str, list[Run]]:
    """Run every command ``repeat`` times, A B C A B C ...: drift hits each alike. Before each
    command named in ``reading`` (those that read every file's bytes), ``warm()`` runs untimed."""
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            if name in reading:
                warm()
            runs[name].append(command())
    return runs


def read_every_file(folders: Sequence[str]) -> None:
    """Read every file under ``folders`` once, untimed, so the next command finds its bytes in
    the page cache. Once at the start is not enough: on a shared machine the cache was seen to
    lose a 100k tree between two commands, and the floor then read the disk while the CLI did
    not, which made the CLI look faster than the floor."""
    for folder in folders:
        for parent, _, names in os.walk(folder):
            for name in names:
                try:
                    with open(os.path.join(parent, name), "rb") as stream:
                        while stream.read(1 << 20):
                            pass
                except OSError:
                    continue


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def median(runs: list[Run], field: str = "wall") -> float:
    return float(statistics.median(getattr(r, field) for r in runs))


def steps_of(cmd: Sequence[str], env: dict[str, str]) -> list[tuple[str, str, str]]:
    """Run ``cmd`` once more, cold, with ``-v 2``: where its time goes, step by step."""
    done = subprocess.run(
        [*cmd, "-v", "2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    rows: list[tuple[str, str, str]] = []
    for line in done.stderr.splitlines():
        seconds, _, what = line.strip().partition(" s  ")
        try:
            # As -v 2 printed it: hundredths of a second, not fmt's false milliseconds.
            rows.append((f"  step: {what}", f"{float(seconds):.2f} s", "one more cold run, -v 2"))
        except ValueError:
            continue  # a warning line, not a step
    return rows


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


def in_process(root: Path, repeat: int) -> list[tuple[str, str, str]]:
    """The re-check's stat walk against a bare scandir+stat of the same folders, in process."""
    os.environ.update(bench_env(root))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from inspector.core import caches
    from inspector.core.inventory import current_inventory
    from inspector.core.sources import folder_sources, source_roots
    from inspector.core.storage.instance import collected_storage
    from inspector.core.storage.listing import take_snapshot
    from inspector.core.treewalk import fingerprint

    folders = [*source_roots(), str(root / "collected")]
    storage, _ = collected_storage()
    assert storage is not None

    def timed(fn: Callable[[], object]) -> float:
        began = time.perf_counter()
        fn()
        return time.perf_counter() - began

    caches.clear()
    cold = timed(current_inventory)
    sources = folder_sources()
    assert sources is not None, "the bench tree's files all come from folders"
    walked = [*sources, storage.path("")]
    bare, walk, digest = [], [], []
    for _ in range(max(5, repeat)):
        bare.append(timed(lambda: scandir_walk(folders)))
        walk.append(timed(lambda: (current_inventory(), take_snapshot(storage))))
        digest.append(timed(lambda: fingerprint(walked)))

    def against_bare(times: list[float]) -> str:
        ratio = statistics.median(times) / statistics.median(bare)
        return f"{ratio:.2f}x bare (target <= {WALK_TARGET}: {verdict(ratio <= WALK_TARGET)})"

    return [
        ("inventory, cold, in process", fmt(cold), ""),
        ("bare scandir+stat of sources and STATIC_ROOT (median)", fmt(statistics.median(bare)), ""),
        (
            "re-check's stat walk: inventory + STATIC_ROOT listing (median)",
            fmt(statistics.median(walk)),
            against_bare(walk),
        ),
        (
            "background re-check's walk, in a hashing process: treewalk digest (median)",
            fmt(statistics.median(digest)),
            against_bare(digest),
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    tree_options(parser)
    parser.add_argument("--repeat", type=int, default=3, help="median of how many runs")
    args = parser.parse_args(argv)
    root = tree_root(args.out, args.files)
    rows = prepare_tree(root, args)
    env = bench_env(root)
    shared_env = bench_env(root, shared=True)
    json_out = root / "inspect.json"
    sources = [str(root / "benchapps"), str(root / "dirs")]
    floor_cmd = [
        sys.executable,
        str(REPO / "bench" / "floor.py"),
        *sources,
        str(root / "collected"),
    ]
    inspect_cmd = django_cmd("inspect_assets", "--format", "json")

    def inspect() -> Run:
        with json_out.open("wb") as stream:
            return measure(inspect_cmd, env, stdout=stream)

    def shared_second() -> Run:
        shutil.rmtree(root / "cache", ignore_errors=True)
        measure(inspect_cmd, shared_env)  # fills the shared cache
        return measure(inspect_cmd, shared_env)

    commands: dict[str, Callable[[], Run]] = {
        "dry": lambda: measure(django_cmd("collectstatic", "--dry-run", "--noinput"), env),
        "floor": lambda: measure(floor_cmd, env),
        "inspect": inspect,
        "no_live": lambda: measure([*inspect_cmd, "--no-live"], env),
        "shared": shared_second,
        "setup": lambda: measure(
            [sys.executable, "-c", "import django; django.setup()"],
            {**env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        ),
    }
    # Each figure is taken with the files in the page cache: every command that reads the bytes
    # gets an untimed read of every file just before it.
    every_folder = [*sources, str(root / "collected")]
    runs = alternate(
        commands,
        args.repeat,
        warm=lambda: read_every_file(every_folder),
        reading=frozenset({"floor", "inspect", "no_live", "shared"}),
    )
    read_every_file(every_folder)
    steps = steps_of(inspect_cmd, env)
    dry, floor, cold = median(runs["dry"]), median(runs["floor"]), median(runs["inspect"])
    peak = max(r.peak_mb for r in runs["inspect"])
    vs_floor = cold / floor
    vs_dry = cold / dry
    how = f"median of {args.repeat}, whole process"
    rows += [
        ("django.setup() alone", fmt(median(runs["setup"])), how),
        ("collectstatic --dry-run", fmt(dry), how),
        ("floor: read + md5 of every source and collected file", fmt(floor), how),
        (
            "inspect_assets --format json, cold, default settings",
            fmt(cold),
            f"{vs_floor:.2f}x floor (target <= {FLOOR_TARGET}: "
            f"{'met' if vs_floor <= FLOOR_TARGET else 'MISSED'}); {vs_dry:.2f}x dry-run "
            f"(target <= {DRY_RUN_TARGET} at 20k: {verdict(vs_dry <= DRY_RUN_TARGET)})",
        ),
        (
            "  its CPU time (user + system)",
            fmt(median(runs["inspect"], "cpu")),
            f"floor's: {fmt(median(runs['floor'], 'cpu'))}",
        ),
        (
            "  its peak RSS",
            f"{peak:.0f} MB",
            f"target <= {RSS_TARGET_MB} MB at 100k: {'met' if peak <= RSS_TARGET_MB else 'MISSED'}",
        ),
        *steps,
        ("inspect_assets --format json --no-live", fmt(median(runs["no_live"])), how),
        (
            "inspect_assets, shared file-based CACHE, second run",
            fmt(median(runs["shared"])),
            "md5s kept by (path, size, mtime, inode): only CSS/JS that may refer are read again",
        ),
    ]
    rows += in_process(root, args.repeat)
    check_json(json_out, root, args.files, rows)
    print_report(rows, args, root)
    return 0


def tree_options(parser: argparse.ArgumentParser) -> None:
    """Add the options ``prepare_tree`` reads (and ``--out``, where the trees live)."""
    parser.add_argument("--files", type=int, default=int(os.environ.get("N") or 20000))
    parser.add_argument("--out", type=Path, default=REPO / "bench-out")
    parser.add_argument("--apps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)


def prepare_tree(root: Path, args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """Generate the tree at ``root`` (``args.files``, ``args.apps``, ``args.seed``) and
    collect it once, each unless done already, then compile the bytecode; return the rows
    saying what that took."""
    rows: list[tuple[str, str, str]] = []
    began = time.perf_counter()
    generate(root, args.files, args.apps, args.seed)
    rows.append(("generate tree (skipped if present)", fmt(time.perf_counter() - began), ""))
    env = bench_env(root)
    run_timed(django_cmd("migrate", "--noinput", "-v", "0"), env)
    if not (root / "collected" / "staticfiles.json").exists():
        shutil.rmtree(root / "collected", ignore_errors=True)
        collect = run_timed(django_cmd("collectstatic", "--noinput", "-v", "0"), env)
        rows.append(("collectstatic into an empty STATIC_ROOT (once)", fmt(collect), ""))
    compile_bytecode()
    return rows


def compile_bytecode() -> None:
    """Compile the inspector's and the bench's modules, as ``pip install`` does for a package
    (and Python on a first import): every command then runs them the way a user's does, as it
    runs Django's. Where ``PYTHONDONTWRITEBYTECODE`` is set (this sandbox sets it), an editable
    checkout would otherwise compile every module again on every run."""
    for package in ("inspector", "bench"):
        if not compileall.compile_dir(REPO / package, quiet=1):
            raise BenchError(f"could not compile {package}/")


def check_json(path: Path, root: Path, files: int, rows: list[tuple[str, str, str]]) -> None:
    rows_json = json.loads(path.read_text())
    expected = (read_marker(root, files) or {}).get("expected", {})
    statuses: dict[str, int] = {}
    for row in rows_json:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    rows.append(
        (
            "answer",
            f"{len(rows_json)} rows",
            f"conflicts {statuses.get('conflict', 0)} (generated {expected.get('conflicts')}), "
            f"duplicates {statuses.get('duplicate', 0)} (generated {expected.get('duplicates')})",
        )
    )


def print_report(rows: list[tuple[str, str, str]], args: argparse.Namespace, root: Path) -> None:
    import django

    today = datetime.date.today().isoformat()
    versions = f"Python {platform.python_version()}, Django {django.get_version()}"
    print(f"asset inspector benchmark  {today}  {versions}  {os.cpu_count()} CPUs")
    print(f"tree {root}: {args.files} files, {args.apps} apps + 2 dirs, seed {args.seed}")
    print("bytecode compiled before timing, as an installed package's is (compile_bytecode)")
    print()
    print("| what | figure | note |")
    print("| --- | --- | --- |")
    for label, value, note in rows:
        print(f"| {label} | {value} | {note} |")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
