"""A real S3 server for the tests in this folder: SeaweedFS (``weed mini``) on free loopback ports.

One server serves the whole session (start-up is about a second); each test isolates itself in a
bucket of its own (``SeaweedFS.create_bucket``). Everything binds to 127.0.0.1, telemetry is off,
data lives in a temporary folder, and the process is stopped at session end whatever happens (and
dies with the test process if that is killed). The server itself is ``tests/support/seaweed.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.seaweed import SeaweedFS


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A SeaweedFS S3 server shared by the session; stopped at session end, always."""
    with SeaweedFS(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server
