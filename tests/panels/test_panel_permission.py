"""The Assets panel records nothing for a user the dashboard would refuse (issue 15, item 19),
whatever the project's toolbar settings show the toolbar to."""

from __future__ import annotations

import json
from typing import Any

import pytest
from debug_toolbar.middleware import show_toolbar_func_or_path
from debug_toolbar.store import MemoryStore
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.test import Client, override_settings

from inspector.panels.panel import DENIED
from tests.panels.test_panel import (  # noqa: F401  (toolbar_site: a fixture)
    conflict_layout,
    page_view,
    run_toolbar,
    toolbar_site,
)
from tests.support.layout import Layout
from tests.support.toolbar import (  # noqa: F401  (fresh_toolbar_state: autouse fixture)
    ASSETS,
    TOOLBAR_CONFIG,
    fresh_toolbar_state,
    from_store,
    request_id_of,
)

pytestmark = pytest.mark.django_db(transaction=True)
PAGE = "{% load static %}<link href=\"{% static 'css/app.css' %}\">"


@pytest.fixture(autouse=True)
def _empty_store() -> Any:
    # The toolbar keeps the SHOW_TOOLBAR_CALLBACK it imported for the whole process.
    show_toolbar_func_or_path.cache_clear()
    MemoryStore.clear()
    yield
    MemoryStore.clear()
    show_toolbar_func_or_path.cache_clear()


def staff_without_permission() -> User:
    return User.objects.create_user("staff-only", password="x", is_staff=True)


def viewer_not_staff() -> User:
    user = User.objects.create_user("not-staff", password="x")
    user.user_permissions.add(
        Permission.objects.get(codename="view_assets", content_type__app_label="inspector")
    )
    return user


@pytest.mark.parametrize("make_user", [AnonymousUser, staff_without_permission, viewer_not_staff])
def test_a_user_without_the_permission_gets_one_line_and_nothing_is_kept(
    layout: Layout, make_user: Any
) -> None:
    first, second = conflict_layout(layout)
    with (
        override_settings(
            DEBUG=True, DEBUG_TOOLBAR_PANELS=[ASSETS], DEBUG_TOOLBAR_CONFIG=TOOLBAR_CONFIG
        ),
        layout.settings(dirs=[first, second]),
    ):
        toolbar, _ = run_toolbar(page_view(PAGE), user=make_user())
        panel = from_store(toolbar.request_id)
    assert panel.get_stats() == {"denied": True}
    assert "css/app.css" not in json.dumps(panel.get_stats())
    assert panel.nav_subtitle == ""
    assert str(DENIED) in panel.content and "css/app.css" not in panel.content


def test_through_the_toolbar_an_anonymous_local_visitor_sees_only_the_line(
    toolbar_site: None,  # noqa: F811
) -> None:
    """INTERNAL_IPS alone shows the toolbar to anyone on the machine: the panel says no."""
    client = Client()
    request_id = request_id_of(client.get("/test/page/"))
    rendered = client.get(
        "/__debug__/render_panel/", {"request_id": request_id, "panel_id": "AssetsPanel"}
    ).json()["content"]
    assert "You may not see this" in rendered
    assert "inspector-file" not in rendered and "css/app.css" not in rendered
