"""The JSON rows' writer: one array, one object per line, written as it goes."""

from __future__ import annotations

import json

import pytest

from inspector.core.rows import write_objects


class Lines:
    """A stream that, like Django's ``OutputWrapper``, would end every write with a line break."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str, /) -> None:
        self.writes.append(text)


@pytest.mark.parametrize("count", [0, 1, 256, 257, 258, 1000])
def test_the_array_is_whole_one_object_per_line_every_write_a_line(count: int) -> None:
    objects = [{"path": f"css/{n} ‹é› '<script>'.css", "n": n} for n in range(count)]
    stream = Lines()
    write_objects(iter(objects), stream)
    text = "".join(stream.writes)
    assert json.loads(text) == objects
    assert text.splitlines()[1:-1] == [
        json.dumps(o, ensure_ascii=False) + ("," if n < count - 1 else "")
        for n, o in enumerate(objects)
    ]
    assert all(write.endswith("\n") for write in stream.writes), "a line-ending stream adds none"
    assert len(stream.writes) <= 3 + count // 256, "rows are written many at a time"


def test_a_name_that_is_not_utf8_is_escaped_and_read_back() -> None:
    name = "css/caf\udce9.css"  # the byte 0xE9 of a Latin-1 file name, as os.listdir gives it
    stream = Lines()
    write_objects(iter([{"path": name}, {"path": "ok.css"}]), stream)
    assert json.loads("".join(stream.writes)) == [{"path": name}, {"path": "ok.css"}]
