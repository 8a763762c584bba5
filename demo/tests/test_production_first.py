"""Production first, on the demo as ``make demo`` plants it: the overview leads with the
would-be 500, then what differs; the intended admin theme is accepted; and the README's CI
recipes fail on the planted findings and pass once a collection has fixed them."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import Client
from django.urls import reverse

from inspector.core import caches

pytestmark = pytest.mark.django_db
MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


@pytest.fixture
def planted(settings: Any, tmp_path: Path) -> Path:
    """The demo's collected storage as ``demo_setup`` leaves it: an older release planted, a
    stylesheet left out of the manifest."""
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STORAGES = MANIFEST_STORAGES
    call_command("demo_setup", verbosity=0, stdout=StringIO())
    caches.clear()
    return Path(settings.STATIC_ROOT)


def test_the_overview_leads_with_the_would_be_500(viewer_client: Client, planted: Path) -> None:
    html = viewer_client.get(reverse("inspector:overview")).content.decode()
    needs = html[html.index("Needs a look") : html.index("Sources, by status")]
    # The paths first; the planted references follow in a list of their own.
    listed = re.findall(
        r"<code><bdi>([^<]+)</bdi></code>", needs[: needs.index("reference-problems-title")]
    )
    assert listed == ["shop/css/new-arrivals.css", "shop/css/shop.css", "shop/js/cart.js"]
    first = needs[: needs.index("shop/css/shop.css")]
    assert "severity-error" in first and "missing-entry" in first
    headline = re.sub(r"\s+", " ", html[html.index("severity-counts") : html.index("Needs a look")])
    assert "<strong>1</strong> will break production" in headline
    assert "<strong>2</strong> accepted" in headline
    accepted = viewer_client.get(reverse("inspector:paths") + "?accepted=yes").content.decode()
    assert "admin/css/base.css" in accepted and "accepted-row" in accepted
    assert "the demo&#x27;s admin theme overrides Django&#x27;s on purpose" in accepted


def recipes() -> list[Callable[[], object]]:
    """The README's CI recipes, as the command line runs them."""
    out = {"stdout": StringIO(), "stderr": StringIO()}
    return [
        lambda: call_command("check", deploy=True, tags=["staticfiles"], fail_level="WARNING"),
        lambda: call_command("inspect_assets", "--no-live", "--fail-on", "warning", **out),
        lambda: call_command("inspect_assets", "--fail-on", "warning", **out),
    ]


def test_the_ci_recipes_fail_on_the_planted_findings_and_pass_once_collected(
    planted: Path,
) -> None:
    for recipe in recipes():
        with pytest.raises((CommandError, SystemCheckError)):
            recipe()
    # What the dashboard's Collect does: a real collectstatic replaces the planted copies and
    # collects the left-out stylesheet; the dotfile stays uncollected, by design.
    call_command("collectstatic", interactive=False, verbosity=0)
    caches.clear()
    deploy, *paths = recipes()
    for recipe in paths:
        recipe()  # no exception: exit status 0
    # The planted broken references need an edit of the sources, not a collection.
    with pytest.raises(SystemCheckError) as raised:
        deploy()
    failing = {
        line.split(")")[0] for line in str(raised.value).splitlines() if "(inspector." in line
    }
    assert failing and {item.rsplit("(", 1)[1] for item in failing} == {"inspector.E013"}
