"""The live layer on S3: a real ``collectstatic`` into SeaweedFS, drift planted on both sides, and
the endpoint failing in each way a real one does (refused, stalled, forbidden, bucket gone).

Storages are configured as a user would (``STORAGES`` OPTIONS for django-storages); requests are
counted with botocore's event hooks on the inspector's own client.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from django.conf import settings
from django.core.management import call_command

from inspector.core.inventory import current_inventory
from inspector.core.layers import Layers, current_layers
from inspector.core.live import LiveReport
from inspector.core.status import LiveStatus
from inspector.core.storage.instance import collected_storage
from inspector.core.storage.kept import forget_listings
from tests.support.layout import Layout, age
from tests.support.manifest import FILES
from tests.support.s3 import (
    Bucket,
    RequestLog,
    collectstatic,
    edit_source,
    s3_options,
    s3_storages,
)
from tests.support.seaweed import SeaweedFS, closed_port


def live_report() -> LiveReport:
    """The live layer of layers checked now."""
    report = current_layers().live
    assert report is not None
    return report


def statuses() -> dict[str, LiveStatus]:
    report = live_report()
    paths = [r.path for r in current_inventory()] + list(report.orphans)
    return {path: report.status_of(path) for path in paths}  # type: ignore[misc]


def only(found: dict[str, LiveStatus], planted: dict[str, LiveStatus]) -> None:
    assert {p: s for p, s in found.items() if s != LiveStatus.CURRENT} == planted


def counting() -> RequestLog:
    storage, error = collected_storage()
    assert storage is not None, error
    return RequestLog().attach(storage.connection.meta.client)


@pytest.fixture
def bucket(layout: Layout, seaweed: SeaweedFS) -> Iterator[Bucket]:
    app, static = layout.app("lives3")
    for path, content in FILES.items():
        layout.write(static, path, content)
    name = seaweed.create_bucket("live")
    with layout.settings(apps=[app], STORAGES=s3_storages(s3_options(seaweed, name)), DEBUG=False):
        collectstatic()
        age(layout.root)
        yield Bucket(seaweed, name, static, seaweed.client())


def test_a_fresh_s3_collection_is_current_in_one_listing(bucket: Bucket) -> None:
    requests = counting()
    layers = current_layers()
    ops = requests.operations.copy()
    assert layers.live is not None and layers.live.problems == ()
    assert layers.live.location == f"s3://{bucket.name}/static" and layers.live.remote
    only(statuses(), {})
    objects = len(bucket.names())
    # The manifest and live layers share one paginated listing; no request per object.
    assert ops["ListObjectsV2"] == math.ceil(objects / 1000), ops
    assert ops["GetObject"] == 1 and ops["HeadObject"] <= 2, ops  # the manifest read
    assert sum(ops.values()) <= math.ceil(objects / 1000) + 5


def test_drift_on_both_sides_of_s3_shows_on_exactly_its_paths(bucket: Bucket) -> None:
    edit_source(bucket.static / "css/print.css", "@media print { body { color: gray } }\n")
    bucket.static.joinpath("css/added.css").write_text("h2 { margin: 0 }\n")
    bucket.static.joinpath("js/standalone.js").unlink()
    bucket.put("img/logo.svg", b"<svg/>\n")  # overwritten by hand: other size
    same_size = bucket.read("css/base.css").replace(b"h1", b"h2")
    bucket.put("css/base.css", same_size)  # same size, other bytes: only the ETag tells
    bucket.delete("js/app.js.map")
    age(bucket.static)
    forget_listings()
    only(
        statuses(),
        {
            "css/print.css": LiveStatus.MODIFIED,
            "css/added.css": LiveStatus.MISSING,
            "js/standalone.js": LiveStatus.ORPHANED,
            "img/logo.svg": LiveStatus.MODIFIED,
            "css/base.css": LiveStatus.MODIFIED,
            "js/app.js.map": LiveStatus.MISSING,
        },
    )


def test_pages_reuse_a_remote_listing_until_rechecked(bucket: Bucket) -> None:
    from inspector.core.freshness import page_max_age

    def page_layers() -> Layers:
        return current_layers(max_age=page_max_age())

    first = page_layers().live
    bucket.delete("js/app.js.map")
    requests = counting()
    kept = page_layers().live
    assert kept is not None and first is not None and kept.checked_at == first.checked_at
    assert kept.status_of("js/app.js.map") == LiveStatus.CURRENT  # the kept listing's view
    assert requests.operations["ListObjectsV2"] == 0
    forget_listings()  # what "Re-check now" does
    fresh = page_layers().live
    assert fresh is not None and fresh.status_of("js/app.js.map") == LiveStatus.MISSING


def test_multipart_and_gzipped_objects_are_compared_by_reading(
    layout: Layout,
    seaweed: SeaweedFS,
) -> None:
    app, static = layout.app("parts")
    big = bytes(range(256)) * (6 * 1024 * 4)  # 6 MiB: two parts of 5 MiB
    layout.write(static, "video/intro.bin", big)
    layout.write(static, "css/site.css", "body { color: red }\n" * 50)
    options = {
        **s3_options(seaweed, seaweed.create_bucket("parts")),
        "transfer_config": TransferConfig(
            multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
        ),
    }
    with layout.settings(apps=[app], STORAGES=s3_storages(options)):
        collectstatic()
        report = live_report()
        assert report.status_of("video/intro.bin") == LiveStatus.CURRENT
        assert "compared by reading" in report.entry("video/intro.bin").note
        assert report.reads >= 1
    gzipped = {**s3_options(seaweed, seaweed.create_bucket("gz")), "gzip": True}
    with layout.settings(apps=[app], STORAGES=s3_storages(gzipped)):
        collectstatic()
        report = live_report()
        entry = report.entry("css/site.css")
        assert entry.status == LiveStatus.CURRENT and "compared by reading" in entry.note
        edit_source(static / "css/site.css", "body { color: blue }\n" * 50)
        forget_listings()
        assert live_report().status_of("css/site.css") == LiveStatus.MODIFIED


def test_a_read_budget_too_small_leaves_unreadable_objects_unknown(
    layout: Layout,
    seaweed: SeaweedFS,
) -> None:
    app, static = layout.app("budget")
    layout.write(static, "css/site.css", "body { color: red }\n" * 50)
    gzipped = {**s3_options(seaweed, seaweed.create_bucket("budget")), "gzip": True}
    config = {**settings.ASSET_INSPECTOR, "LIVE_READ_MAX_BYTES": 10}
    with layout.settings(apps=[app], STORAGES=s3_storages(gzipped), ASSET_INSPECTOR=config):
        collectstatic()
        report = live_report()
    assert report.status_of("css/site.css") == LiveStatus.UNKNOWN
    assert any("LIVE_READ_MAX_BYTES" in p for p in report.problems)


# --- faults -------------------------------------------------------------------------------------


def assert_unknown_everywhere(report: LiveReport, reason: str) -> None:
    assert not report.checked
    assert report.problems and reason in report.problems[0], report.problems
    for record in current_inventory():
        entry = report.entry(record.path)
        assert entry.status == LiveStatus.UNKNOWN and reason in entry.note


def sources_still_listed() -> None:
    out = StringIO()
    err = StringIO()
    call_command("inspect_assets", "--format", "json", stdout=out, stderr=err)
    rows = json.loads(out.getvalue())
    assert rows and all(row["winner"] for row in rows)
    assert {row["live_status"] for row in rows} == {"unknown"}
    assert "warning: live:" in err.getvalue()


def fault_settings(layout: Layout, options: dict[str, Any], timeout: float = 2.0) -> Any:
    app, static = layout.app("fault")
    layout.write(static, "a.css", "a { color: red }\n")
    config = {**settings.ASSET_INSPECTOR, "TIMEOUT": timeout}
    return layout.settings(apps=[app], STORAGES=s3_storages(options), ASSET_INSPECTOR=config)


def test_an_endpoint_that_refuses_connections(layout: Layout, seaweed: SeaweedFS) -> None:
    down = s3_options(seaweed, "nowhere", endpoint_url=f"http://127.0.0.1:{closed_port()}")
    with fault_settings(layout, down):
        began = time.monotonic()
        report = live_report()
        assert time.monotonic() - began < 5
        assert_unknown_everywhere(report, "Could not connect")
        sources_still_listed()


class StallingServer:
    """Accepts connections and never answers, like an overloaded endpoint."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.stop = threading.Event()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.socket.settimeout(0.1)
        while not self.stop.is_set():
            try:
                self.held.append(self.socket.accept()[0])
            except TimeoutError:
                continue

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        for held in self.held:
            held.close()
        self.socket.close()


def test_an_endpoint_that_stalls_costs_the_timeout_not_more(
    layout: Layout,
    seaweed: SeaweedFS,
) -> None:
    stalling = StallingServer()
    try:
        slow = s3_options(seaweed, "slow", endpoint_url=f"http://127.0.0.1:{stalling.port}")
        slow.pop("client_config")  # the user set no timeouts: the inspector's own apply
        with fault_settings(layout, slow, timeout=1.0):
            began = time.monotonic()
            report = live_report()
            took = time.monotonic() - began
    finally:
        stalling.close()
    # The manifest read: 2 attempts of 1 s; the listing is not waited on past TIMEOUT.
    assert took < 6, took
    assert not report.checked and report.problems


def test_a_missing_bucket_is_named(layout: Layout, seaweed: SeaweedFS) -> None:
    with fault_settings(layout, s3_options(seaweed, "no-such-bucket-here")):
        report = live_report()
        assert_unknown_everywhere(report, "NoSuchBucket")


class SecuredSeaweedFS(SeaweedFS):
    """SeaweedFS that knows one identity: any other key or secret is refused."""

    def command(self) -> list[str]:
        config = self.directory / "s3.json"
        identity = {
            "name": "inspector",
            "credentials": [
                {
                    "accessKey": self.credentials["access_key"],
                    "secretKey": self.credentials["secret_key"],
                }
            ],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        return [*super().command(), f"-s3.config={config}"]


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = SecuredSeaweedFS(Path(tmp_path_factory.mktemp("secured")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_bad_credentials_are_forbidden_and_said_so(layout: Layout, secured: SeaweedFS) -> None:
    name = secured.create_bucket("private")
    options = {**s3_options(secured, name), "secret_key": "not-the-secret"}
    with fault_settings(layout, options):
        report = live_report()
        assert not report.checked
        assert any(
            word in report.problems[0]
            for word in ("Forbidden", "AccessDenied", "403", "SignatureDoesNotMatch")
        ), report.problems
        sources_still_listed()
