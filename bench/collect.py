"""Benchmark a collection started from the dashboard against plain ``collectstatic``.

Usage: ``python bench/collect.py [--files N] [--repeat R] [--out DIR]``. On the synthetic tree
(collected once), times, whole process and alternating: plain ``collectstatic --noinput`` over
the unchanged tree, and the dashboard's run through the real worker (a ``CollectionRun`` recorded
and enqueued as the Start button does, then ``manage.py db_worker --batch`` runs it: it plans
from a fresh check and collects with the inspector's ``Collector``). Then the same with one CSS
source changed (one that collection takes: a shadowed one would change nothing collected),
after which the source, the collected tree and its manifest are put back as they were. Prints
figures; exits non-zero only when something crashes.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate  # noqa: E402
from bench.run import bench_env, django_cmd, fmt, measure, run_timed, tree_root  # noqa: E402

TARGET = 0.25
ENQUEUE = (
    "import django; django.setup()\n"
    "from django.contrib.auth.models import AnonymousUser\n"
    "from inspector.collection.plan import plan_collection\n"
    "from inspector.collection.runs import start_run\n"
    "from inspector.core.layers import current_layers\n"
    "run, started = start_run(AnonymousUser(), plan_collection(current_layers()))\n"
    "assert started, 'a run is already active'\n"
)
RESULT = (
    "import django; django.setup()\n"
    "from inspector.models import CollectionRun\n"
    "run = CollectionRun.objects.first()\n"
    "print(run.phase, run.copied, run.unmodified, run.error)\n"
)


def files_of(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def collected_css(root: Path) -> Path:
    """Return a CSS source whose path no other source folder has: collection takes it, so an
    edit of it is a file to collect (a shadowed one would change nothing collected)."""
    # Where each folder's files are served (bench/settings.py: "vendor" has a prefix).
    folders = [
        ("", root / "dirs" / "main"),
        ("vendor/", root / "dirs" / "vendor"),
        *(("", app) for app in sorted((root / "benchapps").glob("*/static"))),
    ]
    found: dict[str, list[Path]] = {}
    for prefix, folder in folders:
        for css in sorted(folder.rglob("*.css")):
            found.setdefault(prefix + css.relative_to(folder).as_posix(), []).append(css)
    return next(files[0] for _, files in sorted(found.items()) if len(files) == 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=int(os.environ.get("N") or 20000))
    parser.add_argument("--out", type=Path, default=REPO / "bench-out")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    root = tree_root(args.out, args.files)
    generate(root, args.files, 40, 1)
    env = {**bench_env(root), "DJANGO_SETTINGS_MODULE": "bench.settings"}
    run_timed(django_cmd("migrate", "--noinput", "-v", "0"), env)
    if not (root / "collected" / "staticfiles.json").exists():
        run_timed(django_cmd("collectstatic", "--noinput", "-v", "0"), env)
    python = [sys.executable, "-c"]
    worker = django_cmd("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0")

    def dashboard_run() -> float:
        run_timed([*python, ENQUEUE], env)  # the Start button's request
        return measure(worker, env).wall

    def plain() -> float:
        return measure(django_cmd("collectstatic", "--noinput", "-v", "0"), env).wall

    css = collected_css(root)
    original = css.read_bytes()
    edits = itertools.count()

    def edit_css() -> None:
        # Other bytes before every run: the run before has collected the last edit.
        css.write_bytes(original + f"\n.x{next(edits)} {{}}\n".encode())

    print(f"collection over {args.files:,} files, median of {args.repeat}, whole process")

    def unchanged() -> None:
        pass

    for label, prepare in (
        ("unchanged tree", unchanged),
        ("one CSS source changed", edit_css),
    ):
        plain_runs, ours = [], []
        kept = files_of(root / "collected")
        try:
            for _ in range(args.repeat):
                prepare()
                plain_runs.append(plain())
                prepare()
                ours.append(dashboard_run())
        finally:
            if prepare is edit_css:
                # The tree as it was for the next bench: the source, its collected copy and the
                # manifest back, and the hashed copies of the edits gone.
                css.write_bytes(original)
                run_timed(django_cmd("collectstatic", "--noinput", "-v", "0"), env)
                for left in files_of(root / "collected") - kept:
                    left.unlink()
        ratio = statistics.median(ours) / statistics.median(plain_runs)
        # The target is the unchanged tree's; a changed file is collected and every file
        # post-processed, as collectstatic does.
        verdict = (
            f"target <= {TARGET}: {'met' if ratio <= TARGET else 'MISSED'}"
            if prepare is unchanged
            else "no target: it collects and post-processes as collectstatic does"
        )
        print(
            f"  {label}: collectstatic {fmt(statistics.median(plain_runs))}, "
            f"dashboard run through db_worker {fmt(statistics.median(ours))} "
            f"({ratio:.2f}x; {verdict})"
        )
        last = subprocess.run(
            [*python, RESULT], cwd=REPO, env=env, capture_output=True, text=True, check=True
        )
        print(f"    last run (phase, copied, unmodified, error): {last.stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
