"""The demo serves its collected files, so the served probe has something to ask (issue 19).

``runserver`` under ``DEBUG=True`` serves only what the finders have, so every hashed name of the
manifest answered 404 and every probe in the demo said ``http-error``. The demo now leaves
``/static/`` to WhiteNoise: a name a finder has comes from the sources (as development serves
it), every other name (the hashed ones) from ``STATIC_ROOT``, with immutable caching. Here the
server is the very handler ``manage.py runserver`` builds from the demo's settings, on a free
loopback port, and the probe is the CLI's.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.test import Client

from demo.shop.management.commands.demo_setup import NOT_COLLECTED, plant_older_release
from demo.tests.conftest import MANIFEST_STORAGES
from inspector.core import caches

pytestmark = pytest.mark.django_db(transaction=True)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def runserver_serving() -> Iterator[str]:
    """Serve what ``manage.py runserver`` serves (its handler, its default options) on a free
    loopback port; yield the base URL."""
    command = load_command_class(get_commands()["runserver"], "runserver")
    options = vars(command.create_parser("manage.py", "runserver").parse_args([]))
    # The WSGI module builds its application (and reads DEBUG) once, when first imported.
    sys.modules.pop("config.wsgi", None)
    handler = command.get_handler(**options)
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.set_app(handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def probe(base_url: str, *paths: str) -> dict[str, dict[str, Any]]:
    """Return each path's ``served`` object from ``inspect_assets --probe --format json``."""
    caches.clear()
    out = StringIO()
    args = ["--probe", "--base-url", base_url, "--format", "json"]
    for path in paths:
        args += ["--path", path]
    call_command("inspect_assets", *args, stdout=out, stderr=StringIO())
    return {row["path"]: row["served"] for row in json.loads(out.getvalue())}


def test_a_probe_of_a_collected_hashed_name_answers_200_under_debug(
    settings: Any, demo_collected: Path
) -> None:
    settings.DEBUG = True
    settings.STATIC_ROOT = demo_collected
    settings.STORAGES = MANIFEST_STORAGES
    with runserver_serving() as base_url:
        served = probe(base_url, "img/logo.svg", "shop/js/cart.js")

    for path in ("img/logo.svg", "shop/js/cart.js"):
        stem = path.rpartition(".")[0]
        assert served[path]["url"].startswith(f"{base_url}/static/{stem}."), served[path]
        assert served[path]["http_status"] == 200, served[path]
        # Long, immutable caching for a hashed name: no "headers" finding.
        assert served[path]["status"] == "ok", served[path]
        assert "match the collected copy" in served[path]["detail"]


def test_a_probe_of_a_source_changed_since_collection_is_stale_under_debug(
    settings: Any, tmp_path: Path
) -> None:
    """Without a manifest the probe asks for the plain name, which development serves from the
    sources: a collected copy an older release left behind is then served stale."""
    settings.DEBUG = True
    settings.STATIC_ROOT = tmp_path / "collected"
    call_command(
        "collectstatic", interactive=False, verbosity=0, ignore_patterns=list(NOT_COLLECTED)
    )
    plant_older_release()
    with runserver_serving() as base_url:
        served = probe(base_url, "img/logo.svg", "shop/css/shop.css")

    assert served["img/logo.svg"]["status"] == "ok"
    assert served["shop/css/shop.css"]["status"] == "stale"
    assert "differ from the collected copy" in served["shop/css/shop.css"]["detail"]


def test_the_demo_serves_collected_files_with_debug_off_too(
    settings: Any, client: Client, demo_collected: Path
) -> None:
    """``DJANGO_DEBUG=0 make demo``: runserver then serves no static file at all by itself."""
    settings.DEBUG = False
    settings.STATIC_ROOT = demo_collected
    settings.STORAGES = MANIFEST_STORAGES
    manifest = json.loads((demo_collected / "staticfiles.json").read_text())["paths"]
    hashed = manifest["img/logo.svg"]

    response = client.get(f"/static/{hashed}")

    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == (demo_collected / hashed).read_bytes()
    # Never collected: not served either, as in production.
    assert client.get(f"/static/{NOT_COLLECTED[0]}").status_code == 404
