"""The CLI's table in a terminal (issue 19, "The CLI"): it fits ``COLUMNS``, long values are
shortened in the middle, SHADOWS says what the winner hides, and colour follows Django's own
options, ``NO_COLOR`` and whether the output is a terminal."""

from __future__ import annotations

import csv
import hashlib
import os
import tty
import unicodedata
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import color_style

from tests.support.layout import Layout

FS = "django.contrib.staticfiles.finders.FileSystemFinder"
LONG = "vendor/some-library/dist/themes/default/components/navigation/sidebar-collapsed.css"
ANSI = "\x1b["


@pytest.fixture
def shadowing(layout: Layout) -> Iterator[list[Path]]:
    """LONG and css/site.css in three folders with long names: the second holds an identical
    copy, the third a different one; js/app.js only in the first."""
    folders = [layout.folder(f"{name}-static-files-of-a-project") for name in ("one", "two", "six")]
    for folder, content in zip(folders, ("same", "same", "other"), strict=True):
        layout.write(folder, LONG, content)
        layout.write(folder, "css/site.css", content)
    layout.write(folders[0], "js/app.js", "1;")
    with layout.settings(dirs=folders, finders=[FS]):
        yield folders


def table(*args: str) -> str:
    out = StringIO()
    call_command("inspect_assets", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def body(out: str) -> list[str]:
    lines = out.split("\n")
    return lines[1 : lines.index("")]


def test_an_80_column_terminal_gets_no_line_wider_than_80(
    shadowing: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = table()
    assert max(len(line) for line in out.splitlines()) <= 80, out
    rows = [line for line in body(out) if not line.startswith("(")]
    assert len(rows) == 3, "one line per path"
    (long_row,) = [row for row in rows if row.startswith("vendor/")]
    path_cell = long_row.split()[0]
    # Shortened in the middle: both ends of the path stay.
    assert "…" in path_cell and LONG.endswith(path_cell.split("…")[1])
    assert LONG.startswith(path_cell.split("…")[0])


def test_without_a_width_paths_are_written_whole(
    shadowing: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    rows = body(table())
    assert any(row.startswith(LONG + " ") for row in rows), "a pipe or a file gets whole values"
    assert not any("…" in row for row in rows)


def test_shadows_names_each_hidden_source_identical_or_differing(
    shadowing: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two, six = shadowing
    monkeypatch.setenv("COLUMNS", "1000")
    lines = table().split("\n")
    assert "SHADOWS" in lines[0].split()
    site = next(line for line in lines if line.startswith("css/site.css "))
    assert f"dir:{two} (identical), dir:{six} (differs)" in site
    app = next(line for line in lines if line.startswith("js/app.js "))
    shadows_at = lines[0].index("SHADOWS")
    assert app[shadows_at:].split()[0] == "-", "nothing hidden"

    for columns in ("80", "160"):
        monkeypatch.setenv("COLUMNS", columns)
        site = next(line for line in table().split("\n") if line.startswith("css/site.css "))
        # Shortened to fit, the marker stays whole and the hidden rest is counted.
        shadows = site.split("warning", 1)[1]
        assert "…" in shadows and "(identical)" in shadows and "+1" in shadows, site
        assert "(differs)" not in shadows


def test_columns_left_out_to_fit_are_named(
    shadowing: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = table()
    header = out.split("\n")[0].split()
    assert {"PATH", "SEVERITY", "SHADOWS"} <= set(header)
    assert "STATUS" not in header
    assert "(Left out to fit 60 columns: STATUS" in out
    assert max(len(line) for line in out.splitlines()) <= 60, out
    monkeypatch.setenv("COLUMNS", "200")
    assert "Left out" not in table()


def test_colour_is_off_for_a_pipe_and_with_no_color(
    shadowing: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert ANSI not in table()
    assert ANSI not in table("--no-color")


def test_force_color_paints_severity_in_djangos_roles(
    shadowing: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")  # an explicit flag wins over the environment
    monkeypatch.delenv("DJANGO_COLORS", raising=False)
    out = table("--force-color")
    style = color_style(force_color=True)
    assert ANSI in out
    assert style.WARNING("warning") in out, "the conflict's severity"
    assert style.MIGRATE_HEADING("PATH") in out
    # Colour codes take no room: the visible text still fits.
    visible = out
    for code in {part.split("m")[0] for part in out.split(ANSI)[1:]}:
        visible = visible.replace(f"{ANSI}{code}m", "")
    assert max(len(line) for line in visible.splitlines()) <= 80
    with pytest.raises(CommandError, match="can't be used together"):
        table("--force-color", "--no-color")


def run_on_a_terminal(*args: str) -> str:
    """Run the command with its output on a pseudo-terminal; return what the terminal got."""
    main, secondary = os.openpty()
    tty.setraw(secondary)  # no line-ending translation: the bytes as written
    with open(secondary, "w", encoding="utf-8", closefd=True) as terminal:
        call_command("inspect_assets", *args, stdout=terminal, stderr=StringIO())
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # Linux: EIO once the other side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return b"".join(chunks).decode()


def test_a_terminal_gets_colour_unless_no_color_is_set(
    shadowing: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("DJANGO_COLORS", raising=False)
    coloured = run_on_a_terminal()
    assert color_style(force_color=True).WARNING("warning") in coloured
    assert ANSI not in run_on_a_terminal("--no-color")
    monkeypatch.setenv("NO_COLOR", "1")
    plain = run_on_a_terminal()
    assert ANSI not in plain and "SHADOWS" in plain


def test_the_csv_ends_with_winner_size_md5_and_which_shadows_are_identical(
    shadowing: list[Path],
) -> None:
    one, two, six = shadowing
    rows = {row["path"]: row for row in csv.DictReader(StringIO(table("--format", "csv")))}
    header = list(rows["js/app.js"])
    assert header[-5:] == [
        "severity",
        "accepted_reason",
        "winner_size",
        "winner_md5",
        "shadowed_identical",
    ]
    site = rows["css/site.css"]
    assert site["shadowed_identical"] == f"dir:{two}=true|dir:{six}=false"
    assert (site["winner_size"], site["winner_md5"]) == ("4", hashlib.md5(b"same").hexdigest())
    # A single source needed no digest; --hash computes it.
    assert rows["js/app.js"]["winner_md5"] == ""
    hashed = {
        row["path"]: row for row in csv.DictReader(StringIO(table("--format", "csv", "--hash")))
    }
    assert hashed["js/app.js"]["winner_md5"] == hashlib.md5(b"1;").hexdigest()
    assert hashed["js/app.js"]["shadowed_identical"] == ""


def test_every_width_from_50_columns_up_is_kept(
    shadowing: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for width in range(50, 260, 15):
        monkeypatch.setenv("COLUMNS", str(width))
        out = table()
        assert max(len(line) for line in out.splitlines()) <= width, (width, out)
        rows = [line for line in body(out) if not line.startswith(("(", "  "))]
        assert len(rows) == 3, ("one line per path", width, out)


def test_warnings_on_stderr_are_painted_as_warnings_only_when_asked(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("DJANGO_COLORS", raising=False)
    folder = layout.folder("static")
    layout.write(folder, "a.css", "a")
    gone = layout.root / "gone"  # a configured folder that does not exist: a warning

    def stderr_of(*args: str) -> str:
        err = StringIO()
        call_command("inspect_assets", *args, stdout=StringIO(), stderr=err)
        return err.getvalue()

    with layout.settings(dirs=[folder, gone], finders=[FS]):
        plain, painted = stderr_of(), stderr_of("--force-color")
    line = next(line for line in plain.splitlines() if line.startswith("warning: "))
    assert ANSI not in plain
    style = color_style(force_color=True)
    # Django's WARNING role, not the ERROR red Django gives every stderr line on a terminal.
    assert style.WARNING(line + "\n") in painted


def cells(line: str) -> int:
    """Terminal cells of a line: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_wide_characters_count_twice(layout: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = layout.folder("static")
    wide = "css/日本語のスタイルシートとても長い名前のファイル/全角の名前.css"
    layout.write(folder, wide, "a")
    layout.write(folder, "js/app.js", "1;")
    monkeypatch.setenv("COLUMNS", "60")
    with layout.settings(dirs=[folder], finders=[FS]):
        out = table()
    assert max(cells(line) for line in out.splitlines()) <= 60, out
    (row,) = [line for line in body(out) if line.startswith("css/")]
    assert "…" in row and row.split()[0].endswith(".css")


def test_the_references_table_fits_too(layout: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    static = layout.folder("static")
    layout.write(static, LONG, "a")
    page = "{% load static %}" + f"<link href=\"{{% static '{LONG}' %}}\">\n" * 2
    layout.write(layout.folder("templates-of-a-project-with-a-long-name"), "page.html", page)
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [layout.root / "templates-of-a-project-with-a-long-name"],
        }
    ]
    monkeypatch.setenv("COLUMNS", "80")
    with layout.settings(dirs=[static], finders=[FS], TEMPLATES=templates):
        out = table("--references")
        wide = table("--references", "--force-color")
    assert max(cells(line) for line in out.splitlines()) <= 80, out
    rows = [line for line in body(out) if line.startswith("ok ")]
    assert len(rows) == 2 and all("…" in row for row in rows), out
    # The origin keeps its end: the file and the line.
    assert ".html:1 " in rows[0] and ".html:2 " in rows[1], out
    assert color_style(force_color=True).SUCCESS("ok") in wide
