"""The pages lead with severity: the overview's headline and "needs a look", the paths table's
order, severity and accepted filters and facet counts, and the detail page's headline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.support.layout import Layout, age, collected_app
from tests.support.own_files import OWN_COUNT

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
ACCEPT = [{"path": "theme/*", "status": "conflict", "reason": "our admin theme"}]


@pytest.fixture
def project(layout: Layout) -> Iterator[None]:
    """One row of each severity: an error (no manifest entry), two warnings (a modified copy,
    an unaccepted conflict), an accepted conflict, info (a dotfile), and plain ok rows."""
    other, other_static = layout.app("other")
    layout.write(other_static, "theme/base.css", "body { color: black }")
    layout.write(other_static, "css/clash.css", "x")
    files = {
        "css/site.css": "body {}",
        "css/ok.css": "ok {}",
        "js/app.js": "1;",
        ".browserslistrc": "defaults",
        "theme/base.css": "body { color: hotpink }",
        "css/clash.css": "yy",
    }
    with collected_app(layout, "site", files, MANIFEST) as static:
        layout.write(static, "css/site.css", "body { color: red }")
        layout.write(static, "css/new.css", "new {}")
        age(static)
        from django.conf import settings

        with override_settings(
            INSTALLED_APPS=[*settings.INSTALLED_APPS, other],
            ASSET_INSPECTOR={"CACHE": None, "RECHECK_SECONDS": 0, "ACCEPT": ACCEPT},
        ):
            yield


def page(client: Client, name: str, query: str = "", **kwargs: Any) -> str:
    response = client.get(reverse(f"inspector:{name}") + query, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_overview_leads_with_what_breaks(viewer_client: Client, project: None) -> None:
    html = page(viewer_client, "overview")
    headline = re.sub(r"\s+", " ", html[html.index("severity-counts") : html.index("Needs a look")])
    assert "<strong>1</strong> will break production" in headline
    assert "<strong>2</strong> differ from the sources" in headline
    assert "<strong>1</strong> accepted" in headline
    needs = html[html.index("Needs a look") : html.index("Sources, by status")]
    order = [p for p in ("css/new.css", "css/clash.css", "css/site.css") if p in needs]
    assert order == ["css/new.css", "css/clash.css", "css/site.css"], "errors first, then path"
    assert "theme/base.css" not in needs, "an accepted conflict needs no look"
    assert ".browserslistrc" not in needs, "a dotfile collection ignores is info"
    assert "collect again" in needs


def test_zero_counts_are_neutral(viewer_client: Client, project: None) -> None:
    html = page(viewer_client, "overview")
    assert re.search(r'class="status-absent zero"[^>]*><strong>0</strong>', html)
    assert not re.search(r'class="severity-error zero"', html), "1 error is no zero"


def test_the_collect_call_counts_only_what_a_collection_changes(
    viewer_client: Client, project: None
) -> None:
    html = page(viewer_client, "overview")
    # css/site.css (modified) and css/new.css (missing); never .browserslistrc.
    assert "<strong>2</strong> files differ from what is collected" in html


def test_the_table_is_worst_first_then_by_path(viewer_client: Client, project: None) -> None:
    html = page(viewer_client, "paths").replace("<wbr>", "")
    shown = re.findall(r'<td><a href="[^"]*"><code><bdi>([^<]+)</bdi></code>', html)
    assert shown[:4] == ["css/new.css", "css/clash.css", "css/site.css", "theme/base.css"]
    assert shown[-1] == "js/app.js"


def test_severity_and_accepted_filters(viewer_client: Client, project: None) -> None:
    errors = page(viewer_client, "paths", "?severity=error")
    assert "<strong>1</strong> of" in errors and "css/new.css" in errors
    accepted = page(viewer_client, "paths", "?accepted=yes")
    assert "<strong>1</strong> of" in accepted and "accepted: our admin theme" in accepted
    assert "accepted-row" in accepted, "accepted rows are muted"


def facet(html: str, name: str, value: str) -> int:
    found = re.search(rf'id="count-{name}-{value}"[^>]*>\((\d+)\)<', html)
    assert found, (name, value)
    return int(found.group(1))


def test_facet_counts_follow_the_current_filter(viewer_client: Client, project: None) -> None:
    # The site's five, and the inspector's own files (one of them its stylesheet).
    everything = page(viewer_client, "paths")
    assert facet(everything, "status", "unique") == 5 + OWN_COUNT
    css = page(viewer_client, "paths", "?q=css")
    assert facet(css, "status", "unique") == 4, "with q=css, only css paths count"
    # A facet's own choice does not shrink its counts: the others stay selectable.
    conflicts = page(viewer_client, "paths", "?q=css&status=conflict")
    assert facet(conflicts, "status", "unique") == 4
    assert facet(conflicts, "severity", "warning") == 2  # css/clash.css, theme/base.css
    fragment = page(viewer_client, "paths", "?q=js/", HTTP_HX_REQUEST="true")
    assert 'id="count-status-unique" hx-swap-oob="true">(1)<' in fragment


def test_the_detail_headline_is_the_severity(viewer_client: Client, project: None) -> None:
    url = reverse("inspector:path", args=["css/site.css"])
    html = viewer_client.get(url).content.decode()
    headline = html[html.index("layer-statuses") : html.index("</p>", html.index("layer-statuses"))]
    assert "severity-warning" in headline and "live modified" in headline
    assert html.index("Candidates, in precedence order") < html.index('id="served-title"')
    assert reverse("inspector:collect") in html, "a modified copy links to the preview"
    theme = viewer_client.get(reverse("inspector:path", args=["theme/base.css"])).content
    assert b"Accepted: our admin theme" in theme
