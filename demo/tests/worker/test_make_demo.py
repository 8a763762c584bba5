"""``make demo PORT=...`` for real: the launcher (``demo/run.py``) sets the demo up, serves it
with its worker on the port asked for, and every part of it knows that address (issue 19).

The launcher runs as ``make demo`` runs it, on a settings module of this test that only moves
the demo's state (database, collected files, cache) into a temporary folder.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.storages import current_release

BASE_DIR = Path(__file__).resolve().parents[3]
SETTINGS = """
from pathlib import Path
from config.settings import *  # noqa: F403

_VAR = Path({var!r})
_VAR.mkdir(exist_ok=True)  # as config.settings makes its own var/
DATABASES = {{"default": {{**DATABASES["default"], "NAME": _VAR / "db.sqlite3"}}}}
STATIC_ROOT = _VAR / "static"
CACHES = {{**CACHES, "inspector": {{**CACHES["inspector"], "LOCATION": _VAR / "cache"}}}}
"""
# How long the demo may take to set up and answer on this shared machine: a bound, not a measure.
READY_WITHIN = 300.0


@dataclass
class Demo:
    url: str
    output: Path
    static_root: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    (tmp_path / "make_demo_settings.py").write_text(SETTINGS.format(var=str(tmp_path / "var")))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEMO_BASE_URL", "DEMO_ALLOWED_HOSTS", "DJANGO_DEBUG")
    }
    env["DJANGO_SETTINGS_MODULE"] = "make_demo_settings"
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(BASE_DIR)])
    port = free_port()
    output = tmp_path / "demo.log"
    with output.open("wb") as log:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "demo.run", "--port", str(port)],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        give_up = time.monotonic() + READY_WITHIN
        while not answers(f"{url}/assets/"):
            assert launcher.poll() is None, output.read_text()
            assert time.monotonic() < give_up, output.read_text()
            time.sleep(0.5)
        yield Demo(url, output, tmp_path / "var" / "static")
    finally:
        # Ctrl-C, as a user stops it: the launcher stops the web server and the worker.
        os.killpg(launcher.pid, signal.SIGINT)
        try:
            launcher.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait(30)
    assert "stopped the worker and the web server" in output.read_text()
    assert not answers(f"{url}/assets/")


def test_make_demo_serves_on_the_port_asked_for_and_probes_it(demo: Demo) -> None:
    said = demo.output.read_text()
    # demo_setup's summary names where the launcher serves, and no command to start a server.
    assert f"Open:      {demo.url}/assets/" in said
    assert "Start:" not in said
    assert ":8000" not in said
    assert "Log in:    user admin / password admin" in said

    # A collected hashed name is served (runserver alone answered 404 for it).
    manifest = demo.static_root / current_release() / "staticfiles.json"
    hashed = json.loads(manifest.read_text())["paths"]["img/logo.svg"]
    with urllib.request.urlopen(f"{demo.url}/static/{hashed}", timeout=10) as response:
        assert response.status == 200
        assert response.read() == (demo.static_root / hashed).read_bytes()

    # The dashboard's probe goes to the demo's own address: log in, probe, read the result.
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def post(path: str, fields: dict[str, str], page: str) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None, page
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token[1], **fields}).encode()
        with opener.open(f"{demo.url}{path}", data=data, timeout=60) as response:
            return str(response.read().decode())

    with opener.open(f"{demo.url}/admin/login/", timeout=30) as response:
        login = response.read().decode()
    post("/admin/login/?next=/assets/", {"username": "admin", "password": "admin"}, login)
    with opener.open(f"{demo.url}/assets/paths/img/logo.svg", timeout=120) as response:
        detail = response.read().decode()
    after = post(
        "/assets/probe/", {"path": "img/logo.svg", "next": "/assets/paths/img/logo.svg"}, detail
    )

    # The page's text, whatever markup isolates or breaks the URL.
    text = re.sub(r"<[^>]+>", "", after)
    assert "HTTP 200: the served bytes match the collected copy" in text
    assert f"{demo.url}/static/img/logo." in text
