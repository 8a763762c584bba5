"""Benchmark the toolbar's Assets panel against the built-in StaticFilesPanel on one page.

Usage: ``python bench/panel.py [--files N] [--refs 50] [--rounds 5] [--per-round 20] [--out DIR]``

The page renders ``--refs`` ``{% static %}`` references into the synthetic tree of
``bench/generate.py`` (20k files by default, collected once with a manifest, like ``bench/run.py``
does). Every request goes through the test client and the real toolbar middleware; the overhead of
a panel is the median request time with only that panel enabled minus the median with the toolbar
and no panel, all measured warm, in interleaved rounds. Prints figures only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate  # noqa: E402
from bench.run import bench_env, django_cmd, fmt, run_timed  # noqa: E402

TARGET_S = 0.005
ASSETS = "inspector.panels.AssetsPanel"
BUILTIN = "debug_toolbar.panels.staticfiles.StaticFilesPanel"
BASELINE = "toolbar, no panel"
SCENARIOS: dict[str, list[str]] = {
    BASELINE: [],
    "AssetsPanel": [ASSETS],
    "StaticFilesPanel (built-in)": [BUILTIN],
    "both panels": [BUILTIN, ASSETS],
}

# The page's compiled template, set once the paths are picked.
_page: dict[str, Any] = {}


def staff_user(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Middleware: every request comes from a superuser (unsaved: no database), as a staff
    member with ``inspector.view_assets`` browses; the panel shows nothing to anyone else."""
    from django.contrib.auth.models import User

    user = User(username="bench", is_staff=True, is_superuser=True, is_active=True)

    def middleware(request: Any) -> Any:
        request.user = user
        return get_response(request)

    return middleware


def page_view(request: Any) -> Any:
    from django.http import HttpResponse

    return HttpResponse(_page["template"].render({}, request))


def configure(root: Path) -> None:
    """Set up Django in this process: ``bench.settings`` plus DEBUG, the toolbar and a page."""
    os.environ.update(bench_env(root))
    import django
    from django.conf import settings

    import bench.settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    values.update(
        DEBUG=True,
        INTERNAL_IPS=["127.0.0.1"],
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[*base.INSTALLED_APPS, "debug_toolbar"],
        MIDDLEWARE=[f"{__name__}.staff_user", "debug_toolbar.middleware.DebugToolbarMiddleware"],
        ROOT_URLCONF=__name__,
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        # Both panels at start-up, so both hook url() (the built-in one in its ready()).
        DEBUG_TOOLBAR_PANELS=[BUILTIN, ASSETS],
        DEBUG_TOOLBAR_CONFIG={"IS_RUNNING_TESTS": False},
    )
    settings.configure(**values)
    django.setup()
    from django.urls import include, path

    # This module is the URLconf; its patterns can only be built once Django is set up.
    # The dashboard is mounted so the panel's rows carry their detail links, as in a project.
    globals()["urlpatterns"] = [
        path("page/", page_view),
        path("assets/", include("inspector.urls")),
        path("__debug__/", include("debug_toolbar.urls")),
    ]


def pick_paths(count: int) -> list[str]:
    """Return ``count`` collected paths spread over the tree, a tenth of them conflicts."""
    from inspector.core.inventory import current_inventory
    from inspector.core.status import SourceStatus

    records = [r for r in current_inventory() if r.collect_winner is not None]
    conflicts = [r.path for r in records if r.status == SourceStatus.CONFLICT]
    others = [r.path for r in records if r.status != SourceStatus.CONFLICT]
    wanted_conflicts = conflicts[:: max(1, len(conflicts) // max(1, count // 10))][: count // 10]
    rest = count - len(wanted_conflicts)
    return wanted_conflicts + others[:: max(1, len(others) // rest)][:rest]


def page_template(paths: list[str]) -> str:
    tags = []
    for path in paths:
        if path.endswith(".css"):
            tags.append(f'<link rel="stylesheet" href="{{% static "{path}" %}}">')
        elif path.endswith(".js"):
            tags.append(f'<script src="{{% static "{path}" %}}" defer></script>')
        else:
            tags.append(f'<img src="{{% static "{path}" %}}" alt="">')
    body = "\n".join(tags)
    return f"{{% load static %}}<!doctype html><html><head></head><body>\n{body}\n</body></html>"


def timed_get(client: Any, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} returned {response.status_code}")
    return elapsed


def measure(rounds: int, per_round: int) -> dict[str, list[float]]:
    """Return every timed request per scenario, scenarios interleaved round by round."""
    from django.test import Client, override_settings

    client = Client()
    samples: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    for _ in range(rounds):
        for name, panel_paths in SCENARIOS.items():
            with override_settings(DEBUG_TOOLBAR_PANELS=panel_paths):
                for _ in range(3):  # warm this scenario's code paths again
                    timed_get(client, "/page/")
                samples[name] += [timed_get(client, "/page/") for _ in range(per_round)]
    return samples


def elapsed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def last_request_id(client: Any) -> str:
    response = client.get("/page/")
    found = re.search(rb'data-request-id="([0-9a-f]+)"', response.content)
    if not found:
        raise RuntimeError("the toolbar was not inserted into the page")
    return found.group(1).decode()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=int(os.environ.get("N") or 20000))
    parser.add_argument("--apps", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--refs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=20)
    # Its own tree, so a concurrent bench/run.py (which re-collects bench-out) cannot interfere.
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "panel")
    args = parser.parse_args(argv)
    root = args.out.resolve()

    generate(root, args.files, args.apps, args.seed)
    if not (root / "collected" / "staticfiles.json").exists():
        print("collecting the tree once, with a manifest...", file=sys.stderr, flush=True)
        run_timed(django_cmd("collectstatic", "--noinput", "-v", "0"), bench_env(root))

    configure(root)
    from django.contrib.staticfiles import finders
    from django.template import engines
    from django.test import Client, override_settings

    from inspector.core.layers import current_layers
    from inspector.panels import panel as panels

    one_offs: list[tuple[str, float]] = []
    paths: list[str] = []
    one_offs.append(
        (
            "inventory, first build in this process",
            elapsed(lambda: paths.extend(pick_paths(args.refs))),
        )
    )
    _page["template"] = engines["django"].from_string(page_template(paths))
    client = Client()
    with override_settings(DEBUG_TOOLBAR_PANELS=[ASSETS]):
        first = elapsed(lambda: timed_get(client, "/page/"))
        one_offs.append(("first request with AssetsPanel (its manifest report, cold)", first))
    one_offs.append(
        ("one check of every layer (what the background refresh runs)", elapsed(current_layers))
    )
    listing = elapsed(lambda: [list(f.list([])) for f in finders.get_finders()])
    one_offs.append(("every finder's list(), which the built-in panel runs per request", listing))

    # Time the panel's own work after the view (generate_stats) apart from the whole request.
    in_panel: list[float] = []
    build_stats = panels.build_stats

    def timed_build_stats(*args: Any) -> Any:
        start = time.perf_counter()
        try:
            return build_stats(*args)
        finally:
            in_panel.append(time.perf_counter() - start)

    panels.build_stats = timed_build_stats  # type: ignore[assignment]
    samples = measure(args.rounds, args.per_round)
    panels.build_stats = build_stats
    one_offs.append(
        ("AssetsPanel generate_stats alone, warm (median)", statistics.median(in_panel))
    )
    with override_settings(DEBUG_TOOLBAR_PANELS=[ASSETS]):
        request_id = last_request_id(client)
        url = f"/__debug__/render_panel/?request_id={request_id}&panel_id=AssetsPanel"
        render = statistics.median(timed_get(client, url) for _ in range(10))
    one_offs.append(("opening the panel: render_panel from the store (median of 10)", render))
    report(args, root, one_offs, samples)
    return 0


def report(
    args: argparse.Namespace,
    root: Path,
    one_offs: list[tuple[str, float]],
    samples: dict[str, list[float]],
) -> None:
    import django

    print(
        f"Assets panel benchmark  {datetime.date.today().isoformat()}  Python "
        f"{platform.python_version()}, Django {django.get_version()}, {os.cpu_count()} CPUs"
    )
    print(f"tree {root}: {args.files} files, {args.refs} {{% static %}} references on the page")
    print()
    width = max(len(label) for label, _ in one_offs)
    for label, seconds in one_offs:
        print(f"  {label:<{width}}  {fmt(seconds):>10}")
    print()
    count = len(next(iter(samples.values())))
    print(f"  {f'warm, {count} requests each':<30} {'median':>10} {'p90':>10} {'overhead':>10}")
    base = statistics.median(samples[BASELINE])
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        overhead = "" if name == BASELINE else fmt(median - base)
        print(f"  {name:<30} {fmt(median):>10} {fmt(p90):>10} {overhead:>10}")
    ours = statistics.median(samples["AssetsPanel"]) - base
    builtin = statistics.median(samples["StaticFilesPanel (built-in)"]) - base
    verdict = "OK" if ours <= TARGET_S else "MISSED"
    print()
    print(f"  AssetsPanel overhead per request {fmt(ours)} (target <= {fmt(TARGET_S)}: {verdict});")
    print(f"  built-in StaticFilesPanel {fmt(builtin)} on the same page.")


if __name__ == "__main__":
    sys.exit(main())
