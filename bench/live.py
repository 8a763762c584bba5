"""Benchmark the live layer (the sources against the collected storage) on the synthetic project.

Usage: ``python bench/live.py [--files N] [--s3-files M] [--skip-s3] [--out DIR]`` (N also from
the environment variable N). Prints figures; exits non-zero only when something crashes.

1. STATIC_ROOT (``ManifestStaticFilesStorage``, ``bench/settings.py``): collects N files once,
   then times ``get_live_report()`` cold (fresh process state, fingerprint caches cleared) and
   warm (``max_age=0``: a new listing, warm fingerprints), ``current_layers()`` as the CLI uses
   it, and one same-size edit of a source (1 modified), with the live counts.
2. S3 (``S3ManifestStaticStorage`` through django-storages, ``bench/settings_s3.py``) on a
   SeaweedFS started on 127.0.0.1: collects M files into a bucket with the real
   ``collectstatic``, then the same figures plus the S3 requests of every call, counted with
   botocore event hooks on the inspector's own client (``before-call`` per operation,
   ``before-send`` per HTTP attempt), and ``collectstatic --dry-run`` against the same bucket
   for comparison. SeaweedFS is stopped at the end whatever happens.

Each measurement runs in a process of its own (``--measure fs|s3``, internal), so that "cold"
starts from nothing and each part has its own settings.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
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
from typing import Any, cast

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.generate import generate, read_marker  # noqa: E402
from bench.run import BenchError, bench_env, fmt, run_timed  # noqa: E402

WIDTH = 56  # label column
WARM_RUNS = 5
# The S3 manifest read through the Storage API: HEAD (S3File checks it exists), HEAD
# (s3transfer asks its size), GET. Anything above that is a request per object.
MANIFEST_READ_OPS = {"HeadObject": 2, "GetObject": 1}
EDIT_MARK = b"#"


def say(text: str = "") -> None:
    print(text, flush=True)


def row(label: str, value: str, note: str = "") -> None:
    say(f"  {label:<{WIDTH}}  {value:>10}  {note}".rstrip())


def runs_note(how: str, runs: list[float]) -> str:
    return f"{how}; runs " + ", ".join(fmt(r) for r in runs)


# --- the orchestrating process -------------------------------------------------------------------


def tree(out: Path, files: int) -> Path:
    """Generate (or reuse) the synthetic tree of ``files`` files under ``out``; return its root."""
    root = out / f"n{files}"
    began = time.perf_counter()
    generate(root, files, 40, 1)
    expected = (read_marker(root, files) or {}).get("expected", {})
    row(
        f"generate tree of {files:,} files (skipped if present)",
        fmt(time.perf_counter() - began),
        f"{expected.get('paths', '?')} paths, {expected.get('conflicts', '?')} conflicts",
    )
    return root


def child(kind: str, env: dict[str, str], files: int, repeat: int) -> None:
    """Run one in-process measurement in a fresh Python process; its output goes to ours."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", kind]
    cmd += ["--files", str(files), "--repeat", str(repeat)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, check=False)
    if proc.returncode:
        raise BenchError(f"the {kind} measurement exited {proc.returncode}")


def counted_run(
    cmd: list[str], env: dict[str, str], count_file: Path
) -> tuple[float, Counter[str]]:
    """Run a Django command with every S3 request counted (``bench/settings_s3.py``)."""
    count_file.unlink(missing_ok=True)
    elapsed = run_timed(cmd, {**env, "BENCH_S3_COUNT_FILE": str(count_file)})
    try:
        counts: Counter[str] = Counter(json.loads(count_file.read_text()))
    except (OSError, ValueError):
        counts = Counter()
    return elapsed, counts


def describe_requests(
    counts: Counter[str], attempts: int | None = None, *, total_first: bool = True
) -> str:
    ops = {k: v for k, v in counts.items() if k != "http-attempts"}
    if attempts is None:
        attempts = counts.get("http-attempts")
    parts = ", ".join(f"{k} {v:,}" for k, v in sorted(ops.items(), key=lambda kv: -kv[1]))
    total = sum(ops.values())
    text = f"{total:,} requests ({parts or 'none'})" if total_first else parts or "none"
    if attempts is not None and attempts != total:
        text += f", {attempts:,} HTTP attempts"
    return text


def seaweed_class() -> type:
    from tests.support.seaweed import SeaweedFS

    return SeaweedFS


def s3_part(out: Path, files: int, repeat: int) -> None:
    say()
    say(f"S3: S3ManifestStaticStorage (django-storages) on SeaweedFS, {files:,} files")
    root = tree(out, files)
    data = out / "seaweed"
    shutil.rmtree(data, ignore_errors=True)  # a fresh server and bucket every run
    weed = seaweed_class()(data)
    try:
        try:
            weed.start()
        except (OSError, RuntimeError) as exc:
            raise BenchError(f"SeaweedFS did not start: {exc}") from exc
        bucket = weed.create_bucket(f"bench-live-{files}")
        row(
            "SeaweedFS start (weed mini, 127.0.0.1)",
            fmt(weed.started_in),
            f"{weed.endpoint_url}, bucket {bucket}",
        )
        env = {
            **bench_env(root),
            "DJANGO_SETTINGS_MODULE": "bench.settings_s3",
            "BENCH_S3_ENDPOINT_URL": weed.endpoint_url,
            "BENCH_S3_BUCKET": bucket,
        }
        shutil.rmtree(root / "cache-s3", ignore_errors=True)
        django = [sys.executable, "-m", "django"]
        collect_s, collect_requests = counted_run(
            [*django, "collectstatic", "--noinput", "-v", "0"], env, out / "requests.json"
        )
        row("collectstatic --noinput into the empty bucket (once)", fmt(collect_s))
        row("  its S3 requests", "", describe_requests(collect_requests))
        child("s3", {**env, "BENCH_S3_COUNT_FILE": str(out / "requests.json")}, files, repeat)
        say()
        dry_s, dry_requests = counted_run(
            [*django, "collectstatic", "--dry-run", "--noinput"], env, out / "requests.json"
        )
        row("collectstatic --dry-run --noinput, same bucket (whole process)", fmt(dry_s))
        row("  its S3 requests", "", describe_requests(dry_requests))
    finally:
        weed.stop()
        say(f"  (SeaweedFS stopped; its log: {weed.log_path})")


def orchestrate(args: argparse.Namespace) -> int:
    import django

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not (out / ".gitignore").exists():
        (out / ".gitignore").write_text("*\n")
    today = datetime.date.today().isoformat()
    versions = f"Python {platform.python_version()}, Django {django.get_version()}"
    say(f"asset inspector live-layer benchmark  {today}  {versions}  {os.cpu_count()} CPUs")
    say()
    say(f"STATIC_ROOT: ManifestStaticFilesStorage, {args.files:,} files")
    root = tree(out, args.files)
    env = {**bench_env(root), "DJANGO_SETTINGS_MODULE": "bench.settings"}
    shutil.rmtree(root / "collected", ignore_errors=True)  # a full collection, not an update
    collect = run_timed(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"], env
    )
    row("collectstatic --noinput into an empty STATIC_ROOT (once)", fmt(collect))
    child("fs", env, args.files, args.repeat)
    if args.skip_s3:
        say()
        say("S3: skipped (--skip-s3)")
    else:
        s3_part(out, args.s3_files or args.files, args.repeat)
    return 0


# --- the measuring process -----------------------------------------------------------------------


@dataclass
class RequestLog:
    """S3 operations (``before-call``) and HTTP attempts (``before-send``) of the clients given."""

    ops: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    # The keys HEAD and GET asked for: which objects were read one by one.
    keys: list[str] = field(default_factory=list)
    _clients: list[Any] = field(default_factory=list)  # kept alive: ids are not reused

    def attach(self, client: Any) -> None:
        if any(seen is client for seen in self._clients):
            return
        client.meta.events.register("before-call.s3", self._on_call)
        client.meta.events.register("before-send.s3", self._on_send)
        self._clients.append(client)

    def _on_call(self, model: Any, params: Any = None, **_: Any) -> None:
        self.ops[model.name] += 1
        if model.name in MANIFEST_READ_OPS and isinstance(params, dict):
            # before-call gets the request dict: the key is in its URL path (path addressing).
            self.keys.append(f"{model.name} {params.get('url_path', '?')}")

    def _on_send(self, **_: Any) -> None:
        self.attempts += 1

    def mark(self) -> tuple[Counter[str], int, Counter[str], int]:
        return Counter(self.ops), self.attempts, Counter(process_requests()), len(self.keys)

    def since(self, mark: tuple[Counter[str], int, Counter[str], int]) -> Requests:
        ops, attempts, everywhere, keys = mark
        return Requests(
            self.ops - ops,
            self.attempts - attempts,
            Counter(process_requests()) - everywhere,
            self.keys[keys:],
        )


@dataclass
class Requests:
    ops: Counter[str]
    attempts: int
    # Every boto3 session of the process (bench/settings_s3.py): a cross-check of the hooks.
    everywhere: Counter[str]
    keys: list[str]

    @property
    def total(self) -> int:
        return sum(self.ops.values())

    def per_object(self, manifest_reads: int) -> int:
        """HEAD and GET requests beyond those of ``manifest_reads`` manifest reads."""
        extra = 0
        for op, per_read in MANIFEST_READ_OPS.items():
            extra += max(0, self.ops[op] - per_read * manifest_reads)
        return extra

    def unseen(self) -> int:
        """Requests other clients of the process made (another thread's connection)."""
        ops = {k: v for k, v in self.everywhere.items() if k != "http-attempts"}
        return sum(ops.values()) - self.total if ops else 0


def process_requests() -> Counter[str]:
    module = sys.modules.get("bench.settings_s3")
    counted = getattr(module, "S3_REQUESTS", None)
    return counted if isinstance(counted, Counter) else Counter()


@dataclass
class Measurer:
    """Calls into the inspector with the clocks and (for S3) the request counters around them."""

    s3: bool
    files: int
    log: RequestLog = field(default_factory=RequestLog)
    stored: int = 0  # objects in the bucket, from the first listing
    _shown_reads: list[Counter[str]] = field(default_factory=list)

    def reset(self) -> None:
        """Forget every process cache and the shared cache: the next call starts cold."""
        from django.core.cache import caches as django_caches

        from inspector.core import caches
        from inspector.core.storage.kept import forget_listings

        caches.clear()
        forget_listings()
        django_caches["inspector"].clear()

    def call(self, fn: Callable[[], Any]) -> tuple[float, Any, Requests | None]:
        """Time ``fn()``; the inspector's storage (and its client) is made inside the clock."""
        from inspector.core.storage.instance import collected_storage

        began = time.perf_counter()
        mark = None
        if self.s3:
            storage, error = collected_storage()
            if storage is None:
                raise BenchError(f"no inspector storage: {error}")
            # An S3 storage (bench/settings_s3.py): boto3's client behind its resource.
            self.log.attach(cast(Any, storage).connection.meta.client)
            mark = self.log.mark()
        result = fn()
        elapsed = time.perf_counter() - began
        return elapsed, result, (self.log.since(mark) if mark is not None else None)

    def requests_row(self, requests: Requests | None, manifest_reads: int) -> None:
        """Print the requests of one call against the targets (S3 only)."""
        if requests is None:
            return
        target = math.ceil(self.files / 1000) + 5
        by_stored = math.ceil(self.stored / 1000) + 5
        pages = max(1, math.ceil(self.stored / 1000))
        per_object = requests.per_object(manifest_reads)
        row(
            "    S3 requests",
            str(requests.total),
            f"{describe_requests(requests.ops, requests.attempts, total_first=False)}; "
            f"{requests.ops['ListObjectsV2'] / pages:g} listing(s)",
        )
        row(
            "",
            "",
            f"target ceil(N/1000)+5 = {target}: {'OK' if requests.total <= target else 'MISSED'}"
            f"; ceil(stored/1000)+5 = {by_stored}: "
            f"{'OK' if requests.total <= by_stored else 'MISSED'}; HEAD/GET per object: "
            f"{per_object or 'none'} (beyond the manifest read's {manifest_reads * 3})",
        )
        if per_object:
            reads = Counter(requests.keys)
            if reads in self._shown_reads:
                row("", "", "objects read: the same as above")
            else:
                self._shown_reads.append(reads)
                for key, times in sorted(reads.items()):
                    row("", "", f"read {key} x{times}")
        unseen = requests.unseen()
        if unseen:
            row("    WARNING", "", f"{unseen} more requests by other clients of this process")


def report_facts(report: Any) -> str:
    return (
        f"{report.file_count:,} stored files listed in {fmt(report.listing_seconds)}, "
        f"reads {report.reads}, orphans {len(report.orphans)}, problems {len(report.problems)}"
    )


def counts_text(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "none"


def measure(kind: str, files: int, repeat: int) -> int:
    """Time the layers cold (every cache cleared), warm (a new listing, warm fingerprints) and
    after one same-size edit of a source, with the live counts and (S3) every request."""
    import django

    django.setup()
    from inspector.core.freshness import NOW
    from inspector.core.inventory import current_inventory
    from inspector.core.layers import current_layers
    from inspector.core.storage.kept import forget_listings

    m = Measurer(s3=kind == "s3", files=files)

    def live() -> Any:
        forget_listings()  # a new listing every call: what a re-check costs
        return current_layers(max_age=NOW).live

    runs: list[float] = []
    report: Any = None
    requests: Requests | None = None
    for _ in range(repeat):
        m.reset()
        elapsed, report, requests = m.call(live)
        runs.append(elapsed)
    m.stored = report.file_count
    row("current_layers() cold, every cache cleared", fmt(min(runs)), runs_note("best", runs))
    row("", "", report_facts(report))
    m.requests_row(requests, 1)
    row("  live counts", "", counts_text(report.counts()))
    warm = []
    for _ in range(WARM_RUNS):
        elapsed, report, requests = m.call(live)
        warm.append(elapsed)
    row("current_layers() warm, a new listing", fmt(statistics.median(warm)), "median")
    m.requests_row(requests, 1)

    record = next(
        r for r in current_inventory() if r.path.endswith(".css") and r.collect_winner is not None
    )
    location = Path(record.collect_winner.location)  # type: ignore[union-attr]
    original = location.read_bytes()
    try:
        location.write_bytes(original.replace(original[-1:], EDIT_MARK, 1)[: len(original)])
        elapsed, report, requests = m.call(live)
        row("after a same-size edit of one source", fmt(elapsed), report_facts(report))
        row("  live counts", "", counts_text(report.counts()))
    finally:
        location.write_bytes(original)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=int(os.environ.get("N") or 20000))
    parser.add_argument("--s3-files", type=int, default=0, help="files for S3 (default --files)")
    parser.add_argument("--skip-s3", action="store_true", help="STATIC_ROOT only")
    # Not bench-out: run.py empties its STATIC_ROOT, and both may run at the same time.
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench-live")
    parser.add_argument("--repeat", type=int, default=3, help="best of how many cold runs")
    parser.add_argument("--measure", choices=("fs", "s3"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        return measure(args.measure, args.files, args.repeat)
    return orchestrate(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
