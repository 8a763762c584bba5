"""Benchmark manifest verification on the synthetic project of ``bench/run.py``.

Usage: ``python bench/manifest.py [--files N] [--storage django|whitenoise] [--out DIR]``.
Collects once with the chosen manifest storage, then times the manifest layer of
``current_layers()`` cold (no digest known), warm (nothing changed) and after one edited CSS file,
and checks that the untouched collection reports no finding at all. Prints figures; exits
non-zero only when something crashes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate  # noqa: E402
from bench.run import BenchError, bench_env, fmt, run_timed  # noqa: E402

STORAGES = {
    "django": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    "whitenoise": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}
SETTINGS_MODULE = "bench_manifest_settings"


def write_settings(root: Path, backend: str) -> None:
    """Write a settings module beside the tree: bench.settings with another staticfiles storage."""
    (root / f"{SETTINGS_MODULE}.py").write_text(
        "from bench.settings import *  # noqa: F403\n\n"
        "STORAGES = {**STORAGES, "  # noqa: F405 - from bench.settings
        f'"staticfiles": {{"BACKEND": "{backend}"}}}}\n'
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=int(os.environ.get("N") or 20000))
    parser.add_argument("--storage", choices=sorted(STORAGES), default="django")
    # Not bench-out: run.py empties its STATIC_ROOT, and both may run at the same time.
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench-manifest")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    root = args.out.resolve()

    start = time.perf_counter()
    generate(root, args.files, 40, 1)
    print(f"generate tree (skipped if present)      {fmt(time.perf_counter() - start)}")
    write_settings(root, STORAGES[args.storage])
    env = {**bench_env(root), "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE}
    env["PYTHONPATH"] = os.pathsep.join([str(root), env["PYTHONPATH"]])
    shutil.rmtree(root / "collected", ignore_errors=True)
    cmd = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"]
    print(f"collectstatic ({args.storage})              {fmt(run_timed(cmd, env))}")

    os.environ.update(env)
    sys.path.insert(0, str(root))
    import django

    django.setup()
    from inspector.core import caches
    from inspector.core.inventory import current_inventory
    from inspector.core.layers import current_layers

    def get_manifest_report(_inventory: object = None) -> Any:
        return current_layers(live=False).manifest

    inventory = current_inventory()

    def cold() -> float:
        caches.clear()
        began = time.perf_counter()
        get_manifest_report()
        return time.perf_counter() - began

    runs = [cold() for _ in range(args.repeat)]
    report = get_manifest_report()
    warm = []
    for _ in range(5):
        began = time.perf_counter()
        again = get_manifest_report()
        warm.append(time.perf_counter() - began)
    stored = sum(1 for _ in (root / "collected").rglob("*"))
    print(f"paths {len(inventory)}, manifest entries {report.entry_count}, stored files {stored}")
    print(
        f"manifest report cold (best of {args.repeat})     {fmt(min(runs))}  runs "
        + ", ".join(fmt(r) for r in runs)
    )
    print(
        f"manifest report warm (median of 5)      {fmt(statistics.median(warm))}"
        + ("" if again is report else "  (new object each call)")
    )
    findings = {k: v for k, v in report.counts().items() if k != "ok"}
    print(
        f"untouched collection: {dict(report.counts())}, findings {len(report.findings)}, "
        f"problems {list(report.problems)}"
    )
    if findings or report.findings or report.problems:
        print("  WARNING: an untouched collection must report zero findings")

    css = next(r for r in inventory if r.path.endswith(".css") and r.collect_winner)
    location = Path(css.collect_winner.location)  # type: ignore[union-attr]
    original = location.read_bytes()
    try:
        location.write_bytes(original + b"\n.edited { color: red }\n")
        began = time.perf_counter()
        edited = get_manifest_report()
        elapsed = time.perf_counter() - began
        status = edited.entry(css.path).status
        print(f"inventory + report after one CSS edit   {fmt(elapsed)}  ({css.path}: {status})")
    finally:
        location.write_bytes(original)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
