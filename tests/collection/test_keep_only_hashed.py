"""A collection from the dashboard into a storage that keeps only hashed copies
(``WHITENOISE_KEEP_ONLY_HASHED_FILES``): the run copies what ``post_process`` needs, and the
preview promises what the run does."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from inspector.collection.plan import Action, plan_collection
from inspector.core import caches
from inspector.core.layers import current_layers
from inspector.core.status import LiveStatus, ManifestStatus
from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout, age, collect

pytestmark = pytest.mark.django_db(transaction=True)
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
FILES = {
    # A query keeps the lookup key from matching: post_process hashes the unhashed copy.
    "css/site.css": "body { background: url(../img/logo.png?v=2#frag); }\n",
    "img/logo.png": b"\x89PNG logo",
    "js/app.js": "console.log(1);\n",
}


def test_a_run_from_the_preview_collects_a_keep_only_hashed_storage(
    client: Client, runner: AbstractUser, layout: Layout
) -> None:
    app, static = layout.app("hashedrun")
    for path, content in FILES.items():
        layout.write(static, path, content)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": WHITENOISE},
    }
    client.force_login(runner)
    with layout.settings(
        apps=[app], STORAGES=storages, DEBUG=False, WHITENOISE_KEEP_ONLY_HASHED_FILES=True
    ):
        collect(layout)
        age(layout.root, static)
        age(layout.write(static, "js/app.js", "console.log(2);\n"), seconds=30)
        caches.clear()
        layers = current_layers()
        assert layers.live_status("css/site.css") == LiveStatus.CURRENT
        assert layers.live_status("js/app.js") == LiveStatus.MODIFIED
        plan = plan_collection(layers)
        # Every unhashed copy is gone: all are copied again, as collectstatic itself does.
        assert {f.path: f.action for f in plan.files if f.path in FILES} == dict.fromkeys(
            FILES, Action.COPY
        )

        client.post(reverse("inspector:collect"), {})
        run = CollectionRun.objects.get()
        assert run.phase == Phase.DONE, run.error
        assert run.copied == plan.counts().copied and run.unmodified == 0

        caches.clear()
        after = current_layers()
        for path in FILES:
            assert after.live_status(path) == LiveStatus.CURRENT, path
            assert after.manifest_status(path) == ManifestStatus.OK, path
