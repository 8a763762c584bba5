"""The debug-toolbar panel: what it records, what it shows, and that it survives the toolbar store.

Unit tests drive ``DebugToolbar`` directly (the middleware's steps, in its order); integration
tests go through the test client with the toolbar middleware on the demo's checkout page, whose
planted findings need a real collection with a manifest (``collected``, built once per session).
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from debug_toolbar.store import MemoryStore, get_store
from debug_toolbar.toolbar import DebugToolbar
from django.core.management import call_command
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.templatetags.static import static
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, include, path

from config.urls import urlpatterns as project_urlpatterns
from demo.shop.management.commands.demo_setup import NOT_COLLECTED
from inspector import panels
from inspector.core import caches
from inspector.core import layers as assembly
from inspector.panels import usage
from tests.support.layout import Layout, age

ASSETS = "inspector.panels.AssetsPanel"
BUILTIN = "debug_toolbar.panels.staticfiles.StaticFilesPanel"
MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
TOOLBAR_CONFIG = {"IS_RUNNING_TESTS": False}


# --- a URLconf with the toolbar mounted (the demo mounts it only when DEBUG is set at import) --


async def interleaved(request: HttpRequest) -> HttpResponse:
    """Resolve each ?name= with a pause between, so concurrent requests interleave."""
    links = []
    for name in request.GET.getlist("name"):
        links.append(f'<link rel="stylesheet" href="{static(name)}">')
        await asyncio.sleep(0.02)
    return HttpResponse(f"<html><head>{''.join(links)}</head><body></body></html>")


_threads_barrier = threading.Barrier(2, timeout=10)


def in_step(request: HttpRequest) -> HttpResponse:
    """Resolve ?name= between two barriers, so two threads record at the same time."""
    name = request.GET["name"]
    _threads_barrier.wait()
    url = static(name)
    _threads_barrier.wait()
    return HttpResponse(f'<html><body><img src="{url}"></body></html>')


urlpatterns: list[URLPattern | URLResolver] = [
    *project_urlpatterns,
    path("__debug__/", include("debug_toolbar.urls")),
    path("test/interleaved/", interleaved),
    path("test/in-step/", in_step),
]


# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_panel_state() -> Iterator[None]:
    """No kept inventory and no stored toolbars leak from one test into the next."""
    caches.clear()
    MemoryStore.clear()
    yield
    caches.clear()
    MemoryStore.clear()


@pytest.fixture(scope="session")
def collected() -> Path:
    """The demo collected with a manifest, like ``demo_setup`` does (NOT_COLLECTED left out)."""
    root = Path(tempfile.mkdtemp(prefix="inspector-panel-collected-"))
    with override_settings(STATIC_ROOT=root, STORAGES=MANIFEST_STORAGES):
        call_command(
            "collectstatic", interactive=False, verbosity=0, ignore_patterns=list(NOT_COLLECTED)
        )
    return root


@pytest.fixture
def demo_toolbar(collected: Path) -> Iterator[None]:
    """The demo project with DEBUG on, the toolbar mounted and the collected manifest."""
    # Re-entering the settings gives a fresh storage: collectstatic emptied the old one's manifest.
    with override_settings(
        DEBUG=True,
        ROOT_URLCONF=__name__,
        STATIC_ROOT=collected,
        STORAGES=MANIFEST_STORAGES,
        DEBUG_TOOLBAR_CONFIG=TOOLBAR_CONFIG,
    ):
        yield


@pytest.fixture
def only_assets_panel() -> Iterator[None]:
    with override_settings(
        DEBUG=True, DEBUG_TOOLBAR_PANELS=[ASSETS], DEBUG_TOOLBAR_CONFIG=TOOLBAR_CONFIG
    ):
        yield


def page_view(template: str, **context: Any) -> Callable[[HttpRequest], HttpResponse]:
    """Return a view rendering ``template`` (Django template language) as an HTML page."""
    compiled = engines["django"].from_string(template)

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(compiled.render(context, request))

    return view


def run_toolbar(
    view: Callable[[HttpRequest], HttpResponse], url: str = "/page/"
) -> tuple[DebugToolbar, HttpResponse]:
    """Run ``view`` under a toolbar the way DebugToolbarMiddleware does, without rendering it."""
    request = RequestFactory().get(url)
    toolbar = DebugToolbar(request, view)
    for panel in toolbar.enabled_panels:
        panel.enable_instrumentation()
    try:
        response = toolbar.process_request(request)
    finally:
        for panel in reversed(toolbar.enabled_panels):
            panel.disable_instrumentation()
    for panel in reversed(toolbar.enabled_panels):
        panel.generate_stats(request, response)
    return toolbar, response


def assets_stats(toolbar: DebugToolbar) -> dict[str, Any]:
    return toolbar.get_panel_by_id("AssetsPanel").get_stats()


def rows_by_path(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["path"]: row for row in stats["files"]}


def from_store(request_id: str) -> panels.AssetsPanel:
    """Return the panel as the toolbar rebuilds it from its store to render it later."""
    stored = DebugToolbar.fetch(request_id, "AssetsPanel")
    assert stored is not None, "the store lost the request"
    panel = stored.get_panel_by_id("AssetsPanel")
    assert isinstance(panel, panels.AssetsPanel)
    return panel


def request_id_of(response: HttpResponse) -> str:
    found = re.search(rb'data-request-id="([0-9a-f]+)"', response.content)
    assert found, "the toolbar was not inserted"
    return found.group(1).decode()


def conflict_layout(layout: Layout) -> tuple[Path, Path]:
    """Two folders that both serve css/app.css with other bytes; the first wins."""
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "css/app.css", "body { color: red }")
    layout.write(second, "css/app.css", "body { color: blue; margin: 0 }")
    layout.write(first, "js/app.js", "console.log(1)")
    age(first, second)
    return first, second


# --- unit: recording through url() --------------------------------------------------------------


def test_records_the_paths_the_request_resolved_in_order_once_each(
    layout: Layout, only_assets_panel: None
) -> None:
    first, second = conflict_layout(layout)
    view = page_view(
        "{% load static %}<html><body>"
        "<link href=\"{% static 'css/app.css' %}\"><script src=\"{% static 'js/app.js' %}\">"
        "</script><link href=\"{% static 'css/app.css' %}\"></body></html>"
    )
    with layout.settings(dirs=[first, second]):
        toolbar, _ = run_toolbar(view)
    stats = assets_stats(toolbar)
    assert [row["path"] for row in stats["files"]] == ["css/app.css", "js/app.js"]
    assert stats["files"][0]["urls"] == ["/static/css/app.css"]
    assert stats["html"] == []  # every static URL of the page came from the tag


def test_conflict_row_names_winner_and_the_differing_shadowed_file(
    layout: Layout, only_assets_panel: None
) -> None:
    first, second = conflict_layout(layout)
    view = page_view("{% load static %}<link href=\"{% static 'css/app.css' %}\">")
    with layout.settings(dirs=[first, second]):
        toolbar, _ = run_toolbar(view)
    row = rows_by_path(assets_stats(toolbar))["css/app.css"]
    assert row["status"] == "conflict"
    assert row["winner"]["location"] == str(first / "css" / "app.css")
    assert row["shadowed"] == [
        {
            "source": f"dir:{second}",
            "location": str(second / "css" / "app.css"),
            "differs": True,
        }
    ]
    assert row["live"] == "missing"  # nothing was collected into this layout's STATIC_ROOT
    assert assets_stats(toolbar)["summary"]["conflicts"] == 1


def test_a_path_no_source_has_is_not_found(layout: Layout, only_assets_panel: None) -> None:
    first, second = conflict_layout(layout)
    view = page_view("{% load static %}<script src=\"{% static 'js/gone.js' %}\"></script>")
    with layout.settings(dirs=[first, second]):
        toolbar, _ = run_toolbar(view)
    stats = assets_stats(toolbar)
    row = rows_by_path(stats)["js/gone.js"]
    assert (row["found"], row["winner"], row["detail_url"]) == (False, None, None)
    assert stats["summary"]["not_found"] == 1
    assert "no source: not found (404)" in toolbar.get_panel_by_id("AssetsPanel").content


def test_url_calls_outside_a_toolbar_request_are_not_recorded(only_assets_panel: None) -> None:
    from django.core.files.storage import storages

    usage.hook(storages["staticfiles"])
    with usage.recording() as inside:
        static("css/site.css")
    static("js/site.js")  # no recording active: nothing to write to, nothing raised
    assert list(inside.paths) == ["css/site.css"]


def test_hook_is_installed_once_and_keeps_the_storage_answer(only_assets_panel: None) -> None:
    from django.core.files.storage import storages

    storage = storages["staticfiles"]
    usage.hook(storage)
    usage.hook(storage)
    with usage.recording() as seen:
        assert static("css/site.css") == "/static/css/site.css"
    assert seen.paths == {"css/site.css": ["/static/css/site.css"]}


def test_threads_record_only_their_own_request(demo_toolbar: None) -> None:
    results: dict[str, HttpResponse] = {}

    def get(name: str) -> None:
        results[name] = Client().get("/test/in-step/", {"name": name})

    workers = [threading.Thread(target=get, args=(n,)) for n in ("css/site.css", "js/site.js")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    for name, response in results.items():
        stats = from_store(request_id_of(response)).get_stats()
        assert [row["path"] for row in stats["files"]] == [name]
    assert len(results) == 2


def test_concurrent_async_requests_record_only_their_own_paths(demo_toolbar: None) -> None:
    async def both() -> list[HttpResponse]:
        client = AsyncClient()
        return await asyncio.gather(
            client.get("/test/interleaved/", {"name": ["css/site.css", "js/site.js"]}),
            client.get("/test/interleaved/", {"name": ["img/logo.svg", "shop/css/shop.css"]}),
        )

    # A thread of its own: Playwright's sync API may already run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        first, second = pool.submit(asyncio.run, both()).result(timeout=30)
    assert [r["path"] for r in from_store(request_id_of(first)).get_stats()["files"]] == [
        "css/site.css",
        "js/site.js",
    ]
    assert [r["path"] for r in from_store(request_id_of(second)).get_stats()["files"]] == [
        "img/logo.svg",
        "shop/css/shop.css",
    ]


def test_works_next_to_the_builtin_static_panel(demo_toolbar: None) -> None:
    with override_settings(DEBUG_TOOLBAR_PANELS=[BUILTIN, ASSETS]):
        response = Client().get("/checkout/")
    request_id = request_id_of(response)
    ours = {row["path"] for row in from_store(request_id).get_stats()["files"]}
    stored = DebugToolbar.fetch(request_id, "StaticFilesPanel")
    assert stored is not None
    builtin = {
        entry[0] for entry in stored.get_panel_by_id("StaticFilesPanel").get_stats()["staticfiles"]
    }
    assert ours == builtin
    assert "admin/css/base.css" in ours


# --- unit: the HTML scan ------------------------------------------------------------------------

PAGE = """<html><head>
<link rel="stylesheet" href="/static/css/site.css">
<link rel="stylesheet" href='https://testserver/static/vendor/reset.css?v=3'>
<!-- <img src="/static/img/commented-out.png"> -->
<style>.hero { background: url("/static/img/hero.png") }</style>
</head><body>
<img src=/static/img/logo.svg srcset="/static/img/logo.svg 1x, /static/img/logo@2x.svg 2x">
<div style="background-image: url(&quot;/static/img/tile.png&quot;)"></div>
<a href="/assets/">not static</a><a href="https://cdn.example.com/static/x.css">other host</a>
<a href="/static/a&amp;b.css">entity</a>
</body></html>"""


def test_scan_finds_every_kind_of_static_reference_once() -> None:
    prefixes = ("/static/", "http://testserver/static/", "//testserver/static/")
    refs = usage.scan_html(PAGE, prefixes)
    assert [(r.path, r.where) for r in refs] == [
        ("css/site.css", "href"),
        ("img/logo.svg", "src"),
        ("img/logo@2x.svg", "srcset"),
        ("a&b.css", "href"),
        ("img/hero.png", "url()"),
        ("img/tile.png", "url()"),
    ]


def test_scan_matches_absolute_forms_of_static_url() -> None:
    refs = usage.scan_html(PAGE, ("/static/", "https://testserver/static/"))
    assert ("vendor/reset.css", "https://testserver/static/vendor/reset.css?v=3") in {
        (r.path, r.url) for r in refs
    }


def test_hardcoded_and_dangling_urls_are_flagged_but_tag_urls_are_not(
    layout: Layout, only_assets_panel: None
) -> None:
    first, second = conflict_layout(layout)
    view = page_view(
        "{% load static %}<html><body>"
        "<link href=\"{% static 'css/app.css' %}\">"
        '<script src="/static/js/app.js"></script>'
        "<div style=\"background: url('/static/img/none.png')\"></div>"
        "</body></html>"
    )
    with layout.settings(dirs=[first, second]):
        toolbar, _ = run_toolbar(view)
    stats = assets_stats(toolbar)
    assert [(h["path"], h["where"], h["exists"]) for h in stats["html"]] == [
        ("js/app.js", "src", "source"),
        ("img/none.png", "url()", None),
    ]
    assert stats["summary"] == {
        "used": 1,
        "conflicts": 1,
        "would_500": 0,
        "hardcoded": 2,
        "not_found": 1,
    }
    panel = toolbar.get_panel_by_id("AssetsPanel")
    assert panel.nav_subtitle == "1 used · 1 conflict · 2 hardcoded · 1 not found"


# --- unit: escaping -----------------------------------------------------------------------------

NASTY = "x<script>alert(1)</script>\"'\n&amp;.css"


def test_file_names_with_markup_quotes_and_newlines_stay_inert(
    layout: Layout, only_assets_panel: None
) -> None:
    folder = layout.folder("nasty")
    layout.write(folder, NASTY, "body {}")
    age(folder)
    view = page_view('{% load static %}<link href="{% static name %}">', name=NASTY)
    with layout.settings(dirs=[folder]):
        toolbar, _ = run_toolbar(view)
        content = toolbar.get_panel_by_id("AssetsPanel").content
    assert rows_by_path(assets_stats(toolbar))[NASTY]["found"] is True
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;\n&amp;amp;.css" in content


# --- unit: the kept inventory -------------------------------------------------------------------


def test_a_warm_request_does_not_rebuild_the_inventory(
    layout: Layout, only_assets_panel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = conflict_layout(layout)
    calls = []
    real = assembly.current_inventory
    monkeypatch.setattr(assembly, "current_inventory", lambda: calls.append(1) or real())
    monkeypatch.setattr(assembly, "BACKGROUND_SHARE", 10**9)
    view = page_view("{% load static %}<link href=\"{% static 'css/app.css' %}\">")
    with layout.settings(dirs=[first, second]):
        run_toolbar(view)
        run_toolbar(view)
        run_toolbar(view)
    assert len(calls) == 1


def test_an_edited_used_file_is_seen_by_the_next_request(
    layout: Layout, only_assets_panel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "css/app.css", "same")
    layout.write(second, "css/app.css", "same")
    age(first, second)
    monkeypatch.setattr(assembly, "BACKGROUND_SHARE", 10**9)
    view = page_view("{% load static %}<link href=\"{% static 'css/app.css' %}\">")
    with layout.settings(dirs=[first, second]):
        before = rows_by_path(assets_stats(run_toolbar(view)[0]))["css/app.css"]
        layout.write(second, "css/app.css", "changed, and longer")
        after = rows_by_path(assets_stats(run_toolbar(view)[0]))["css/app.css"]
    assert (before["status"], after["status"]) == ("duplicate", "conflict")


def test_a_new_shadowing_file_shows_after_the_background_refresh(
    layout: Layout, only_assets_panel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(second, "css/app.css", "theirs")
    age(first, second)
    monkeypatch.setattr(assembly, "BACKGROUND_SHARE", 0)
    view = page_view("{% load static %}<link href=\"{% static 'css/app.css' %}\">")
    with layout.settings(dirs=[first, second]):
        assert rows_by_path(assets_stats(run_toolbar(view)[0]))["css/app.css"]["shadowed"] == []
        layout.write(first, "css/app.css", "ours, which now hides theirs")
        run_toolbar(view)  # answers from the kept inventory, refreshes it in the background
        deadline = time.monotonic() + 10
        while any(t.name == "inspector-layers" for t in threading.enumerate()):
            assert time.monotonic() < deadline, "background refresh did not finish"
            time.sleep(0.01)
        row = rows_by_path(assets_stats(run_toolbar(view)[0]))["css/app.css"]
    assert row["status"] == "conflict"
    assert row["winner"]["location"] == str(first / "css" / "app.css")


# --- store round-trip ---------------------------------------------------------------------------


@pytest.fixture
def history_table() -> Iterator[None]:
    """The DatabaseStore's table: the toolbar hides its migrations unless configured at start."""
    from debug_toolbar.models import HistoryEntry

    with connection.schema_editor() as editor:
        editor.create_model(HistoryEntry)
    yield
    with connection.schema_editor() as editor:
        editor.delete_model(HistoryEntry)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "store",
    ["debug_toolbar.store.MemoryStore", "debug_toolbar.store.CacheStore", "DatabaseStore"],
)
def test_stats_survive_the_store_round_trip(
    store: str, layout: Layout, request: pytest.FixtureRequest
) -> None:
    if store == "DatabaseStore":
        request.getfixturevalue("history_table")
        store = "debug_toolbar.store.DatabaseStore"
    first, second = conflict_layout(layout)
    view = page_view(
        "{% load static %}<link href=\"{% static 'css/app.css' %}\">"
        '<link href="{% static name %}"><img src="/static/img/none.png">',
        name=NASTY,
    )
    config = {**TOOLBAR_CONFIG, "TOOLBAR_STORE_CLASS": store}
    with (
        override_settings(DEBUG=True, DEBUG_TOOLBAR_PANELS=[ASSETS], DEBUG_TOOLBAR_CONFIG=config),
        layout.settings(dirs=[first, second]),
    ):
        assert get_store().__name__ == store.rsplit(".", 1)[1]
        toolbar, _ = run_toolbar(view)
        live = toolbar.get_panel_by_id("AssetsPanel")
        reloaded = from_store(toolbar.request_id)
        assert reloaded.from_store is True
        assert reloaded.get_stats() == json.loads(json.dumps(live.get_stats()))
        assert (
            reloaded.nav_subtitle
            == live.nav_subtitle
            == ("2 used · 1 conflict · 1 hardcoded · 2 not found")
        )
        assert reloaded.content == live.content
        assert "css/app.css" in reloaded.content
        get_store().clear()


# --- integration: the demo's checkout page through the toolbar middleware -----------------------


def test_checkout_page_shows_each_planted_finding(demo_toolbar: None) -> None:
    response = Client().get("/checkout/")
    assert response.status_code == 200
    panel = from_store(request_id_of(response))
    stats = panel.get_stats()
    rows = rows_by_path(stats)
    assert rows["admin/css/base.css"]["status"] == "conflict"
    assert rows["admin/css/base.css"]["winner"]["source"] == "app:demo.theme"
    assert [s["source"] for s in rows["admin/css/base.css"]["shadowed"]] == [
        "app:django.contrib.admin"
    ]
    assert rows["admin/css/base.css"]["shadowed"][0]["differs"] is True
    assert rows["shop/css/new-arrivals.css"]["manifest"]["status"] == "missing-entry"
    assert rows["shop/css/new-arrivals.css"]["manifest"]["would_500"] is True
    assert rows["css/site.css"]["manifest"]["status"] == "ok"
    assert rows["css/site.css"]["manifest"]["hashed_name"].startswith("css/site.")
    assert rows["css/site.css"]["detail_url"] == "/assets/paths/css/site.css"
    assert [(h["path"], h["exists"]) for h in stats["html"]] == [
        ("img/logo.svg", "source"),
        ("shop/img/banner.png", None),
    ]
    assert panel.nav_subtitle.startswith("6 used · 1 conflict · 1 would 500 · 2 hardcoded")
    # The nav button in the page carries the same subtitle.
    assert panel.nav_subtitle.encode() in response.content


def test_panel_content_is_served_by_the_toolbar_with_the_red_500(demo_toolbar: None) -> None:
    client = Client()
    request_id = request_id_of(client.get("/checkout/"))
    response = client.get(
        "/__debug__/render_panel/", {"request_id": request_id, "panel_id": "AssetsPanel"}
    )
    assert response.status_code == 200
    content = response.json()["content"]
    row = re.search(r'<tr class="inspector-file inspector-would-500">.*?</tr>', content, re.S)
    assert row is not None
    assert "shop/css/new-arrivals.css" in row.group(0)
    assert '<span class="inspector-danger inspector-500">would be a 500 with DEBUG=False' in (
        row.group(0)
    )
    assert content.count("inspector-would-500") == 1


def test_the_would_500_is_real_with_debug_off(demo_toolbar: None) -> None:
    with override_settings(DEBUG=False), pytest.raises(ValueError, match="manifest entry"):
        Client().get("/checkout/")


def test_non_html_responses_are_recorded_but_not_scanned(only_assets_panel: None) -> None:
    json_view = page_view('{% load static %}{"u": "{% static \'js/site.js\' %}"}')

    def as_json(request: HttpRequest) -> HttpResponse:
        response = json_view(request)
        response["Content-Type"] = "application/json"
        return response

    toolbar, _ = run_toolbar(as_json)
    assert [row["path"] for row in assets_stats(toolbar)["files"]] == ["js/site.js"]
    assert assets_stats(toolbar)["html"] == []
