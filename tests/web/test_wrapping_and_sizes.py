"""Long names break only after "/", "." and ":" and keep ``|name``'s escaping; sizes read as
people read them, the exact byte count in a title."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from inspector.templatetags.inspector import breakable, size
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db


def test_breakable_allows_breaks_only_after_separators() -> None:
    assert breakable("app:django.contrib.admin") == (
        "<bdi>app:<wbr>django.<wbr>contrib.<wbr>admin</bdi>"
    )
    assert breakable("admin/css/select2.min.css") == (
        "<bdi>admin/<wbr>css/<wbr>select2.<wbr>min.<wbr>css</bdi>"
    )


def test_breakable_keeps_the_escaping_and_visible_controls() -> None:
    shown = breakable('<script>x</script>"\u202e.js')
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert "&quot;" in shown and "\u202e" not in shown and "‹U+202E›" in shown
    assert "&lt;/<wbr>script&gt;" in shown, "a / of the name itself may break, none of an entity"


def test_size_is_readable_with_the_exact_count_in_a_title() -> None:
    assert size(123456) == '<span title="123,456 bytes">120.6\xa0KB</span>'
    assert size(1) == '<span title="1 byte">1\xa0byte</span>'  # the count chooses the word
    assert size(None) == "?"


def test_the_detail_page_shows_no_raw_byte_count(viewer_client: Client, layout: Layout) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "css/site.css", "a" * 123456)
    layout.write(second, "css/site.css", "b" * 2048)
    with layout.settings(dirs=[first, second]):
        page = viewer_client.get(reverse("inspector:path", args=["css/site.css"])).content.decode()
        paths = viewer_client.get(reverse("inspector:paths")).content.decode()
    assert '<td class="num"><span title="123,456 bytes">120.6\xa0KB</span></td>' in page
    assert '<span title="2,048 bytes">2.0\xa0KB</span>' in page
    assert ">123456<" not in page and ">2048<" not in page
    assert "css/<wbr>site.<wbr>css" in page and "css/<wbr>site.<wbr>css" in paths
