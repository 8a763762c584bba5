"""Source folders holding what is not a regular file: reported, never opened."""

from __future__ import annotations

import os
import threading

from inspector.core.inventory import current_inventory
from inspector.core.records import Inventory
from inspector.core.status import SourceStatus
from tests.support.layout import Layout, age


def test_a_fifo_with_a_same_size_rival_is_a_source_problem_not_a_hang(layout: Layout) -> None:
    first, first_static = layout.app("fifo")
    second, second_static = layout.app("rival")
    (first_static / "css").mkdir()
    os.mkfifo(first_static / "css" / "a.css")  # size 0, like its rival
    layout.write(second_static, "css/a.css", "")
    layout.write(second_static, "css/b.css", "b {}")
    age(first_static, second_static)
    found: list[Inventory] = []
    with layout.settings(apps=[first, second]):
        worker = threading.Thread(target=lambda: found.append(current_inventory()), daemon=True)
        worker.start()
        worker.join(15)
    assert found, "the inventory hung on the FIFO"
    inventory = found[0]
    record = inventory.get("css/a.css")
    assert record is not None and record.status == SourceStatus.UNIQUE
    assert [c.source for c in record.candidates] == [f"app:{second}"]
    problems = [p for p in inventory.problems if p.source == f"app:{first}"]
    assert problems and "FIFO" in problems[0].message and problems[0].path == "css/a.css"
