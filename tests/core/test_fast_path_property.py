"""The fast cold path (one read per file, the hashing processes, files sent ahead, the
reference-literal shortcut, fingerprint shortcuts) never changes an answer: the CLI's JSON
against a plain reference computation.

On generated layouts (CSS reference chains, source maps, shadowed files, edits after
collection, Django's and whitenoise's manifest storages) every file is read and hashed naively,
and the expected hashed names come from Django's own ``post_process`` on a throwaway copy.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from inspector.core import caches, pool
from inspector.core.storage import listing
from tests.support.layout import Layout, age

STORAGES = [
    "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    "whitenoise.storage.CompressedManifestStaticFilesStorage",
]
IMAGES = ["img/a.svg", "img/b.svg", "img/c/d.svg"]
SHEETS = ["css/one.css", "css/two.css", "css/deep/three.css"]
SCRIPTS = ["js/app.js", "js/lib/util.js"]


def css_text(path: str, targets: list[str], salt: int) -> str:
    base = Path(path).parent
    lines = [f"/* {path} {salt} */", f".s{salt} {{ margin: {salt}px }}"]
    for target in targets:
        relative = Path(target).relative_to(base) if target.startswith(str(base)) else None
        url = str(relative) if relative else "/static/" + target
        lines.append(f'.r {{ background: url("{url}") }}')
    # Filler large enough to be read in chunks by the thread pool, never matching a pattern.
    lines.append("/* " + "filler " * (salt % 5 * 40) + "*/")
    return "\n".join(lines) + "\n"


layouts = st.fixed_dictionaries(
    {
        "storage": st.sampled_from(STORAGES),
        # CSS files and the images or sheets each refers to (a chain when a sheet refers to a
        # sheet that refers to an image).
        "refs": st.lists(
            st.tuples(
                st.sampled_from(SHEETS), st.lists(st.sampled_from(IMAGES + SHEETS), max_size=2)
            ),
            min_size=1,
            max_size=3,
        ),
        "shadowed": st.lists(st.sampled_from(IMAGES + SHEETS + SCRIPTS), max_size=3),
        "same_bytes": st.booleans(),
        # Read by the hashing processes (sent ahead, CSS and JS screened there) or here.
        "through_pool": st.booleans(),
        "edited": st.lists(st.sampled_from(IMAGES + SHEETS + SCRIPTS), max_size=2),
        "salt": st.integers(0, 1000),
    }
)


def write_layout(layout: Layout, static: Path, rival: Path, spec: dict) -> None:
    salt = spec["salt"]
    for image in IMAGES:
        layout.write(static, image, f"<svg><!-- {image} {salt} --></svg>\n" * (salt % 3 + 1))
    refs = {sheet: [t for t in targets if t != sheet] for sheet, targets in spec["refs"]}
    # No cycles: a sheet may refer only to sheets later in SHEETS.
    for sheet in SHEETS:
        allowed = [
            t for t in refs.get(sheet, []) if t in IMAGES or SHEETS.index(t) > SHEETS.index(sheet)
        ]
        layout.write(static, sheet, css_text(sheet, allowed, salt))
    for script in SCRIPTS:
        map_name = Path(script).name + ".map"
        layout.write(static, script, f"console.log({salt});\n//# sourceMappingURL={map_name}\n")
        layout.write(static, script + ".map", f'{{"version": 3, "salt": {salt}}}')
    for path in spec["shadowed"]:
        original = (static / path).read_bytes()
        layout.write(rival, path, original if spec["same_bytes"] else original[::-1])


def reference(static: Path, rival: Path, collected: Path, throwaway: Path) -> dict[str, dict]:
    """Per path: status, live status, manifest status and expected name, computed naively."""
    expected = json.loads((throwaway / "staticfiles.json").read_text())["paths"]
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    answer = {}
    for file in sorted(p for p in static.rglob("*") if p.is_file()):
        path = str(file.relative_to(static))
        mine = file.read_bytes()
        other = rival / path
        status = "unique"
        if other.is_file():
            status = "duplicate" if other.read_bytes() == mine else "conflict"
        copy = collected / path
        live = (
            "missing"
            if not copy.is_file()
            else ("current" if copy.read_bytes() == mine else "modified")
        )
        hashed = manifest.get(path)
        if hashed is None:
            manifest_status = "missing-entry"
        elif not (collected / hashed).is_file():
            manifest_status = "hashed-file-missing"
        else:
            stored = hashlib.md5((collected / hashed).read_bytes()).hexdigest()[:12]
            fresh = hashed == expected.get(path) and f".{stored}." in hashed
            manifest_status = "ok" if fresh else "stale"
        answer[path] = {
            "status": status,
            "live_status": live,
            "manifest_status": manifest_status,
            "expected": expected.get(path),
        }
    return answer


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failing layout is small already
)
@given(spec=layouts)
def test_the_fast_path_answers_as_the_naive_reference(tmp_path_factory, spec: dict) -> None:
    layout = Layout(tmp_path_factory.mktemp("fast"))
    app, static = layout.app("fast")
    rival_app, rival = layout.app("rival")
    write_layout(layout, static, rival, spec)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": spec["storage"]},
    }
    collected = layout.root / "collected"
    with layout.settings(apps=[app, rival_app], STORAGES=storages, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        for path in spec["edited"]:
            target = static / path
            target.write_bytes(target.read_bytes() + b"\n/* edited */\n")
        age(layout.root)
        throwaway = layout.root / "throwaway"
        with override_settings(STATIC_ROOT=str(throwaway)):
            call_command("collectstatic", interactive=False, verbosity=0)
        caches.clear()
        out = StringIO()
        with pytest.MonkeyPatch.context() as patch:
            if spec["through_pool"]:
                patch.setattr(pool, "PROCESS_MIN_FILES", 1)
                patch.setattr(pool, "BATCH_FILES", 3)
                patch.setattr(listing, "LIST_AHEAD_MIN_FILES", 1)
            call_command("inspect_assets", "--format", "json", stdout=out, stderr=StringIO())
    rows = {row["path"]: row for row in json.loads(out.getvalue())}
    expected = reference(static, rival, collected, throwaway)
    for path, want in expected.items():
        row = rows[path]
        assert row["status"] == want["status"], path
        assert row["live_status"] == want["live_status"], path
        assert row["manifest"]["status"] == want["manifest_status"], (path, row["manifest"])
        assert row["manifest"]["expected_hashed_name"] == want["expected"], path
    shutil.rmtree(layout.root, ignore_errors=True)
