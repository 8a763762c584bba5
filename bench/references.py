"""Benchmark the references scan: the demo, and the synthetic tree plus Django admin.

Usage: ``python bench/references.py [--files N] [--out DIR] [--runs R] [--skip-demo]``.
Prints, for each project: how many references of each kind the scan found, the in-process scan
cold (nothing read yet) and warm (every file known, re-stat'ed and judged again), and the whole
processes ``inspect_assets --format json`` (every layer of every path) and ``inspect_assets
--references --format json`` (the sources and manifest layers, then the scan): medians of R runs,
with the shared file cache as the runs before left it. The target (issue 17): the scan costs no
more than the cold ``inspect_assets`` run, so the two together at most double it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate  # noqa: E402


def inner() -> None:
    """In a fresh process with the settings of the environment: the scan, cold then warm."""
    import django

    django.setup()
    from inspector.core.layers import current_layers
    from inspector.core.references.scan import scan_references

    layers = current_layers(live=False)
    start = time.perf_counter()
    scan = scan_references(layers)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        scan_references(layers)
        warm.append(time.perf_counter() - start)
    counts = {str(k): v for k, v in scan.counts.items()}
    print(
        json.dumps(
            {
                "cold": cold,
                "warm": statistics.median(warm),
                "references": len(scan),
                "counts": counts,
                "files": dict(scan.files),
                "problems": len(scan.problems),
                "paths": len(layers.inventory),
            }
        )
    )


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    """Return the median wall time of ``runs`` runs of ``cmd`` (after one not counted)."""
    times = []
    for n in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode not in (0, 1):  # 1: --fail-on is not given; a finding is fine
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-10:]
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n" + "\n".join(tail))
        if n:
            times.append(elapsed)
    return statistics.median(times)


def measure(name: str, env: dict[str, str], runs: int) -> None:
    probe = subprocess.run(
        [sys.executable, __file__, "--inner"], cwd=REPO, env=env, capture_output=True, check=False
    )
    if probe.returncode:
        raise SystemExit(probe.stderr.decode(errors="replace"))
    found = json.loads(probe.stdout.decode().strip().splitlines()[-1])
    manage = [sys.executable, "manage.py", "inspect_assets", "--format", "json"]
    paths_s = timed(manage, env, runs)
    refs_s = timed([*manage, "--references"], env, runs)
    kinds = {k: v for k, v in found["counts"].items() if "-" in k and k not in PROBLEMS}
    print(f"\n== {name}: {found['paths']:,} paths")
    print(
        f"scanned {found['files'].get('templates', 0)} templates, "
        f"{found['files'].get('css/js', 0):,} CSS/JS files, "
        f"{found['files'].get('python', 0)} Python modules; {found['problems']} scan problems"
    )
    print(
        f"references: {found['references']:,}; by kind: "
        + ", ".join(
            f"{kind} {count:,}" for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1])
        )
    )
    problems = {k: v for k, v in found["counts"].items() if k in PROBLEMS}
    print("problems: " + (", ".join(f"{k} {v}" for k, v in problems.items()) or "none"))
    cold, warm = found["cold"], found["warm"]
    print(f"scan in process, cold / warm:            {cold:.2f} s / {warm * 1000:.0f} ms")
    print(f"inspect_assets --format json (process):  {paths_s:.2f} s (median of {runs})")
    print(f"inspect_assets --references (process):   {refs_s:.2f} s (median of {runs})")
    print(
        f"scan / cold inspect_assets: {found['cold'] / paths_s:.2f} "
        f"(target <= 1.0: the two together at most double it)"
    )


PROBLEMS = {"not-found", "ignored-by-collect", "missing-entry", "bypasses-manifest"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=int(os.environ.get("N", 20000)))
    parser.add_argument("--out", type=Path, default=REPO / "bench-out")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner()
        return
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.platform()}")
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), base.get("PYTHONPATH")]))
    if not args.skip_demo:
        demo = {**base, "DJANGO_SETTINGS_MODULE": "config.settings"}
        subprocess.run(
            [sys.executable, "manage.py", "demo_setup", "--verbosity", "0"],
            cwd=REPO,
            env=demo,
            check=True,
            capture_output=True,
        )
        measure("the demo (make demo's settings)", demo, args.runs)
    root = args.out.resolve()
    generate(root, args.files)
    tree = {**base, "BENCH_ROOT": str(root), "DJANGO_SETTINGS_MODULE": "bench.settings_references"}
    if not (root / "collected" / "staticfiles.json").exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=REPO,
            env=tree,
            check=True,
        )
    measure(f"the synthetic tree ({args.files:,} files) plus Django admin", tree, args.runs)


if __name__ == "__main__":
    main()
