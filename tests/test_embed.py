"""The README's embed steps, on a project ``django-admin startproject`` just made: its own
snippets (taken from the README, not from the test settings) give a project whose dashboard,
CLI and checks work."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CLIENT = textwrap.dedent(
    """
    import django, json
    django.setup()
    from django.test.utils import setup_test_environment
    setup_test_environment()
    from django.contrib.auth import get_user_model
    from django.test import Client
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    anonymous = Client().get("/assets/")
    client = Client()
    client.force_login(user)
    answers = {
        "anonymous": [anonymous.status_code, anonymous.get("Location", "")],
        "login_page": Client().get(anonymous["Location"]).status_code,
        "overview": client.get("/assets/").status_code,
        "paths": client.get("/assets/paths/").status_code,
        "summary": client.get("/assets/summary.json").json()["paths"],
        "admin_index": "/admin/inspector/assetinspector/" in client.get("/admin/").text,
        "admin_link": client.get("/admin/inspector/assetinspector/").get("Location"),
        "runs": client.get("/admin/inspector/collectionrun/").status_code,
        "runs_add": client.get("/admin/inspector/collectionrun/add/").status_code,
    }
    print(json.dumps(answers))
    """
)


def snippet(readme: str, name: str) -> str:
    """Return the code block that follows ``<!-- embed:name -->`` in the README."""
    found = re.search(rf"<!-- embed:{name} -->\s*```python\n(.*?)```", readme, re.DOTALL)
    assert found, f"the README has no embed:{name} snippet"
    return found.group(1)


def test_a_fresh_project_embeds_the_app_with_the_readmes_snippets(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "django-admin"), "startproject", "mysite", str(tmp_path)],
        check=True,
        timeout=60,
    )
    settings_file = tmp_path / "mysite" / "settings.py"
    urls_file = tmp_path / "mysite" / "urls.py"
    settings_file.write_text(settings_file.read_text() + "\n" + snippet(readme, "settings"))
    urls_file.write_text(urls_file.read_text() + "\n" + snippet(readme, "urls"))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "COV_"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "mysite.settings"

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    check = manage("check")
    assert check.returncode == 0 and "no issues" in check.stdout, check.stdout + check.stderr
    assert manage("migrate", "-v", "0").returncode == 0
    answers = subprocess.run(
        [sys.executable, "-c", CLIENT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answers.returncode == 0, answers.stderr
    seen = json.loads(answers.stdout.strip().splitlines()[-1])
    assert seen["anonymous"][0] == 302 and seen["anonymous"][1].startswith("/admin/login/")
    assert seen["login_page"] == 200, "LOGIN_URL leads to a page"
    assert seen["overview"] == 200 and seen["paths"] == 200
    assert seen["summary"] > 0, "the admin's and the inspector's own files are listed"
    # The admin: an index entry that opens the dashboard, and the run history, read-only.
    assert seen["admin_index"] and seen["admin_link"] == "/assets/"
    assert seen["runs"] == 200 and seen["runs_add"] == 403
    cli = manage("inspect_assets", "--format", "json", "--fail-on", "error")
    assert cli.returncode == 0, cli.stderr
    rows = json.loads(cli.stdout)
    assert any(row["path"] == "admin/css/base.css" for row in rows)
    collect = manage("collectstatic", "--noinput", "-v", "0")
    assert collect.returncode == 0 and (tmp_path / "staticfiles" / "admin").is_dir()
