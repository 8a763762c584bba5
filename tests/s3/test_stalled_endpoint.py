"""A stalled S3 endpoint (it accepts connections and never answers) costs a page at most
``TIMEOUT`` once; the pages that follow answer at once and say when the next try is."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
from django.conf import settings

from inspector.core.layers import current_layers
from inspector.core.status import LiveStatus, ManifestStatus
from inspector.core.storage.kept import forget_listings
from tests.support.layout import Layout, age
from tests.support.s3 import collectstatic, s3_options, s3_storages
from tests.support.seaweed import SeaweedFS

TIMEOUT = 1.0


@pytest.fixture
def paused(layout: Layout, seaweed: SeaweedFS) -> Iterator[SeaweedFS]:
    app, static = layout.app("stall")
    layout.write(static, "css/a.css", "a { color: red }\n")
    name = seaweed.create_bucket("stall")
    options = s3_options(seaweed, name)
    options.pop("client_config")  # the user set no timeouts: the inspector's own apply
    config = {**settings.ASSET_INSPECTOR, "TIMEOUT": TIMEOUT}
    with layout.settings(
        apps=[app], STORAGES=s3_storages(options), ASSET_INSPECTOR=config, DEBUG=False
    ):
        collectstatic()
        age(layout.root)
        assert current_layers().live is not None
        assert seaweed.process is not None
        os.kill(seaweed.process.pid, signal.SIGSTOP)
        try:
            yield seaweed
        finally:
            os.kill(seaweed.process.pid, signal.SIGCONT)


def test_a_stalled_endpoint_costs_one_timeout_then_backs_off(paused: SeaweedFS) -> None:
    forget_listings()
    began = time.monotonic()
    first = current_layers()
    took = time.monotonic() - began
    # Manifest read and listing together, one TIMEOUT (botocore alone: 2 attempts each).
    assert took < TIMEOUT + 0.8, took
    assert first.manifest.entry("css/a.css").status == ManifestStatus.UNKNOWN
    assert first.live is not None and first.live.status_of("css/a.css") == LiveStatus.UNKNOWN
    said = first.manifest.problems[0]
    assert "did not answer within 1 s" in said and "not asked again before" in said

    began = time.monotonic()
    second = current_layers()
    assert time.monotonic() - began < 0.5, "the next check waits again"
    assert second.live is not None
    assert "not asked again before" in second.live.entry("css/a.css").note
