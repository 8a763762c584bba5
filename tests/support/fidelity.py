"""The fidelity oracle: an inventory checked against Django itself, never against its own code.

Django's ``finders.find`` says what development serves and in which order the candidates come,
the bytes on disk say which candidates are identical, and a real ``collectstatic`` says what
collection takes. The generated layouts of ``tests/core/test_fidelity.py`` and the demo project
(``demo/tests/test_planted.py``) both go through it.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders

from inspector.core.records import Inventory
from inspector.core.status import Flag, SourceStatus


def assert_agrees_with_django(inventory: Inventory, collected: dict[str, bytes]) -> None:
    for record in inventory:
        assert record.winner is not None
        assert record.winner.location == finders.find(record.path), record.path
        locations = [c.location for c in record.candidates]
        assert locations == finders.find(record.path, find_all=True), record.path

        contents = [Path(location).read_bytes() for location in locations]
        if len(contents) == 1:
            expected = SourceStatus.UNIQUE
        elif all(c == contents[0] for c in contents):
            expected = SourceStatus.DUPLICATE
        else:
            expected = SourceStatus.CONFLICT
        assert record.status == expected, record.path
        identical = [c == contents[0] for c in contents]
        assert [c.identical_to_winner for c in record.candidates] == identical, record.path

        if Flag.IGNORED_BY_COLLECT in record.flags:
            assert record.path not in collected, record.path
        else:
            assert record.collect_winner is not None
            collected_bytes = collected[record.path]
            assert collected_bytes == Path(record.collect_winner.location).read_bytes()
    listed = {r.path for r in inventory if Flag.IGNORED_BY_COLLECT not in r.flags}
    assert set(collected) == listed
