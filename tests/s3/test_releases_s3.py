"""The release-specific manifest pattern on S3: django-storages' ``S3ManifestStaticStorage`` whose
manifest lives under ``<location>/<release_id>/``, two real collections into SeaweedFS, found
with one paginated listing (counted with botocore's event hooks), compared, judged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from inspector.conf import get_config
from inspector.core import caches
from inspector.core.layers import current_layers
from inspector.core.manifest.releases import compare_releases
from inspector.core.status import ManifestFinding, ReleaseChange, ReleaseStatus
from tests.support.layout import Layout
from tests.support.releases import ADDED, CHANGED, REMOVED, Releases, two_releases
from tests.support.s3 import LOCATION, RequestLog, s3_options
from tests.support.seaweed import SeaweedFS

S3_RELEASES = "tests.support.storages.S3ReleaseManifestStorage"


class Bucket(Releases):
    name: str
    client: Any

    def manifest(self, release: str) -> dict[str, str]:
        key = f"{LOCATION}/{release}/staticfiles.json"
        body = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return dict(json.loads(body)["paths"])

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=f"{LOCATION}/{name}")


@pytest.fixture
def bucket(
    request: pytest.FixtureRequest,
    layout: Layout,
    seaweed: SeaweedFS,
) -> Iterator[Bucket]:
    name = seaweed.create_bucket("releases")
    options = s3_options(seaweed, name)
    form = getattr(request, "param", "option")
    with two_releases(layout, form, S3_RELEASES, options) as releases:
        found = Bucket(**vars(releases))
        found.name, found.client = name, seaweed.client()
        yield found
    caches.clear()


# Both forms teams write; the other tests take the release_id option (two collections into
# SeaweedFS are most of a test's time).
@pytest.mark.parametrize("bucket", ["option", "git"], indirect=True)
def test_both_releases_are_found_compared_and_not_orphans(
    bucket: Bucket, viewer_client: Client
) -> None:
    layers = current_layers()
    manifest = layers.manifest
    assert {r.id for r in manifest.releases} == {bucket.first, bucket.second}
    second, first = manifest.release(bucket.second), manifest.release(bucket.first)
    assert second is not None and second.configured
    assert first is not None and not first.configured
    old, new = bucket.manifest(bucket.first), bucket.manifest(bucket.second)
    assert (first.entries, second.entries) == (len(old), len(new))
    assert first.status == second.status == ReleaseStatus.OK
    assert first.stored_at is not None and second.stored_at is not None
    assert first.manifest == f"{bucket.first}/staticfiles.json"
    changes = compare_releases(first, second)
    assert {c.path: c.change for c in changes} == {
        **dict.fromkeys(CHANGED, ReleaseChange.CHANGED),
        **dict.fromkeys(ADDED, ReleaseChange.ADDED),
        **dict.fromkeys(REMOVED, ReleaseChange.REMOVED),
    }
    assert all(c.before == old.get(c.path) and c.after == new.get(c.path) for c in changes)
    assert layers.live is not None and set(layers.live.orphans) == set(REMOVED)
    assert manifest.findings_of(ManifestFinding.ORPHANED_HASHED_FILE) == ()
    # The CLI's comparison and the overview's section, from the bucket.
    out = StringIO()
    args = ("--compare-releases", bucket.first, bucket.second, "--format", "json")
    call_command("inspect_assets", *args, stdout=out)
    assert json.loads(out.getvalue()) == [
        {"path": c.path, "change": str(c.change), "before": c.before, "after": c.after}
        for c in changes
    ]
    page = viewer_client.get(reverse("inspector:overview")).content.decode()
    assert f'<code>{bucket.second}</code> <span class="badge configured-now">' in page
    assert f"<code>{bucket.first}</code>" in page


@pytest.mark.parametrize("bucket", ["git"], indirect=True)
def test_releases_cost_one_listing_and_one_read_per_manifest(bucket: Bucket) -> None:
    """One ListObjectsV2 for the whole location however many release folders: never a
    request per folder; each sibling manifest is read once, then known by its ETag."""
    built = current_layers().manifest
    storage = built._storage
    assert storage is not None
    requests = RequestLog().attach(storage.connection.meta.client)
    # The configured manifest is read through the manifest storage's own client, which gets
    # the inspector's bounded waits as the storage's does.
    manifest_storage: Any = storage.manifest_storage
    requests.attach(manifest_storage.connection.meta.client)
    assert manifest_storage.client_config.read_timeout == float(get_config()["TIMEOUT"])
    for entry in caches.registered():  # cold, but keep the storage (and its client) we count
        if entry.name in ("layers", "listings", "release-manifests"):
            entry.clear()
    cold = current_layers().manifest
    assert {r.id for r in cold.releases} == {bucket.first, bucket.second}
    ops = requests.operations
    # The configured manifest through the Storage API (HEADs and a GET), the sibling's GET.
    assert ops["ListObjectsV2"] == 1 and ops["GetObject"] == 2, ops
    assert set(ops) <= {"ListObjectsV2", "GetObject", "HeadObject"} and ops["HeadObject"] <= 2
    ops.clear()
    warm = current_layers().manifest  # a remote listing is taken again; the sibling is known
    assert [r.id for r in warm.releases] == [r.id for r in cold.releases]
    assert ops["ListObjectsV2"] == 1 and ops["GetObject"] == 1, ops


def test_a_release_whose_objects_were_deleted_is_an_error(bucket: Bucket) -> None:
    hashed = bucket.manifest(bucket.first)["js/app.js"]
    bucket.delete(hashed)
    caches.clear()
    first = current_layers().manifest.release(bucket.first)
    assert first is not None
    assert first.status == ReleaseStatus.FILES_MISSING and first.missing == (hashed,)


pytestmark = pytest.mark.django_db
