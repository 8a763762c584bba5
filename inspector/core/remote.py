"""A remote collected storage read within ``TIMEOUT``, and left alone for a while once it failed.

The manifest read and the listing of one check share one ``TIMEOUT``: a stalled endpoint (it
accepts connections and never answers) costs a check that long once, not a botocore timeout per
attempt per read. A failure is remembered (``kept.note_failure``) so the checks that follow answer
at once, saying when the next try is.
"""

from __future__ import annotations

import threading
import time

from django.core.files.storage import Storage

from ..conf import get_config
from .freshness import MaxAge
from .manifest.reading import ManifestText, read_manifest_text
from .storage.instance import ManifestStorage, as_s3, describe
from .storage.kept import backing_off, listing_in_progress, note_failure, snapshot_of
from .storage.listing import Snapshot


def read_remote(
    storage: Storage, hashing: ManifestStorage | None, max_age: MaxAge
) -> tuple[ManifestText | None, Snapshot]:
    """Read a remote storage's manifest and listing within ``TIMEOUT`` in all.

    A storage that failed or stalled is not asked again for a while (``kept.backing_off``):
    until then both reads answer at once with the reason and when the next try is.
    """
    failed = backing_off()
    if failed is not None:
        text = ManifestText(None, failed) if hashing is not None else None
        return text, Snapshot(errors=[failed])
    timeout = float(get_config()["TIMEOUT"])
    deadline = time.monotonic() + timeout
    manifest_text = None
    s3 = as_s3(storage)
    try:  # boto3 clients, unlike django-storages' per-thread resources, are thread-safe
        client = s3.connection.meta.client if s3 is not None else None
    except Exception:  # no session could be made: the storage's own read says why
        client = None
    if hashing is not None:
        answer: list[ManifestText] = []
        reader = threading.Thread(
            target=lambda: answer.append(read_manifest_text(hashing, s3_client=client)),
            name="inspector-manifest",
            daemon=True,  # a stalled endpoint must not keep a CLI run from exiting
        )
        reader.start()
        reader.join(timeout)
        if not answer:
            said = note_failure(
                f"{describe(storage)} did not answer within {timeout:g} s (TIMEOUT)"
            )
            return ManifestText(None, said), Snapshot(errors=[said])
        manifest_text = answer[0]
        if manifest_text.error:
            said = note_failure(manifest_text.error)
            return ManifestText(None, said), Snapshot(errors=[said])
    snapshot = snapshot_of(storage, max_age=max_age, wait=deadline - time.monotonic())
    if snapshot.errors and not snapshot.files and not listing_in_progress():
        # Failed (a listing still going on past the deadline serves the next check instead).
        snapshot = Snapshot(errors=[note_failure(snapshot.errors[0]), *snapshot.errors[1:]])
    return manifest_text, snapshot
