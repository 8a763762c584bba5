"""Where the cold CLI's time goes, process by process (Linux only: it reads ``/proc``).

Usage: ``python bench/timeline.py [--files N] [--out DIR] [--step S]`` (N also from the
environment variable N). Prepares the tree as ``bench/run.py`` does and reads every file into
the page cache, then runs the cold ``inspect_assets --format json`` once, as a user runs it,
and samples every S seconds (default 0.2) the CPU time of its main thread, of its other threads
(the hashing pool's result and feeder threads, which take turns with the main thread for its
GIL), of each hashing process and of the copy that spells half the JSON rows. Prints one line
per sample in cores, then the totals and the two bounds they set on the wall time: the run
cannot take less than its CPU time over the cores, nor less than its main thread's CPU time,
since that thread's work is done in order. Prints figures; exits non-zero only when something
crashes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.run import (  # noqa: E402
    BenchError,
    bench_env,
    django_cmd,
    prepare_tree,
    read_every_file,
    tree_options,
    tree_root,
)

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(stat_file: str) -> float | None:
    """Return the user + system CPU seconds that a ``/proc/.../stat`` file holds (None: the
    process or thread is gone)."""
    try:
        with open(stat_file) as stream:
            # The command name, in parentheses, may hold spaces: the fields follow its ")".
            fields = stream.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime and stime: fields 14 and 15


def descendants(pid: int) -> list[int]:
    """Return the processes started by ``pid``, and theirs, as they are now."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children") as stream:
                children = [int(child) for child in stream.read().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


def kind_of(pid: int) -> str | None:
    """Return what a process of the run is: a hashing process, or the copy of the main process
    forked to spell half the JSON rows; None for a spawned pool's resource tracker, or a process
    gone.

    A spawned hashing process runs ``spawn_main``. A forked one (the command line forks its
    pool) has the main process's command line, as the copy has; but the copy closes the output
    (descriptor 1) as it starts, and a hashing process never does. A copy seen before it closed
    it is taken for a hashing process until the next sample (``sample`` asks again).
    """
    try:
        with open(f"/proc/{pid}/stat") as stream:
            if stream.read().rsplit(")", 1)[1].split()[0] == "Z":
                return None  # ended: its descriptors are closed, whatever it was
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            command = stream.read()
    except (OSError, IndexError):
        return None
    if b"resource_tracker" in command:
        return None
    if b"spawn_main" in command or os.path.lexists(f"/proc/{pid}/fd/1"):
        return "hashing"
    return "copy"


@dataclass
class Timeline:
    """The samples of one run: per step, the cores each part used; and each part's total."""

    step: float
    rows: list[tuple[float, float, float, dict[int, float]]] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=dict)
    # The other processes of the run, in order of first appearance, each with its kind.
    children: dict[int, str] = field(default_factory=dict)
    wall: float = 0.0
    cpu: float = 0.0  # the whole run's, children included (wait4)


def sample(cmd: Sequence[str], env: dict[str, str], step: float, out: Path) -> Timeline:
    """Run ``cmd`` (its output to ``out``) and sample its processes every ``step`` seconds."""
    timeline = Timeline(step)
    last: dict[str, float] = {}
    began = time.perf_counter()
    with out.open("wb") as stream, tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=stream, stderr=errors)
        while True:
            # wait4, not poll(): it reaps the run with its CPU time, hashing processes included.
            done, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if done:
                break
            time.sleep(step)
            main = cpu_seconds(f"/proc/{proc.pid}/task/{proc.pid}/stat")
            process = cpu_seconds(f"/proc/{proc.pid}/stat")
            if main is None or process is None:
                continue  # ending: wait4 says so next
            children: dict[int, float] = {}
            for pid in descendants(proc.pid):
                known = timeline.children.get(pid)
                # Asked again while it looks like a hashing process: a copy seen before it
                # closed the output looks like one for a moment (``kind_of``).
                if known in (None, "hashing"):
                    kind = kind_of(pid)
                    if kind is not None:
                        timeline.children[pid] = kind
                    elif known is None:
                        continue
                spent = cpu_seconds(f"/proc/{pid}/stat")
                if spent is not None:
                    children[pid] = spent - last.get(str(pid), 0.0)
                    last[str(pid)] = spent
            at = time.perf_counter() - began
            others = process - main
            # The two reads are not taken at one instant: a step's difference may be a tick below 0.
            main_step = max(0.0, main - last.get("main", 0.0))
            row = (at, main_step, max(0.0, others - last.get("others", 0.0)), children)
            timeline.rows.append(row)
            last["main"], last["others"] = main, others
        proc.returncode = os.waitstatus_to_exitcode(status)
        timeline.wall = time.perf_counter() - began
        timeline.cpu = usage.ru_utime + usage.ru_stime
        if proc.returncode != 0:
            errors.seek(0)
            told = errors.read().decode(errors="replace")[-2000:]
            raise BenchError(f"{' '.join(cmd)} failed:\n{told}")
    timeline.totals = {
        "main thread": last.get("main", 0.0),
        "other threads of the main process": last.get("others", 0.0),
        **{
            f"{kind} {n}": last.get(str(pid), 0.0)
            for n, (pid, kind) in enumerate(timeline.children.items(), 1)
        },
    }
    return timeline


def print_timeline(timeline: Timeline, cores: int) -> None:
    step = timeline.step
    names = [f"{kind} {n}" for n, kind in enumerate(timeline.children.values(), 1)]
    print("| from (s) | main thread | other threads | " + " | ".join(names) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in names) + " |")
    for at, main, others, children in timeline.rows:
        used = [f"{children.get(pid, 0.0) / step:.2f}" for pid in timeline.children]
        print(
            f"| {at - step:.1f} | {main / step:.2f} | {others / step:.2f} | "
            + " | ".join(used)
            + " |"
        )
    print()
    print("| part | CPU time |")
    print("| --- | --- |")
    for name, seconds in timeline.totals.items():
        print(f"| {name} | {seconds:.2f} s |")
    print(f"| whole run (wait4) | {timeline.cpu:.2f} s |")
    print()
    bound = max(timeline.cpu / cores, timeline.totals["main thread"])
    print(
        f"wall {timeline.wall:.2f} s; on {cores} cores it cannot take less than "
        f"{timeline.cpu / cores:.2f} s (CPU over cores), nor less than "
        f"{timeline.totals['main thread']:.2f} s (the main thread): {timeline.wall - bound:.2f} s "
        "above the larger bound, the time some core waited. The samples see a process only "
        "while it runs: the last step of one that ends between two samples is not counted."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    tree_options(parser)
    parser.add_argument("--step", type=float, default=0.2, help="seconds between samples")
    args = parser.parse_args(argv)
    if not os.path.exists(f"/proc/{os.getpid()}/task"):
        raise BenchError("bench/timeline.py reads /proc: it runs on Linux only")
    root = tree_root(args.out, args.files)
    prepare_tree(root, args)
    read_every_file([str(root / "benchapps"), str(root / "dirs"), str(root / "collected")])
    cmd = django_cmd("inspect_assets", "--format", "json")
    timeline = sample(cmd, bench_env(root), args.step, root / "inspect.json")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cold inspect_assets --format json, {args.files} files, one run: cores used, each")
    print(
        f"{args.step} s, by the main thread, its process's other threads, each hashing process "
        "and the copy of the process that spells half the rows"
    )
    print()
    print_timeline(timeline, cores or 1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"timeline: {exc}", file=sys.stderr)
        sys.exit(1)
