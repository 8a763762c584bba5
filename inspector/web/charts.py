"""Geometry for the overview's server-rendered SVG bar chart of files and bytes by source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.records import SourceSummary

# viewBox units: the template scales the SVG to its container.
CHART_WIDTH = 640
BAR_AREA = 420
ROW_HEIGHT = 44
BAR_HEIGHT = 12


@dataclass(frozen=True, slots=True)
class SourceBars:
    label: str
    files: int
    bytes: int
    # Top of this source's row, and the two bars' lengths, in viewBox units.
    y: int
    files_length: float
    bytes_length: float

    @property
    def label_y(self) -> int:
        return self.y + 12

    @property
    def bytes_y(self) -> int:
        return self.y + 16

    @property
    def files_y(self) -> int:
        return self.y + 16 + BAR_HEIGHT + 2

    @property
    def bytes_text_x(self) -> float:
        return self.bytes_length + 6

    @property
    def files_text_x(self) -> float:
        return self.files_length + 6


@dataclass(frozen=True, slots=True)
class SourceChart:
    bars: tuple[SourceBars, ...]
    width: int = CHART_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * ROW_HEIGHT


def source_chart(summaries: Sequence[SourceSummary]) -> SourceChart:
    """Scale each source's files and bytes against the largest source's."""
    most_files = max((s.files for s in summaries), default=0) or 1
    most_bytes = max((s.bytes for s in summaries), default=0) or 1
    return SourceChart(
        tuple(
            SourceBars(
                label=summary.source.label,
                files=summary.files,
                bytes=summary.bytes,
                y=index * ROW_HEIGHT,
                files_length=round(BAR_AREA * summary.files / most_files, 1),
                bytes_length=round(BAR_AREA * summary.bytes / most_bytes, 1),
            )
            for index, summary in enumerate(summaries)
        )
    )
