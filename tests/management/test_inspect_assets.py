"""``manage.py inspect_assets``: the JSON, CSV and table contracts, filters and exit codes."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.support.layout import Layout, age, collect

FS = "django.contrib.staticfiles.finders.FileSystemFinder"
CSV_COLUMNS = [
    "path",
    "status",
    "flags",
    "winner_source",
    "winner_location",
    "candidates",
    "shadowed_sources",
    "live_status",
    "manifest_status",
    "hashed_name",
]
FILE_KEYS = {"source", "location", "size", "md5"}
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Planted:
    """A layout on disk: which apps and folders to activate, and which bytes went where."""

    apps: list[str] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)
    # path -> [(source label, bytes)] in the order the layout gives them precedence
    files: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)

    def bytes_of(self, path: str, source: str) -> bytes:
        return dict(self.files[path])[source]


def plant(layout: Layout) -> Planted:
    """One conflict in admin/, one outside it, a duplicate, uniques, and two ignored files."""
    theme, theme_static = layout.app("theme")
    base, base_static = layout.app("base")
    project = layout.folder("project")
    planted = Planted(apps=[theme, base], dirs=[project])
    theme_label, base_label, project_label = f"app:{theme}", f"app:{base}", f"dir:{project}"
    content = {
        "admin/css/base.css": [
            (theme_label, theme_static, b"body { color: red }"),
            (base_label, base_static, b"body { color: blue; margin: 0 }"),
        ],
        "css/site.css": [
            (project_label, project, b"site v2!"),
            (base_label, base_static, b"site v1."),  # same size, other bytes
        ],
        "img/logo.svg": [
            (project_label, project, b"<svg/>"),
            (theme_label, theme_static, b"<svg/>"),
        ],
        "admin/logo.svg": [(theme_label, theme_static, b"<svg>admin</svg>")],
        "js/only.js": [(base_label, base_static, b"console.log(1);\n")],
        ".browserslistrc": [(project_label, project, b"defaults")],
        "css/site.css~": [(project_label, project, b"backup")],
    }
    for path, entries in content.items():
        for _, folder, data in entries:
            layout.write(folder, path, data)
        planted.files[path] = [(label, data) for label, _, data in entries]
    return planted


def django_paths() -> set[str]:
    """Every path Django's configured finders list (ignoring nothing: development serves all)."""
    paths: set[str] = set()
    for finder in finders.get_finders():
        for relative, storage in finder.list([]):
            prefix = getattr(storage, "prefix", None)
            paths.add(f"{prefix}/{relative}" if prefix else relative)
    return paths


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("inspect_assets", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_json(*args: str) -> dict[str, dict]:
    out, _ = run("--format", "json", *args)
    rows = json.loads(out)
    assert isinstance(rows, list), "--format json must print one JSON array"
    by_path = {row["path"]: row for row in rows}
    assert len(by_path) == len(rows), "one object per path, no path twice"
    return by_path


def run_csv(*args: str) -> tuple[str, list[str], list[dict[str, str]]]:
    out, _ = run("--format", "csv", *args)
    reader = csv.reader(StringIO(out))
    header = next(reader)
    rows = [dict(zip(header, line, strict=True)) for line in reader]
    return out, header, rows


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# --- JSON -----------------------------------------------------------------------------------


def test_json_objects_carry_the_contract_keys_winner_first(layout: Layout) -> None:
    planted = plant(layout)
    with layout.settings(apps=planted.apps, dirs=planted.dirs):
        rows = run_json()
        assert set(rows) == django_paths()
        for path, row in rows.items():
            assert {
                "path",
                "status",
                "flags",
                "winner",
                "candidates",
                "live_status",
                "manifest",
            } <= set(row), path
            assert isinstance(row["flags"], list)
            assert set(row["winner"]) >= FILE_KEYS, path
            assert row["candidates"], path
            for candidate in row["candidates"]:
                assert FILE_KEYS | {"identical_to_winner"} <= set(candidate), path
            first = row["candidates"][0]
            assert {k: first[k] for k in FILE_KEYS} == {k: row["winner"][k] for k in FILE_KEYS}
            # The winner is what the development server serves, candidates in Django's order.
            assert row["winner"]["location"] == finders.find(path)
            assert [c["location"] for c in row["candidates"]] == finders.find(path, find_all=True)
            # Nothing was collected into this layout's STATIC_ROOT: every path is missing.
            assert row["live_status"] == "missing", path
            # tests.settings uses StaticFilesStorage: no manifest, so every path is n/a.
            assert row["manifest"]["status"] == "n/a", path
            assert row["manifest"]["hashed_name"] is None, path


def test_json_statuses_and_sources_follow_the_planted_files(layout: Layout) -> None:
    planted = plant(layout)
    with layout.settings(apps=planted.apps, dirs=planted.dirs):
        rows = run_json()
    theme, base = (f"app:{app}" for app in planted.apps)
    project = f"dir:{planted.dirs[0]}"

    conflict = rows["admin/css/base.css"]
    assert conflict["status"] == "conflict"
    assert conflict["winner"]["source"] == theme
    assert [c["source"] for c in conflict["candidates"]] == [theme, base]
    assert [c["identical_to_winner"] for c in conflict["candidates"][1:]] == [False]
    assert [c["size"] for c in conflict["candidates"]] == [
        len(data) for _, data in planted.files["admin/css/base.css"]
    ]

    same_size = rows["css/site.css"]
    assert same_size["status"] == "conflict", "equal sizes but different bytes is a conflict"
    assert [c["source"] for c in same_size["candidates"]] == [project, base]

    duplicate = rows["img/logo.svg"]
    assert duplicate["status"] == "duplicate"
    assert duplicate["winner"]["source"] == project
    assert [c["source"] for c in duplicate["candidates"]] == [project, theme]
    assert duplicate["candidates"][1]["identical_to_winner"] is True

    unique = rows["js/only.js"]
    assert unique["status"] == "unique"
    assert unique["winner"]["source"] == base
    assert len(unique["candidates"]) == 1
    assert unique["winner"]["size"] == len(planted.bytes_of("js/only.js", base))


def test_md5_is_null_for_a_unique_file_unless_hash_is_asked(layout: Layout) -> None:
    planted = plant(layout)
    with layout.settings(apps=planted.apps, dirs=planted.dirs):
        plain = run_json()
        hashed = run_json("--hash")
    base = f"app:{planted.apps[1]}"
    assert plain["js/only.js"]["winner"]["md5"] is None
    assert hashed["js/only.js"]["winner"]["md5"] == md5(planted.bytes_of("js/only.js", base))

    for path, entries in planted.files.items():
        row = hashed[path]
        assert [c["md5"] for c in row["candidates"]] == [md5(data) for _, data in entries], path
        assert row["winner"]["md5"] == md5(entries[0][1]), path
        # Where a digest is given without --hash (a status needed it), it must be the real one.
        for candidate, (_, data) in zip(plain[path]["candidates"], entries, strict=True):
            assert candidate["md5"] in (None, md5(data)), path
    # A duplicate can only be proven by reading both files: those digests are never null.
    assert [c["md5"] for c in plain["img/logo.svg"]["candidates"]] == [md5(b"<svg/>")] * 2


# --- CSV ------------------------------------------------------------------------------------


def test_csv_has_the_contract_columns_and_one_line_per_path(layout: Layout) -> None:
    planted = plant(layout)
    with layout.settings(apps=planted.apps, dirs=planted.dirs):
        out, header, rows = run_csv()
        expected_paths = django_paths()
    positions = [header.index(column) for column in CSV_COLUMNS if column in header]
    assert len(positions) == len(CSV_COLUMNS), f"missing columns in {header}"
    assert positions == sorted(positions), f"columns out of the contract's order: {header}"
    assert out.count("\n") == 1 + len(expected_paths), "header, then one line per path"
    by_path = {row["path"]: row for row in rows}
    assert set(by_path) == expected_paths
    assert len(rows) == len(by_path)

    theme, base = (f"app:{app}" for app in planted.apps)
    conflict = by_path["admin/css/base.css"]
    assert conflict["status"] == "conflict"
    assert conflict["winner_source"] == theme
    theme_static = layout.packages / planted.apps[0] / "static"
    assert conflict["winner_location"] == str(theme_static / "admin/css/base.css")
    assert base in conflict["shadowed_sources"]
    assert theme not in conflict["shadowed_sources"]
    assert by_path["js/only.js"]["shadowed_sources"] == ""
    assert "ignored-by-collect" in by_path[".browserslistrc"]["flags"]


HOSTILE_NAMES = [
    '=HYPERLINK("evil.example?x","x").css',
    "+x.css",
    "-x.css",
    "@x.css",
    "\tx.css",
]


def test_csv_neutralises_formula_names_json_keeps_them(layout: Layout) -> None:
    project = layout.folder("project")
    for name in HOSTILE_NAMES:
        layout.write(project, name, "x")
    with layout.settings(dirs=[project], finders=[FS]):
        _, _, rows = run_csv()
        json_rows = run_json()
    assert set(json_rows) == set(HOSTILE_NAMES), "JSON keeps every name exactly"
    assert len(rows) == len(HOSTILE_NAMES)
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_TRIGGERS), f"{column} cell {cell!r} not neutralised"
    for name in HOSTILE_NAMES:
        assert any(name in row["path"] for row in rows), f"{name!r} lost from the CSV"


def test_csv_stays_parseable_with_a_carriage_return_in_a_name(layout: Layout) -> None:
    """Carriage return is one of design.md's formula triggers, and may sit anywhere in a name."""
    project = layout.folder("project")
    names = ["\rx.css", "a\rb.css", "plain.css"]
    for name in names:
        layout.write(project, name, "x")
    with layout.settings(dirs=[project], finders=[FS]):
        out, _ = run("--format", "csv")
        assert set(run_json()) == set(names)
    try:
        records = list(csv.reader(StringIO(out)))
    except csv.Error as exc:
        pytest.fail(
            "BUG: --format csv writes a path holding a carriage return unquoted (the writer's "
            f"lineterminator is '\\n' only), so the CSV cannot be parsed: {exc}; output: {out!r}"
        )
    header, *lines = records
    assert len(lines) == len(names), "one record per path"
    paths = [dict(zip(header, line, strict=True))["path"] for line in lines]
    assert not any(p.startswith(FORMULA_TRIGGERS) for p in paths), paths
    for name in names:
        assert any(name in p for p in paths), f"{name!r} lost from the CSV"


# --- filters --------------------------------------------------------------------------------


def test_status_filter_is_repeatable(layout: Layout) -> None:
    planted = plant(layout)
    with layout.settings(apps=planted.apps, dirs=planted.dirs):
        conflicts = run_json("--status", "conflict")
        either = run_json("--status", "conflict", "--status", "duplicate")
    assert set(conflicts) == {"admin/css/base.css", "css/site.css"}
    assert set(either) == {"admin/css/base.css", "css/site.css", "img/logo.svg"}


def test_path_glob_selects_the_admin_folder(layout: Layout) -> None:
    planted = plant(layout)
    with layout.settings(apps=planted.apps, dirs=planted.dirs):
        admin = run_json("--path", "admin/*")
        css_only = run_json("--path", "admin/*.css", "--path", "js/*")
    assert set(admin) == {p for p in planted.files if p.startswith("admin/")}
    assert set(css_only) == {"admin/css/base.css", "js/only.js"}


def test_flag_filter_lists_what_collectstatic_ignores(layout: Layout) -> None:
    planted = plant(layout)
    with layout.settings(apps=planted.apps, dirs=planted.dirs):
        ignored = run_json("--flag", "ignored-by-collect")
    # Django's default ignore patterns are CVS, .* and *~.
    assert set(ignored) == {".browserslistrc", "css/site.css~"}
    assert all("ignored-by-collect" in row["flags"] for row in ignored.values())


def test_combined_filters_are_a_conjunction(layout: Layout) -> None:
    planted = plant(layout)
    with layout.settings(apps=planted.apps, dirs=planted.dirs):
        admin_conflicts = run_json("--status", "conflict", "--path", "admin/*")
        ignored_in_css = run_json("--flag", "ignored-by-collect", "--path", "css/*")
        nothing = run_json("--status", "duplicate", "--path", "admin/*")
    assert set(admin_conflicts) == {"admin/css/base.css"}
    assert set(ignored_in_css) == {"css/site.css~"}
    assert nothing == {}


# --- exit codes -----------------------------------------------------------------------------


def test_fail_on_conflict_fails_with_1_and_names_the_path(layout: Layout) -> None:
    planted = plant(layout)
    with (
        layout.settings(apps=planted.apps, dirs=planted.dirs),
        pytest.raises(CommandError) as raised,
    ):
        run("--fail-on", "conflict")
    assert raised.value.returncode == 1
    assert "admin/css/base.css" in str(raised.value)


def test_fail_on_passes_when_nothing_matches(layout: Layout) -> None:
    first, first_static = layout.app()
    second, second_static = layout.app()
    layout.write(first_static, "img/logo.svg", "<svg/>")
    layout.write(second_static, "img/logo.svg", "<svg/>")
    with layout.settings(apps=[first, second]):
        out, _ = run("--fail-on", "conflict,order-mismatch", "--format", "json")
        assert "img/logo.svg" in {row["path"] for row in json.loads(out)}
        with pytest.raises(CommandError) as raised:
            run("--fail-on", "conflict,duplicate")
    assert raised.value.returncode == 1


def test_fail_on_unknown_word_is_a_usage_error(layout: Layout) -> None:
    with layout.settings(), pytest.raises(CommandError) as raised:
        run("--fail-on", "conflict,nonsense")
    assert raised.value.returncode == 2
    assert "nonsense" in str(raised.value)


def test_unknown_status_is_rejected_by_the_parser(layout: Layout) -> None:
    with layout.settings(), pytest.raises(CommandError) as raised:
        run("--status", "bogus")
    assert "bogus" in str(raised.value)


# --- table ----------------------------------------------------------------------------------


def test_table_has_a_header_one_line_per_path_and_a_summary(layout: Layout) -> None:
    planted = plant(layout)
    newline_name = "new\nline.css"
    layout.write(planted.dirs[0], newline_name, "n")
    with layout.settings(apps=planted.apps, dirs=planted.dirs):
        out, _ = run()
        filtered, _ = run("--status", "conflict")
        total = len(django_paths())
    lines = out.split("\n")
    assert "PATH" in lines[0].upper() and "STATUS" in lines[0].upper()
    body = lines[1 : lines.index("")]
    assert len(body) == total, "one line per path, even for a name holding a newline"
    for path in planted.files:
        assert sum(line.split()[0] == path for line in body) == 1, path
    assert sum("new" in line and "line.css" in line for line in body) == 1
    assert not any(line.startswith("line.css") for line in body)

    summary = [line for line in lines if line.strip()][-1]
    # 2 conflicts and 1 duplicate planted; every other path has one source.
    assert f"{total} of {total}" in summary
    for count, status in ((2, "conflict"), (1, "duplicate"), (total - 3, "unique")):
        assert f"{count} {status}" in summary, summary

    filtered_lines = filtered.split("\n")
    assert len(filtered_lines[1 : filtered_lines.index("")]) == 2
    assert f"2 of {total}" in [line for line in filtered_lines if line.strip()][-1]


def test_table_keeps_a_row_on_one_line_when_a_folder_name_holds_a_newline(layout: Layout) -> None:
    folder = layout.folder("odd\nfolder")
    layout.write(folder, "a.css", "x")
    with layout.settings(dirs=[folder], finders=[FS]):
        out, _ = run()
    lines = out.split("\n")
    body = lines[1 : lines.index("")]
    assert len(body) == 1, (
        "BUG: the table escapes control characters in the PATH column only; the WINNER column "
        f"prints the source label dir:<folder> raw, so its newline splits the row: {body!r}"
    )


# --- the manifest layer -----------------------------------------------------------------------

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


def collected_manifest(layout: Layout) -> tuple[list[str], Path]:
    """A collected app with CSS that references an image; return the apps and the manifest."""
    name, static = layout.app()
    layout.write(static, "css/a.css", 'b { background: url("../img/x.png") }\n')
    layout.write(static, "img/x.png", b"png")
    layout.write(static, "js/a.js", "console.log(1);\n")
    layout.write(static, ".hidden", "never collected")
    with layout.settings(apps=[name], STORAGES=MANIFEST_STORAGES):
        collect(layout)
    age(layout.root)
    return [name], layout.root / "collected" / "staticfiles.json"


def drop_entry(manifest: Path, path: str) -> None:
    data = json.loads(manifest.read_text())
    del data["paths"][path]
    manifest.write_text(json.dumps(data))


def test_json_and_csv_carry_the_manifest_layer(layout: Layout) -> None:
    apps, manifest = collected_manifest(layout)
    paths = json.loads(manifest.read_text())["paths"]
    with layout.settings(apps=apps, STORAGES=MANIFEST_STORAGES):
        rows = run_json()
        _, _, csv_rows = run_csv()
    assert rows["css/a.css"]["manifest"]["status"] == "ok"
    assert rows["css/a.css"]["manifest"]["hashed_name"] == paths["css/a.css"]
    assert rows["css/a.css"]["manifest"]["url"] == "/static/" + paths["css/a.css"]
    assert rows[".hidden"]["manifest"]["status"] == "n/a", "collectstatic ignores dotfiles"
    by_path = {row["path"]: row for row in csv_rows}
    assert by_path["img/x.png"]["manifest_status"] == "ok"
    assert by_path["img/x.png"]["hashed_name"] == paths["img/x.png"]


def test_manifest_filter_and_fail_on(layout: Layout) -> None:
    apps, manifest = collected_manifest(layout)
    words = "missing-entry,stale,hashed-file-missing"
    with layout.settings(apps=apps, STORAGES=MANIFEST_STORAGES):
        run("--fail-on", words)  # untouched: passes
        drop_entry(manifest, "js/a.js")
        assert set(run_json("--manifest", "missing-entry")) == {"js/a.js"}
        ok = set(run_json("--manifest", "ok"))
        assert {"css/a.css", "img/x.png"} <= ok and "js/a.js" not in ok
        with pytest.raises(CommandError) as raised:
            run("--fail-on", words)
        run("--fail-on", "stale")  # another word: passes
    assert raised.value.returncode == 1
    assert "js/a.js" in str(raised.value)


def test_a_corrupt_manifest_warns_and_fails_manifest_checks(layout: Layout) -> None:
    apps, manifest = collected_manifest(layout)
    manifest.write_text("{oops")
    with layout.settings(apps=apps, STORAGES=MANIFEST_STORAGES):
        out, err = run("--format", "json")
        with pytest.raises(CommandError) as raised:
            run("--fail-on", "stale")
        run("--fail-on", "conflict")  # the source layer is unaffected
    rows = {row["path"]: row for row in json.loads(out)}
    assert rows["css/a.css"]["manifest"]["status"] == "unknown"
    assert "malformed manifest" in err
    assert raised.value.returncode == 1 and "manifest" in str(raised.value)


def test_table_shows_the_manifest_column_and_summary(layout: Layout) -> None:
    apps, manifest = collected_manifest(layout)
    drop_entry(manifest, "js/a.js")
    with layout.settings(apps=apps, STORAGES=MANIFEST_STORAGES):
        out, err = run()
    lines = out.split("\n")
    assert "MANIFEST" in lines[0]
    row = next(line for line in lines if line.startswith("js/a.js"))
    assert row.split()[-1] == "missing-entry"
    summary = next(line for line in lines if line.startswith("Manifest:"))
    assert "strict: a missing entry is a 500" in summary and "1 missing-entry" in summary
    assert "orphaned-hashed-file" in err  # js/a.js's hashed file now has no entry
