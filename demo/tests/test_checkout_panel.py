"""The Assets panel on the demo's checkout page, through the toolbar's middleware: each finding
the page plants (a conflict from ``demo.theme``, a file ``demo_setup`` leaves uncollected, a
hardcoded URL and a ``url()`` to no file) shows in the panel, and the "would be a 500" is real."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from tests.support.toolbar import (  # noqa: F401  (fresh_toolbar_state: autouse fixture)
    fresh_toolbar_state,
    from_store,
    request_id_of,
    rows_by_path,
)


@pytest.mark.django_db
def test_checkout_page_shows_each_planted_finding(demo_toolbar: None, admin_client: Client) -> None:
    # The panel shows its rows to staff with inspector.view_assets only.
    response = admin_client.get("/checkout/")
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
    assert rows["css/site.css"]["detail_path"] == "css/site.css"
    # Its link to the dashboard is made when the panel is opened.
    assert 'href="/assets/paths/css/site.css"' in panel.content
    assert [(h["path"], h["exists"]) for h in stats["html"]] == [
        ("img/logo.svg", "source"),
        ("shop/img/banner.png", None),
    ]
    assert panel.nav_subtitle.startswith("6 used · 1 conflict · 1 would 500 · 2 hardcoded")
    # The nav button in the page carries the same subtitle.
    assert panel.nav_subtitle.encode() in response.content


@pytest.mark.django_db
def test_panel_content_is_served_by_the_toolbar_with_the_red_500(
    demo_toolbar: None, admin_client: Client
) -> None:
    client = admin_client
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
