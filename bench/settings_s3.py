"""Benchmark settings with the collected files in S3: ``bench.settings`` plus a bucket.

``collectstatic`` writes through django-storages' ``S3ManifestStaticStorage``, configured in
``STORAGES`` ``OPTIONS`` as a user would for an S3-compatible server (``bench/live.py`` starts
SeaweedFS on loopback). The endpoint and bucket come from ``BENCH_S3_ENDPOINT_URL`` and
``BENCH_S3_BUCKET``.

``BENCH_S3_COUNT_FILE=PATH`` counts every S3 request of the process (any boto3 session, any
thread: ``before-call`` per operation, ``before-send`` per HTTP attempt) and writes the counts to
PATH as JSON at exit; ``S3_REQUESTS`` holds them meanwhile. The storage configuration is the same
with or without it.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections import Counter
from typing import Any

from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

from bench.settings import *  # noqa: F403
from bench.settings import BENCH_ROOT, CACHES, STORAGES

ENDPOINT_URL = os.environ.get("BENCH_S3_ENDPOINT_URL", "").rstrip("/")
BUCKET = os.environ.get("BENCH_S3_BUCKET", "bench-live")
LOCATION = "static"
if not ENDPOINT_URL:
    raise ImproperlyConfigured("BENCH_S3_ENDPOINT_URL is not set (bench/live.py sets it)")

STORAGES = {
    **STORAGES,
    "staticfiles": {
        "BACKEND": "storages.backends.s3.S3ManifestStaticStorage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": ENDPOINT_URL,
            # weed mini accepts any keys.
            "access_key": "bench-live",
            "secret_key": "bench-live-secret",
            "region_name": "us-east-1",
            "location": LOCATION,
            "querystring_auth": False,
            "client_config": Config(s3={"addressing_style": "path"}),
        },
    },
}
STATIC_URL = f"{ENDPOINT_URL}/{BUCKET}/{LOCATION}/"

# Digests and listings apart from the STATIC_ROOT run's.
CACHES = {**CACHES, "inspector": {**CACHES["inspector"], "LOCATION": BENCH_ROOT / "cache-s3"}}

# --- optional request counting (bench/live.py only) ----------------------------------------------

S3_REQUESTS: Counter[str] = Counter()  # operation names, plus "http-attempts"
_count_lock = threading.Lock()


def _count_requests(path: str) -> None:
    """Register counters on every boto3 session created from now on; dump them at exit."""
    import boto3.session

    def on_call(model: Any, **_: Any) -> None:
        with _count_lock:
            S3_REQUESTS[model.name] += 1

    def on_send(**_: Any) -> None:
        with _count_lock:
            S3_REQUESTS["http-attempts"] += 1

    original = boto3.session.Session.__init__
    if getattr(original, "bench_counting", False):
        return  # already installed

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        # Clients copy the session's emitter when created: every client of this session counts.
        self.events.register("before-call.s3", on_call)
        self.events.register("before-send.s3", on_send)

    counting_init.bench_counting = True  # type: ignore[attr-defined]
    boto3.session.Session.__init__ = counting_init

    def dump() -> None:
        with open(path, "w") as stream:
            json.dump(dict(S3_REQUESTS), stream)

    atexit.register(dump)


if os.environ.get("BENCH_S3_COUNT_FILE"):
    _count_requests(os.environ["BENCH_S3_COUNT_FILE"])
