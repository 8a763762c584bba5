"""The JSON rows' writer: one array, one object per line, written as it goes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.layers import current_layers
from inspector.core.rows import encode, iso_time, record_to_dict, record_to_json, write_objects
from tests.support.layout import Layout, age, collect
from tests.support.manifest import FILES


class Lines:
    """A stream that, like Django's ``OutputWrapper``, would end every write with a line break."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str, /) -> None:
        self.writes.append(text)


@pytest.mark.parametrize("count", [0, 1, 64, 65, 66, 1000])
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
    assert len(stream.writes) <= 3 + count // 64, "rows are written many at a time"


def test_a_name_that_is_not_utf8_is_escaped_and_read_back() -> None:
    name = "css/caf\udce9.css"  # the byte 0xE9 of a Latin-1 file name, as os.listdir gives it
    stream = Lines()
    write_objects(iter([{"path": name}, {"path": "ok.css"}]), stream)
    assert json.loads("".join(stream.writes)) == [{"path": name}, {"path": "ok.css"}]


def test_every_row_is_spelt_as_json_would_encode_its_object(layout: Layout) -> None:
    app, static = layout.app("spelt")
    rival_app, rival = layout.app("rival")
    for name, content in FILES.items():
        layout.write(static, name, content)
    layout.write(rival, "css/base.css", FILES["css/base.css"])  # identical: a duplicate
    layout.write(rival, "js/app.js", "console.log('other');\n")  # a conflict
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    accept = [{"path": "js/*", "reason": 'vendor\'s "own" <script> ‹é›'}]
    with layout.settings(
        apps=[app, rival_app],
        STORAGES=storages,
        ASSET_INSPECTOR={"CACHE": None, "ACCEPT": accept},
    ):
        collected = layout.root / "collected"
        collect(layout)
        layout.write(static, "css/print.css", "@media print { p { color: red } }\n")  # stale
        manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
        (collected / manifest["img/logo.svg"]).unlink()  # hashed-file-missing
        (collected / "js/standalone.js").unlink()  # missing from the collected storage
        layout.write(collected, "orphan.css", "p {}\n")
        odd = os.fsdecode(b"css/not utf-8 \xff.css")
        layout.write(static, odd, "a {}\n")
        (static / "linked.txt").symlink_to(layout.folder("elsewhere") / "real.txt")
        layout.write(layout.root / "elsewhere", "real.txt", "out there\n")
        age(layout.root)
        layers = current_layers()
        spelt = {r.path: record_to_json(r, layers) for r in layers.records}
        for record in layers.records:
            text = spelt[record.path]
            if text is not None:
                assert text == encode(record_to_dict(record, layers)), record.path
        assert spelt[odd] is None, "a name that is not UTF-8 goes through the encoder"
        assert [path for path, text in spelt.items() if text is None] == [odd]
        rows = {row["path"]: row for row in map(json.loads, filter(None, spelt.values()))}
        assert rows["js/app.js"]["accepted"] == {"reason": accept[0]["reason"]}
        assert rows["img/logo.svg"]["manifest"]["status"] == "hashed-file-missing"
        assert rows["css/print.css"]["manifest"]["status"] == "stale"
        assert rows["linked.txt"]["winner"]["symlink"].endswith("real.txt")


@settings(max_examples=2000, deadline=None)
@given(
    mtime_ns=st.one_of(
        st.integers(min_value=-(10**18), max_value=2**63 - 1),
        # Around whole seconds and half microseconds, where the rounding decides.
        st.builds(
            lambda s, d: max(0, s * 10**9 + d),
            st.integers(min_value=0, max_value=4 * 10**9),
            st.sampled_from([-1, 0, 1, 499, 500, 501, 999_499, 999_500, 999_501, 999_999_999]),
        ),
    )
)
def test_a_modified_time_is_spelt_as_datetime_spells_it(mtime_ns: int) -> None:
    expected = datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC).isoformat()
    assert iso_time(mtime_ns) == expected
    assert iso_time(mtime_ns) == expected, "and again, from the second already spelt"
