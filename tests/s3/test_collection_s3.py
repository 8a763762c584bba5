"""A collection run into S3: the real worker process writes into a SeaweedFS bucket through
django-storages, exactly as configured by a user, and the preview's promise holds there too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse

from inspector.collection.plan import Action, plan_collection
from inspector.collection.worker import forget_collected
from inspector.core.layers import current_layers
from inspector.core.status import LiveStatus
from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout, age
from tests.support.manifest import FILES
from tests.support.s3 import Bucket, collectstatic, s3_options, s3_storages
from tests.support.seaweed import SeaweedFS
from tests.support.workers import TASK_APPS, WORKER_BACKEND, db_worker, runner_client, watch

pytestmark = pytest.mark.django_db(transaction=True)

EDITED = ("css/print.css", "img/logo.svg")


@pytest.fixture
def bucket(layout: Layout, seaweed: SeaweedFS) -> Iterator[Bucket]:
    app, static = layout.app("collects3")
    for path, content in FILES.items():
        layout.write(static, path, content)
    name = seaweed.create_bucket("collect")
    options = s3_options(seaweed, name)
    # The worker gets its settings as JSON: botocore's Config object stays in this process.
    options.pop("client_config", None)
    config = {"CACHE": "inspector", "RECHECK_SECONDS": 0, "TASK_BACKEND": WORKER_BACKEND}
    with layout.settings(
        apps=[app, *TASK_APPS], STORAGES=s3_storages(options), ASSET_INSPECTOR=config, DEBUG=False
    ):
        collectstatic()
        age(layout.root)
        yield Bucket(seaweed, name, static, seaweed.client())


def test_a_run_from_the_dashboard_updates_the_bucket(
    bucket: Bucket,
    runner: AbstractUser,
    tmp_path: Path,
) -> None:
    for path in EDITED:
        (bucket.static / path).write_text(f"/* {path}, edited after the deploy */\n")
    age(bucket.static, seconds=30)
    forget_collected()
    plan = plan_collection(current_layers())
    assert {f.path for f in plan.of(Action.COPY)} == set(EDITED)
    log = tmp_path / "worker.log"
    with db_worker(log) as worker:
        runner_client(runner).post(reverse("inspector:collect"), {})
        run = CollectionRun.objects.get()
        watch(run.pk, worker, log)
    run.refresh_from_db()
    assert run.phase == Phase.DONE, (run.error, log.read_text())
    assert run.storage == f"s3://{bucket.name}/static"
    assert run.promised == plan.counts().as_dict()
    assert (run.copied, run.unmodified) == (len(EDITED), len(plan.of(Action.LEAVE)))
    assert run.post_processed == plan.counts().post_processed
    for path in EDITED:
        assert bucket.read(path) == (bucket.static / path).read_bytes()
    manifest = bucket.manifest()
    for path in EDITED:
        assert bucket.read(manifest[path]) != b""  # the new hashed copy is there
    forget_collected()
    layers = current_layers()
    assert {layers.live_status(r.path) for r in layers.records} == {LiveStatus.CURRENT}
