"""The cyclic collector is paused while a check builds its records, and resumes as it was."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from inspector.core import caches
from inspector.core.bulk import collector_paused
from inspector.core.inventory import current_inventory
from inspector.core.layers import current_layers
from inspector.core.storage.instance import collected_storage
from inspector.core.storage.listing import take_snapshot
from tests.support.layout import Layout, collected_app

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
# Enough files that building their records would set off collections (one per 700 objects).
FILES = {
    "css/a.css": 'b { background: url("../img/x0.png") }\n',
    **{f"img/x{n}.png": f"png{n}".encode() for n in range(500)},
}


@pytest.fixture
def collector_as_found() -> Iterator[None]:
    was, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    if was:
        gc.enable()
    else:
        gc.disable()


def test_listing_and_stating_many_files_sets_off_no_collection(
    layout: Layout, collector_as_found: None
) -> None:
    with collected_app(layout, "paused", FILES, MANIFEST):
        caches.clear()
        storage, _ = collected_storage()
        assert storage is not None
        started: list[int] = []
        gc.enable()
        gc.set_threshold(5)  # a collection every few objects: hundreds of them, unpaused
        gc.callbacks.append(lambda phase, info: started.append(1) if phase == "start" else None)
        try:
            current_inventory()
            take_snapshot(storage)
        finally:
            gc.callbacks.pop()
            gc.set_threshold(700)
        # Only the few owed on the way out of each build, once the collector is back on.
        assert len(started) <= 10
        assert gc.isenabled()
        current_layers(live=True)
        assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_as_found: None) -> None:
    # A command that owns its process turns it off for good: a check must not turn it back on.
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_inside_still_resumes_it(collector_as_found: None) -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a listing failed")
    assert gc.isenabled()


def test_threads_share_the_pause_and_the_last_one_out_resumes(collector_as_found: None) -> None:
    gc.enable()
    inside, leave_first, first_left = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with collector_paused():
            inside.set()
            leave_first.wait(10)
        first_left.set()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(10)
    with collector_paused():
        leave_first.set()
        assert first_left.wait(10)
        assert not gc.isenabled(), "still paused: this thread is inside"
    thread.join(10)
    assert gc.isenabled()
