"""The lines of a diff carry their numbers in both files and their changed words."""

from __future__ import annotations

from inspector.core.diffs import LineKind, Part, diff_bytes


def test_lines_are_numbered_in_both_files_and_grouped_by_hunk() -> None:
    old = b"".join(b"line %d\n" % i for i in range(1, 21))
    new = old.replace(b"line 3\n", b"line three\n").replace(b"line 18\n", b"")
    diff = diff_bytes(old, new, "old", "new", max_lines=100)
    assert [line.kind for line in diff.header] == [LineKind.HEADER, LineKind.HEADER]
    assert len(diff.hunks) == 2
    first = diff.hunks[0].lines
    assert first[0].kind is LineKind.HUNK
    numbers = [(line.kind, line.old_number, line.new_number) for line in first[1:]]
    assert numbers == [
        (LineKind.CONTEXT, 1, 1),
        (LineKind.CONTEXT, 2, 2),
        (LineKind.REMOVED, 3, None),
        (LineKind.ADDED, None, 3),
        (LineKind.CONTEXT, 4, 4),
        (LineKind.CONTEXT, 5, 5),
        (LineKind.CONTEXT, 6, 6),
    ]
    removed = [line for line in diff.hunks[1].lines if line.kind is LineKind.REMOVED]
    assert [(line.old_number, line.parts) for line in removed] == [(18, ())], "nothing to pair"


def test_changed_words_are_marked_in_the_pair_of_lines() -> None:
    diff = diff_bytes(
        b"a {}\nbody { color: red; margin: 0 }\n",
        b"a {}\nbody { color: blue; margin: 0 }\n",
        "old",
        "new",
        max_lines=100,
    )
    removed, added = (
        line for line in diff.lines if line.kind in (LineKind.REMOVED, LineKind.ADDED)
    )
    assert removed.parts == (
        Part("body { color: ", False),
        Part("red", True),
        Part("; margin: 0 }", False),
    )
    assert [part.text for part in added.parts if part.changed] == ["blue"]
    assert removed.text == "-body { color: red; margin: 0 }", "the text stays the diff's"


def test_unlike_lines_are_not_marked_word_by_word() -> None:
    diff = diff_bytes(b"alpha beta gamma\n", b"{}();\n", "old", "new", max_lines=100)
    assert all(not line.parts for line in diff.lines)
