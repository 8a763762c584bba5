"""A real S3 server for tests: SeaweedFS (``weed mini``) on free loopback ports.

The server itself lives in ``demo/seaweed.py`` (``make demo-s3`` uses it too); this module adds
the pytest fixture. One server serves the whole test session (start-up is about a second); each
test isolates itself in a bucket of its own (``SeaweedFS.create_bucket``). Everything binds to
127.0.0.1, telemetry is off, data lives in a temporary folder, and the process is stopped at
session end whatever happens (and dies with the test process if that is killed).

Use it from a test module by importing the fixture::

    from .seaweed import SeaweedFS, seaweed  # noqa: F401  (the fixture)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo.seaweed import (
    HOST,
    PORT_OFFSETS,
    SeaweedFS,
    closed_port,
    free_base_port,
    ports_free,
    weed_binary,
)

__all__ = [
    "HOST",
    "PORT_OFFSETS",
    "SeaweedFS",
    "closed_port",
    "free_base_port",
    "ports_free",
    "seaweed",
    "weed_binary",
]


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A SeaweedFS S3 server shared by the session; stopped at session end, always."""
    with SeaweedFS(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server
