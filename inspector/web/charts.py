"""Each source's files and bytes as a share of the largest source's: the bars drawn in the
overview's sources table, beside the numbers they scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.records import SourceSummary


@dataclass(frozen=True, slots=True)
class SourceRow:
    summary: SourceSummary
    # Percent of the largest source's files and bytes: a bar's length in a 0-100 viewBox.
    files_share: float
    bytes_share: float


def source_rows(summaries: Sequence[SourceSummary]) -> list[SourceRow]:
    """Scale each source's files and bytes against the largest source's."""
    most_files = max((s.files for s in summaries), default=0) or 1
    most_bytes = max((s.bytes for s in summaries), default=0) or 1
    return [
        SourceRow(
            summary,
            files_share=round(100 * summary.files / most_files, 1),
            bytes_share=round(100 * summary.bytes / most_bytes, 1),
        )
        for summary in summaries
    ]
