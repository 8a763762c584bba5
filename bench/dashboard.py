"""Benchmark the dashboard's pages on the synthetic project of ``bench/run.py``.

Usage: ``python bench/dashboard.py [--files N] [--out DIR]``. Times, inside one process and
with a warm inventory, the server side of: the paths table's first page, a filtered search, a
sorted page, the overview, and the CSV export of every row. Each page is timed twice: reusing the
last check of the tree (within ``RECHECK_SECONDS``, as htmx swaps do) and re-checking every file.
Prints figures; exits non-zero only when something crashes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate  # noqa: E402
from bench.run import bench_env, fmt  # noqa: E402

TARGET_S = 0.100
PAGES = [
    ("paths table, first page", "/assets/paths/"),
    ("filtered search (q + status)", "/assets/paths/?q=app1&status=unique&status=conflict"),
    ("sorted by size, page 3", "/assets/paths/?sort=-size&page=3"),
    ("htmx fragment, filtered", "/assets/paths/?status=conflict"),
    ("overview", "/assets/"),
    ("CSV export, every row", "/assets/paths/?_export=csv"),
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=int(os.environ.get("N") or 20000))
    parser.add_argument("--out", type=Path, default=REPO / "bench-out")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    root = args.out.resolve()
    generate(root, args.files, 40, 1)
    os.environ.update(bench_env(root))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import RequestFactory, override_settings

    from inspector.core.inventory import current_inventory

    # An unsaved superuser: has_perm() answers without the database.
    user = User(username="bench", is_staff=True, is_superuser=True, is_active=True)
    factory = RequestFactory()
    from django.urls import resolve

    def serve(url: str, htmx: bool) -> float:
        request = factory.get(url, headers={"HX-Request": "true"} if htmx else {})
        request.user = user
        match = resolve(request.path)
        start = time.perf_counter()
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render"):
            response.render()
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    inventory = current_inventory()
    print(f"tree {root}: {len(inventory)} paths, Django {django.get_version()}")
    print(f"{'page':<32} {'reused check':>13} {'re-checked':>11}  target <= {fmt(TARGET_S)}")
    for label, url in PAGES:
        htmx = "fragment" in label
        serve(url, htmx)  # templates compiled, inventory warm
        reused = statistics.median(serve(url, htmx) for _ in range(args.repeat))
        with override_settings(ASSET_INSPECTOR={"CACHE": "inspector", "RECHECK_SECONDS": 0}):
            current_inventory()
            rechecked = statistics.median(serve(url, htmx) for _ in range(args.repeat))
        verdict = (
            ""
            if "export" in label or "overview" in label
            else (
                "OK"
                if rechecked <= TARGET_S
                else ("OK (reused)" if reused <= TARGET_S else "MISSED")
            )
        )
        print(f"{label:<32} {fmt(reused):>13} {fmt(rechecked):>11}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
