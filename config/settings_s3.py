"""The demo with its collected static files in S3: SeaweedFS on loopback, through django-storages.

Everything from ``config.settings``, except that ``collectstatic`` writes into a bucket through
``S3ManifestStaticStorage``, configured exactly as a user would for an S3-compatible server.
``make demo-s3`` (``demo/run_s3.py``) starts the server, creates the bucket and sets
``DEMO_S3_ENDPOINT_URL``; to run a command against a server it started, set that variable too::

    DEMO_S3_ENDPOINT_URL=http://127.0.0.1:28334 \\
        .venv/bin/python manage.py inspect_assets --settings=config.settings_s3

Local development only: the keys are placeholders (``weed mini`` accepts any).
"""

from __future__ import annotations

import os

from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

from config.settings import *  # noqa: F403
from config.settings import CACHES, STORAGES, VAR_DIR

ENDPOINT_ENV = "DEMO_S3_ENDPOINT_URL"
BUCKET = "asset-inspector-demo"
LOCATION = "static"

DEMO_S3_ENDPOINT_URL = os.environ.get(ENDPOINT_ENV, "").rstrip("/")
if not DEMO_S3_ENDPOINT_URL:
    raise ImproperlyConfigured(
        f"{ENDPOINT_ENV} is not set: start the S3 demo with `make demo-s3`, or set it to the "
        "endpoint that command prints (for example http://127.0.0.1:28334)."
    )

STORAGES = {
    **STORAGES,
    "staticfiles": {
        "BACKEND": "demo.storages_s3.S3ReleaseManifestStorage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": DEMO_S3_ENDPOINT_URL,
            "access_key": "asset-inspector-demo",
            "secret_key": "asset-inspector-demo-secret",
            "region_name": "us-east-1",
            "location": LOCATION,
            # Plain, unsigned URLs a browser can load: the bucket allows anonymous reads.
            "querystring_auth": False,
            # No custom_domain: url() is endpoint/bucket/location/name (path-style addressing).
            "client_config": Config(
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=5,
                retries={"mode": "standard", "total_max_attempts": 2},
            ),
        },
    },
}
# What the storage's url() returns for every name, so anything derived from STATIC_URL (hardcoded
# /static/ URLs are reported against it, for example) points at the bucket too.
STATIC_URL = f"{DEMO_S3_ENDPOINT_URL}/{BUCKET}/{LOCATION}/"

# Digests and listings of the S3 demo are kept apart from the file-system demo's.
CACHES = {
    **CACHES,
    "inspector": {**CACHES["inspector"], "LOCATION": VAR_DIR / "cache" / "inspector-s3"},
}
