"""What the detail page shows of each candidate: hashes, times, diffs against the winner and
against the collected copy, previews. Every file opened here is one the layers listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.staticfiles.storage import staticfiles_storage

from ..conf import get_config
from ..core import fingerprints
from ..core.diffs import TextDiff, diff_files
from ..core.records import Candidate, PathRecord
from .previews import Preview, image_preview, is_image


@dataclass(frozen=True, slots=True)
class CandidateDetail:
    candidate: Candidate
    # As the file is now: the page's layers can be older than its last edit.
    size: int | None
    modified: datetime | None
    md5: str | None
    is_winner: bool
    is_collected: bool
    # Against the winner; None for the winner itself and for identical copies.
    diff: TextDiff | None
    preview: Preview | None


@dataclass(frozen=True, slots=True)
class StaticUrl:
    url: str | None
    error: str | None = None


def candidate_details(record: PathRecord) -> list[CandidateDetail]:
    config = get_config()
    winner = record.winner
    details = []
    for index, candidate in enumerate(record.candidates):
        diff = None
        if index and winner is not None and candidate.identical_to_winner is not True:
            diff = _diff_against_winner(candidate, winner, config)
        preview = None
        shown = index == 0 or candidate.identical_to_winner is not True
        if shown and candidate.stamp is not None and is_image(record.path):
            preview = image_preview(
                record.path, candidate.stamp, max_bytes=config["PREVIEW_MAX_BYTES"]
            )
        size, modified, md5 = _as_it_is_now(candidate)
        details.append(
            CandidateDetail(
                candidate=candidate,
                size=size,
                modified=modified,
                md5=md5,
                is_winner=index == 0,
                is_collected=index == record.collect_index,
                diff=diff,
                preview=preview,
            )
        )
    return details


def _as_it_is_now(candidate: Candidate) -> tuple[int | None, datetime | None, str | None]:
    """Return the candidate's size, modification time and md5 as it is now (the very file the
    layers listed, perhaps written since); as the layers listed it where it cannot be read now
    (gone, replaced, too large to hash)."""
    stamp = candidate.stamp
    if stamp is not None:
        try:
            now = fingerprints.same_file_now(stamp)
            return now.size, _when(now.mtime_ns), fingerprints.md5(now)
        except OSError:
            pass
    return candidate.size, _when(candidate.mtime_ns), candidate.md5


def _when(mtime_ns: int | None) -> datetime | None:
    return None if mtime_ns is None else datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)


def _diff_against_winner(
    candidate: Candidate, winner: Candidate, config: dict[str, Any]
) -> TextDiff:
    if candidate.stamp is None or winner.stamp is None:
        return TextDiff(skipped="no file on disk to compare (the finder's storage has no path)")
    return diff_files(
        candidate.stamp,
        winner.stamp,
        f"shadowed: {candidate.source}",
        f"winner: {winner.source}",
        max_bytes=config["DIFF_MAX_BYTES"],
        max_lines=config["DIFF_MAX_LINES"],
    )


def static_url(path: str) -> StaticUrl:
    """Return the URL ``{% static path %}`` gives in this process, or the error it raises."""
    try:
        return StaticUrl(staticfiles_storage.url(path))
    except Exception as exc:  # the storage's own failure is the finding (e.g. no manifest entry)
        return StaticUrl(None, f"{type(exc).__name__}: {exc}")
