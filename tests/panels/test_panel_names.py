"""The panel shows bidi and control characters of a name visibly, isolated (item 11)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.panels.test_panel import page_view, run_toolbar
from tests.support.layout import Layout
from tests.support.toolbar import ASSETS, TOOLBAR_CONFIG

pytestmark = pytest.mark.django_db
SPOOF = "img/evil\u202egpj.css"


def test_a_bidi_override_does_not_reverse_the_panel(layout: Layout) -> None:
    folder = layout.folder("first")
    layout.write(folder, SPOOF, "x")
    view = page_view('{% load static %}<link href="{% static name %}">', name=SPOOF)
    with (
        override_settings(
            DEBUG=True, DEBUG_TOOLBAR_PANELS=[ASSETS], DEBUG_TOOLBAR_CONFIG=TOOLBAR_CONFIG
        ),
        layout.settings(dirs=[folder]),
    ):
        toolbar, _ = run_toolbar(view)
        content = toolbar.get_panel_by_id("AssetsPanel").content
    assert "\u202e" not in content
    assert "<bdi>img/evil‹U+202E›gpj.css</bdi>" in content
