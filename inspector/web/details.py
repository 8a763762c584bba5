"""What the detail page shows of each candidate: hashes, times, diffs against the winner and
against the collected copy, previews. Every file opened here is one the layers listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.staticfiles.storage import staticfiles_storage

from ..conf import get_config
from ..core.diffs import TextDiff, diff_files
from ..core.records import Candidate, PathRecord
from ..core.rows import candidate_md5
from .previews import Preview, image_preview, is_image


@dataclass(frozen=True, slots=True)
class CandidateDetail:
    candidate: Candidate
    md5: str | None
    modified: datetime | None
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
        details.append(
            CandidateDetail(
                candidate=candidate,
                md5=candidate_md5(candidate, force=True, as_now=True),
                modified=(
                    datetime.fromtimestamp(candidate.mtime_ns / 1e9, tz=UTC)
                    if candidate.mtime_ns is not None
                    else None
                ),
                is_winner=index == 0,
                is_collected=index == record.collect_index,
                diff=diff,
                preview=preview,
            )
        )
    return details


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
