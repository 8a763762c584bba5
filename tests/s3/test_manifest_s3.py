"""The manifest layer on S3: a real ``collectstatic`` into SeaweedFS, then one fault at a time.

django-storages' ``S3ManifestStaticStorage`` is configured exactly as a user would (``STORAGES``
OPTIONS), against a SeaweedFS started on loopback for the session (``tests/s3/conftest.py``);
every test collects into a bucket of its own. Faults are planted with plain boto3 calls, the way a
half-finished deploy or a hand edit would leave them. Requests are counted with botocore's event
hooks, so a regression to per-object HEADs or full reads fails here, not at 20k files.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.core.cache import caches as django_caches
from django.test import override_settings

from inspector.core import caches
from inspector.core.freshness import MaxAge
from inspector.core.inventory import clear_inventory_cache, current_inventory
from inspector.core.layers import current_layers
from inspector.core.manifest.report import ManifestReport
from inspector.core.status import ManifestFinding, ManifestStatus
from tests.support.layout import Layout, age, files_cache
from tests.support.manifest import FILES, findings_by_path, md5_12
from tests.support.s3 import (
    LOCATION,
    Bucket,
    RequestLog,
    collectstatic,
    edit_source,
    s3_options,
    s3_storages,
)
from tests.support.seaweed import SeaweedFS, closed_port


def report() -> ManifestReport:
    return current_layers().manifest


def log_requests(built: ManifestReport) -> RequestLog:
    """Start counting the requests of the storage instance the inspector built (and keeps).

    The inspector never uses the shared ``staticfiles_storage``; the report's private handle on
    its own instance is the only way to reach that instance's boto3 client.
    """
    storage = built._storage
    assert storage is not None
    return RequestLog().attach(storage.connection.meta.client)


@pytest.fixture
def bucket(layout: Layout, seaweed: SeaweedFS) -> Iterator[Bucket]:
    """A fresh bucket with a real collection of ``FILES`` in it, under location ``static``."""
    app, static = layout.app("s3site")
    for path, content in FILES.items():
        layout.write(static, path, content)
    name = seaweed.create_bucket("manifest")
    with layout.settings(apps=[app], STORAGES=s3_storages(s3_options(seaweed, name)), DEBUG=False):
        caches.clear()
        collectstatic()
        age(layout.root)  # trusted source stamps, as in any deploy older than two seconds
        yield Bucket(seaweed, name, static, seaweed.client())
    caches.clear()
    clear_inventory_cache()


# --- an untouched collection --------------------------------------------------------------------


def test_an_untouched_s3_collection_reports_zero_findings(bucket: Bucket) -> None:
    built = report()
    assert built.applicable and built.problems == ()
    assert findings_by_path(built) == {}
    assert built.findings == ()
    manifest = bucket.manifest()
    assert built.entry_count == len(manifest)
    assert built.version == "1.1" and built.manifest_hash and built.hash_matches is True
    assert built.location == f"S3ManifestStaticStorage:{bucket.name}/{LOCATION}/staticfiles.json"
    assert built.strict is True
    stored = bucket.names()
    for path in FILES:
        entry = built.entry(path)
        assert entry.status == ManifestStatus.OK, (path, entry.note)
        assert entry.hashed_name == manifest[path] == entry.expected_hashed_name
        assert manifest[path] in stored
        assert entry.url is not None
        assert entry.url.startswith(f"{bucket.server.endpoint_url}/{bucket.name}/{LOCATION}/")
    # The CSS references really were rewritten: its name is not the hash of its source bytes.
    assert md5_12((bucket.static / "css/site.css").read_bytes()) not in manifest["css/site.css"]


def test_a_report_costs_one_listing_and_one_manifest_read(bucket: Bucket) -> None:
    """No HEAD or GET per object: sizes and md5s come from one ListObjectsV2 listing."""
    first = report()
    requests = log_requests(first)
    again = report()  # a remote listing proves nothing unchanged: the report is rebuilt
    assert again is not first and findings_by_path(again) == {}
    assert_bounded(requests, listing_pages=1)


def test_a_cache_in_this_process_only_holds_no_second_copy_of_the_listing(
    bucket: Bucket,
) -> None:
    """The listing a locmem ``CACHE`` would share is already kept by this very process."""
    cache = django_caches[settings.ASSET_INSPECTOR["CACHE"]]
    cache.clear()
    first = report()
    assert findings_by_path(first) == {}
    assert not cache._cache  # type: ignore[attr-defined]  # nothing pickled into it
    requests = log_requests(first)
    current_layers(max_age=MaxAge(60.0, 60.0))
    assert requests.operations["ListObjectsV2"] == 0, "the kept listing serves the next check"


def test_a_cache_other_processes_reach_shares_the_listing_with_them(
    bucket: Bucket, layout: Layout
) -> None:
    """A second web worker (here: this process with its own listing forgotten) takes the
    remote listing from a file-based ``CACHE`` instead of listing the bucket again."""
    with override_settings(ASSET_INSPECTOR={"CACHE": "files"}, CACHES=files_cache(layout)):
        first = report()
        requests = log_requests(first)
        for entry in caches.registered():  # a new process, but keep the client we count
            if entry.name in ("layers", "listings"):
                entry.clear()
        again = current_layers(max_age=MaxAge(60.0, 60.0)).manifest
    assert findings_by_path(again) == {} and again.entry_count == first.entry_count
    assert requests.operations["ListObjectsV2"] == 0, "the listing came from the shared cache"


def test_over_a_thousand_objects_are_listed_in_pages_not_one_by_one(bucket: Bucket) -> None:
    """1,100 old versions of one image: two listing pages, their sizes from the listing."""
    keys = [f"img/bg.{n:012x}.png" for n in range(1100)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: bucket.put(key, b"old bytes!"), keys))
    first = report()
    requests = log_requests(first)
    built = report()
    assert_bounded(requests, listing_pages=2)
    assert set(findings_by_path(built)) == {"img/bg.png"}
    olds = built.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)
    assert {f.file for f in olds} == set(keys)
    assert built.reclaimable_bytes == 1100 * len(b"old bytes!")


def assert_bounded(requests: RequestLog, listing_pages: int) -> None:
    """One ListObjectsV2 per 1,000 keys, the manifest read, nothing per object.

    Reading the manifest through the Storage API is a HEAD (``S3File`` checks the object exists),
    a HEAD (s3transfer asks its size) and the GET; that is the whole constant.
    """
    ops = requests.operations
    assert ops["ListObjectsV2"] == listing_pages, ops
    assert ops["GetObject"] == 1 and ops["HeadObject"] <= 2, ops
    assert set(ops) <= {"ListObjectsV2", "GetObject", "HeadObject"}, ops
    assert requests.attempts == ops.total() <= listing_pages + 5


# --- one planted fault at a time ----------------------------------------------------------------


def test_an_entry_deleted_from_the_s3_manifest_is_missing_entry(bucket: Bucket) -> None:
    bucket.edit_manifest(lambda data: data["paths"].pop("js/standalone.js"))
    built = report()
    # Its hashed object now belongs to no entry, which is a finding on the same path.
    assert set(findings_by_path(built)) == {"js/standalone.js"}
    entry = built.entry("js/standalone.js")
    assert entry.status == ManifestStatus.MISSING_ENTRY
    assert "500" in entry.note and entry.hashed_name is None
    assert built.hash_matches is False


def test_a_source_edited_after_s3_collection_is_stale(bucket: Bucket) -> None:
    edited = "function g() {}\n"
    (bucket.static / "js/standalone.js").write_text(edited)
    age(bucket.static / "js/standalone.js", seconds=30)
    built = report()
    assert findings_by_path(built) == {"js/standalone.js": {"stale"}}
    entry = built.entry("js/standalone.js")
    assert entry.expected_hashed_name == f"js/standalone.{md5_12(edited.encode())}.js"
    assert entry.hashed_name == bucket.manifest()["js/standalone.js"]


def test_an_edited_image_makes_the_css_referencing_it_stale_on_s3(bucket: Bucket) -> None:
    (bucket.static / "img/bg.png").write_bytes(b"\x89PNG other")
    age(bucket.static / "img/bg.png", seconds=30)
    assert findings_by_path(report()) == {
        "img/bg.png": {"stale"},
        "css/site.css": {"stale"},
        "odd/with space.css": {"stale"},
    }


def test_a_deleted_hashed_object_is_hashed_file_missing(bucket: Bucket) -> None:
    hashed = bucket.manifest()["img/logo.svg"]
    bucket.delete(hashed)
    built = report()
    assert findings_by_path(built) == {"img/logo.svg": {"hashed-file-missing"}}
    assert hashed in built.entry("img/logo.svg").note


def test_a_hashed_object_overwritten_with_other_bytes_is_stale(bucket: Bucket) -> None:
    hashed = bucket.manifest()["css/print.css"]
    bucket.put(hashed, b"tampered")
    first = report()
    requests = log_requests(first)
    built = report()
    assert findings_by_path(built) == {"css/print.css": {"stale"}}
    assert "no longer hash to its name" in built.entry("css/print.css").note
    # The listing's ETag flagged it; only that one object was read to confirm.
    assert requests.operations["GetObject"] == 2  # the manifest and the suspect


def test_an_old_hashed_version_left_in_the_bucket_is_reclaimable(bucket: Bucket) -> None:
    old = bucket.manifest()["js/standalone.js"]
    edit_source(bucket.static / "js/standalone.js", "function newer() {}\n")
    collectstatic()  # over the old collection, as a deploy does: old objects stay
    assert old in bucket.names() and bucket.manifest()["js/standalone.js"] != old
    built = report()
    assert set(findings_by_path(built)) == {"js/standalone.js"}
    olds = built.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)
    assert {f.file for f in olds} == {old}
    assert built.reclaimable_bytes == len(FILES["js/standalone.js"])
    assert built.entry("js/standalone.js").status == ManifestStatus.OK


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "malformed manifest"), ('{"version": "9.9", "paths": {}}', "version '9.9'")],
)
def test_a_corrupt_s3_manifest_is_a_clear_problem(
    bucket: Bucket, content: str, message: str
) -> None:
    bucket.put("staticfiles.json", content.encode())
    built = report()
    assert built.problems and message in built.problems[0]
    assert "Couldn't load manifest" in built.problems[0]
    assert built.entry("css/site.css").status == ManifestStatus.UNKNOWN
    assert len(current_inventory()) >= len(FILES)  # the rest of the inspector keeps working


def test_a_bucket_without_a_manifest_means_collectstatic_has_not_run(
    layout: Layout,
    seaweed: SeaweedFS,
) -> None:
    app, static = layout.app("s3empty")
    layout.write(static, "a.css", "a { color: red }\n")
    name = seaweed.create_bucket("empty")
    with layout.settings(apps=[app], STORAGES=s3_storages(s3_options(seaweed, name))):
        caches.clear()
        built = report()
    assert built.problems and "no manifest" in built.problems[0]
    assert built.entry("a.css").status == ManifestStatus.MISSING_ENTRY


# --- the endpoint is down -----------------------------------------------------------------------


def test_an_s3_endpoint_that_refuses_connections_is_a_clear_problem_fast(
    layout: Layout,
    seaweed: SeaweedFS,
) -> None:
    app, static = layout.app("s3down")
    layout.write(static, "a.css", "a { color: red }\n")
    down = f"http://127.0.0.1:{closed_port()}"
    options = s3_options(seaweed, "nowhere", endpoint_url=down)
    with layout.settings(apps=[app], STORAGES=s3_storages(options)):
        caches.clear()
        began = time.monotonic()
        built = report()
        took = time.monotonic() - began
        assert len(current_inventory()) >= 1  # the sources are still inspected
        requests = log_requests(built)
        again = report()
    # The manifest read fails (refused at once, retried once by CLIENT_CONFIG); the listing is
    # not even attempted. A stalled server would cost connect_timeout or read_timeout per try.
    # The next check does not ask again for a while: it says when the next try is.
    assert took < 5, took
    assert requests.operations == Counter() and requests.attempts == 0
    for problems in (built.problems, again.problems):
        assert len(problems) == 1 and "cannot read the manifest" in problems[0]
        assert "Could not connect to the endpoint URL" in problems[0]
        assert "not asked again before" in problems[0]
    assert built.applicable
    entry = built.entry("a.css")
    assert entry.status == ManifestStatus.UNKNOWN and "Could not connect" in entry.note
