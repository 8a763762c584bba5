"""The debug-toolbar panel: what it records, what it shows, and that it survives the toolbar store.

Unit tests drive ``DebugToolbar`` directly (the middleware's steps, in its order); integration
tests go through the test client with the toolbar's middleware, on this module's URLconf (the test
project's, plus views made for recording) and on a page whose template comes from an app built on
disk (``toolbar_site``). The demo's checkout page is the demo's own test (``demo/tests/``).
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from debug_toolbar.store import get_store
from debug_toolbar.toolbar import DebugToolbar
from django.contrib.auth.models import User
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import engines
from django.templatetags.static import static
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, path

from inspector.core import layers as assembly
from inspector.panels import usage
from tests.project.urls import urlpatterns as project_urlpatterns
from tests.support.layout import Layout, age
from tests.support.toolbar import (  # noqa: F401  (fresh_toolbar_state: autouse fixture)
    ASSETS,
    BUILTIN,
    TOOLBAR_CONFIG,
    fresh_toolbar_state,
    from_store,
    request_id_of,
    rows_by_path,
)

PAGE_TEMPLATE = "inspector_tests/page.html"

# --- a URLconf: the test project's, with views made for recording ------------------------------


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


def page(request: HttpRequest) -> HttpResponse:
    """Render the page template of the app ``toolbar_site`` builds, as a project's view would."""
    return render(request, PAGE_TEMPLATE)


urlpatterns: list[URLPattern | URLResolver] = [
    *project_urlpatterns,
    path("test/interleaved/", interleaved),
    path("test/in-step/", in_step),
    path("test/page/", page),
]


# --- fixtures and helpers -----------------------------------------------------------------------


def conflict_layout(layout: Layout) -> tuple[Path, Path]:
    """Two folders that both serve css/app.css with other bytes; the first wins."""
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "css/app.css", "body { color: red }")
    layout.write(second, "css/app.css", "body { color: blue; margin: 0 }")
    layout.write(first, "js/app.js", "console.log(1)")
    age(first, second)
    return first, second


# What the page of ``toolbar_site`` resolves through {% static %}, in its order: the conflict of
# ``conflict_layout``, a file of the two folders, one of the page's own app, and one nobody has.
PAGE_PATHS = ["css/app.css", "js/app.js", "img/logo.svg", "img/nowhere.png"]


@pytest.fixture
def toolbar_site(layout: Layout) -> Iterator[None]:
    """The test project with DEBUG on and the toolbar's middleware at work, on this module's
    URLconf; an app built on disk holds the page's template and one of its images."""
    first, second = conflict_layout(layout)
    app, static_folder = layout.app("page")
    layout.write(static_folder, "img/logo.svg", "<svg/>")
    tags = "".join(f"<link href=\"{{% static '{name}' %}}\">" for name in PAGE_PATHS)
    template = f"{{% load static %}}<html><head>{tags}</head><body></body></html>"
    layout.write(static_folder.parent / "templates", PAGE_TEMPLATE, template)
    age(layout.root)
    with layout.settings(
        apps=["debug_toolbar", app],
        dirs=[first, second],
        DEBUG=True,
        ROOT_URLCONF=__name__,
        DEBUG_TOOLBAR_CONFIG=TOOLBAR_CONFIG,
        DEBUG_TOOLBAR_PANELS=[ASSETS],
    ):
        yield


@pytest.fixture
def staff() -> Any:
    """Session cookies of a staff superuser: the panel shows its rows only to such a user."""
    user = User.objects.create_superuser("panel-staff", password="x")
    client = Client()
    client.force_login(user)
    return client.cookies


def logged_in(cookies: Any, client_class: Any = Client) -> Any:
    client = client_class()
    client.cookies = copy.deepcopy(cookies)
    return client


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
    view: Callable[[HttpRequest], HttpResponse], url: str = "/page/", user: Any = None
) -> tuple[DebugToolbar, HttpResponse]:
    """Run ``view`` under a toolbar the way DebugToolbarMiddleware does, without rendering it;
    the request's user is an (unsaved) active staff superuser unless ``user`` is given."""
    request = RequestFactory().get(url)
    request.user = user or User(username="staff", is_staff=True, is_superuser=True)
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
    assert (row["found"], row["winner"], row["detail_path"]) == (False, None, None)
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


@pytest.mark.django_db(transaction=True)
def test_threads_record_only_their_own_request(toolbar_site: None, staff: Any) -> None:
    results: dict[str, HttpResponse] = {}

    def get(name: str) -> None:
        try:
            results[name] = logged_in(staff).get("/test/in-step/", {"name": name})
        finally:
            connections.close_all()  # this thread's own: nothing else closes them

    names = PAGE_PATHS[:2]
    workers = [threading.Thread(target=get, args=(name,)) for name in names]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    assert sorted(results) == sorted(names)
    for name, response in results.items():
        stats = from_store(request_id_of(response)).get_stats()
        assert [row["path"] for row in stats["files"]] == [name]


@pytest.mark.django_db(transaction=True)
def test_concurrent_async_requests_record_only_their_own_paths(
    toolbar_site: None, staff: Any
) -> None:
    ours, theirs = PAGE_PATHS[:2], PAGE_PATHS[2:]

    async def both() -> list[HttpResponse]:
        client = logged_in(staff, AsyncClient)
        return await asyncio.gather(
            client.get("/test/interleaved/", {"name": ours}),
            client.get("/test/interleaved/", {"name": theirs}),
        )

    # A thread of its own: Playwright's sync API may already run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        first, second = pool.submit(asyncio.run, both()).result(timeout=30)
    assert [r["path"] for r in from_store(request_id_of(first)).get_stats()["files"]] == ours
    assert [r["path"] for r in from_store(request_id_of(second)).get_stats()["files"]] == theirs


@pytest.mark.django_db(transaction=True)
def test_works_next_to_the_builtin_static_panel(toolbar_site: None, staff: Any) -> None:
    # Both panels stay configured while the toolbar rebuilds them from its store.
    with override_settings(DEBUG_TOOLBAR_PANELS=[BUILTIN, ASSETS]):
        request_id = request_id_of(logged_in(staff).get("/test/page/"))
        ours = from_store(request_id).get_stats()
        stored = DebugToolbar.fetch(request_id, "StaticFilesPanel")
        assert stored is not None
        builtin_stats = stored.get_panel_by_id("StaticFilesPanel").get_stats()
    builtin = {entry[0] for entry in builtin_stats["staticfiles"]}
    assert {row["path"] for row in ours["files"]} == builtin == set(PAGE_PATHS)
    assert rows_by_path(ours)["css/app.css"]["status"] == "conflict"


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
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;‹U+000A›&amp;amp;.css" in content


# --- unit: the kept inventory -------------------------------------------------------------------


def test_a_warm_request_does_not_rebuild_the_inventory(
    layout: Layout, only_assets_panel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = conflict_layout(layout)
    calls = []
    real = assembly.current_inventory
    monkeypatch.setattr(
        assembly, "current_inventory", lambda listed=None: calls.append(1) or real(listed)
    )
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


def test_non_html_responses_are_recorded_but_not_scanned(only_assets_panel: None) -> None:
    json_view = page_view('{% load static %}{"u": "{% static \'js/site.js\' %}"}')

    def as_json(request: HttpRequest) -> HttpResponse:
        response = json_view(request)
        response["Content-Type"] = "application/json"
        return response

    toolbar, _ = run_toolbar(as_json)
    assert [row["path"] for row in assets_stats(toolbar)["files"]] == ["js/site.js"]
    assert assets_stats(toolbar)["html"] == []
