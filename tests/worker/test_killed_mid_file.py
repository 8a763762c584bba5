"""A worker killed while it replaces a file (issue 15, item 10): the collected copy is the old
bytes or the new, never half; the run keeps the counts it reached. A real ``db_worker``."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from inspector.collection.worker import forget_collected
from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout, age, collect
from tests.support.workers import TASK_APPS, WORKER_BACKEND, db_worker

pytestmark = pytest.mark.django_db(transaction=True)
EDITED = 12
SIZE = 64 * 1024
OLD = {f"js/big{i:02}.js": b"/* old */" + b"a" * SIZE for i in range(EDITED)}
NEW = dict.fromkeys(OLD, b"/* new */" + b"b" * (2 * SIZE))


def wait_for(condition: Callable[[], bool], what: str, limit: float = 90.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {limit:g} s waiting for {what}")
        time.sleep(0.02)


def test_a_killed_worker_leaves_old_or_new_bytes_and_keeps_its_counts(
    layout: Layout, runner: AbstractUser, tmp_path: Path
) -> None:
    app, static = layout.app("trickle")
    for name, content in OLD.items():
        layout.write(static, name, content)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "tests.support.storages.TricklingManifestStorage"},
    }
    config = {
        "CACHE": "inspector",
        "RECHECK_SECONDS": 0,
        "TASK_BACKEND": WORKER_BACKEND,
        "HEARTBEAT_SECONDS": 0.1,
        "HEARTBEAT_TIMEOUT": 2.0,
    }
    collected = layout.root / "collected"
    with layout.settings(
        apps=[app, *TASK_APPS], STORAGES=storages, ASSET_INSPECTOR=config, DEBUG=False
    ):
        collect(layout)
        for name, content in NEW.items():
            layout.write(static, name, content)
        age(layout.root)
        # 32 pieces of 4 KiB a file, 20 ms apart: about 0.7 s to write each one.
        storages["staticfiles"]["OPTIONS"] = {"chunk": 4096, "pause": 0.02}
        forget_collected()
        client = Client()
        client.force_login(runner)

        def state() -> tuple[int, bool]:
            """Files replaced whole, and whether one is half-way (in place, or beside it)."""
            whole, half = 0, False
            for entry in os.scandir(collected / "js"):
                try:
                    size = entry.stat().st_size
                except FileNotFoundError:  # a temporary copy renamed into place since listed
                    continue
                if entry.name in {Path(n).name for n in NEW} and size == len(
                    NEW[f"js/{entry.name}"]
                ):
                    whole += 1
                elif entry.name.startswith(("big", ".big")) and "." in entry.name[4:]:
                    full = len(NEW["js/big00.js"])
                    hashed = entry.name.count(".") > 1 and not entry.name.startswith(".")
                    if not hashed and len(OLD["js/big00.js"]) != size and size >= full // 2:
                        half = True
            return whole, half

        with db_worker(tmp_path / "worker.log") as worker:
            client.post(reverse("inspector:collect"), {})
            run = CollectionRun.objects.get()
            wait_for(lambda: state()[0] >= 2 and state()[1], "a file half-written")
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)

        for name in NEW:
            now = (collected / name).read_bytes()
            assert now in (OLD[name], NEW[name]), f"{name} is cut short: {len(now)} bytes"
        replaced = sum((collected / name).read_bytes() == NEW[name] for name in NEW)

        time.sleep(2.5)  # silence past HEARTBEAT_TIMEOUT: the next look fails the run
        page = client.get(reverse("inspector:run", args=[run.pk])).content.decode()
        left_over = sorted(p.name for p in collected.rglob("*.inspector-tmp"))
        with db_worker(tmp_path / "worker.log") as worker:
            client.post(reverse("inspector:collect"), {})
            second = CollectionRun.objects.exclude(pk=run.pk).get()
            wait_for(lambda: not CollectionRun.objects.get(pk=second.pk).is_active, "run 2")
    assert left_over, "the killed write was beside the file"
    assert not list(collected.rglob("*.inspector-tmp")), "the next run removes leftovers"
    assert all((collected / name).read_bytes() == NEW[name] for name in NEW)
    run.refresh_from_db()
    assert run.phase == Phase.FAILED and "no heartbeat" in run.error
    assert 2 <= replaced < EDITED
    assert run.copied == replaced, (run.copied, replaced)
    assert (
        f'<th scope="row">Copied</th><td class="num">{EDITED}</td><td class="num">{replaced}</td>'
        in page
    )
