"""One path's detail page: every candidate, diffs against the winner, previews, and nothing
opened that the inventory did not list."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def detail(client: Client, layout: Layout, path: str, *dirs: Path, **extra: Any) -> str:
    if "ASSET_INSPECTOR" in extra:  # over the test settings (a check on every page)
        extra["ASSET_INSPECTOR"] = {**settings.ASSET_INSPECTOR, **extra["ASSET_INSPECTOR"]}
    with layout.settings(dirs=list(dirs), finders=[FS], **extra):
        response = client.get(reverse("inspector:path", args=[path]))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_every_candidate_in_precedence_order_with_md5_and_verdict(
    viewer_client: Client, layout: Layout
) -> None:
    first, second, third = (layout.folder(n) for n in ("first", "second", "third"))
    layout.write(first, "css/site.css", "body { color: red }")
    layout.write(second, "css/site.css", "body { color: blue }")
    layout.write(third, "css/site.css", "body { color: red }")
    body = detail(viewer_client, layout, "css/site.css", first, second, third)
    body = body.replace("<wbr>", "")  # names may break after / . : (<wbr>)
    assert body.index(str(first)) < body.index(str(second)) < body.index(str(third))
    assert hashlib.md5(b"body { color: red }").hexdigest() in body
    assert hashlib.md5(b"body { color: blue }").hexdigest() in body
    table = body[body.index('class="candidates"') : body.index("</table>")]
    assert table.count(">differs<") == 1 and table.count(">identical<") == 1
    assert "UTC</time>" in table, "modification time"


def test_shows_what_development_serves_collection_takes_and_static_gives(
    viewer_client: Client, layout: Layout
) -> None:
    first = layout.folder("first")
    layout.write(first, "css/site.css", "x")
    body = detail(viewer_client, layout, "css/site.css", first)
    facts = body[body.index('class="facts"') : body.index("</dl>")]
    location = str(first / "css" / "site.css")
    assert facts.count(location) == 2, "served and collected file"
    assert "<code><bdi>/static/css/site.css</bdi></code>" in facts


def test_ignored_path_says_collection_takes_nothing(viewer_client: Client, layout: Layout) -> None:
    first = layout.folder("first")
    layout.write(first, ".env.example", "x")
    body = detail(viewer_client, layout, ".env.example", first)
    assert "nothing: collection ignores this path" in body
    assert "ignored-by-collect" in body


def test_a_manifest_storage_without_an_entry_shows_the_error_static_would_raise(
    viewer_client: Client, layout: Layout
) -> None:
    first = layout.folder("first")
    layout.write(first, "css/site.css", "x")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        body = detail(viewer_client, layout, "css/site.css", first)
    assert "Missing staticfiles manifest entry" in body


def test_differing_text_candidate_gets_a_unified_diff_against_the_winner(
    viewer_client: Client, layout: Layout
) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "css/site.css", "a {}\nbody { color: red }\nz {}\n")
    layout.write(second, "css/site.css", "a {}\nbody { color: blue }\nz {}\n")
    body = detail(viewer_client, layout, "css/site.css", first, second)
    diff = body[body.index('<pre class="diff') : body.index("</pre>")]
    # Both line numbers (drawn by CSS from data-n), and the changed word marked.
    ln = '<span class="ln" aria-hidden="true" data-n="{}"></span>'
    removed = ln.format(2) + ln.format("") + "-body { color: <mark>blue</mark> }\n"
    added = ln.format("") + ln.format(2) + "+body { color: <mark>red</mark> }\n"
    assert f'<span class="diff-removed">{removed}</span>' in diff
    assert f'<span class="diff-added">{added}</span>' in diff
    assert f'<span class="diff-context">{ln.format(1)}{ln.format(1)} a {{}}\n</span>' in diff
    assert '+1</span> <span class="removed">−1</span>' in body


def test_diff_content_is_escaped(viewer_client: Client, layout: Layout) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "x.html", "<script>alert(1)</script>\n")
    layout.write(second, "x.html", "<b>old</b>\n")
    body = detail(viewer_client, layout, "x.html", first, second)
    assert "<script>alert(1)</script>" not in body
    unmarked = body.replace("<mark>", "").replace("</mark>", "")  # changed words are marked
    assert "+&lt;script&gt;alert(1)&lt;/script&gt;" in unmarked


def test_binary_and_oversized_candidates_are_not_diffed_and_say_why(
    viewer_client: Client, layout: Layout
) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "font.woff2", b"\0\1\2")
    layout.write(second, "font.woff2", b"\0\1\3")
    layout.write(first, "big.css", "a" * 2000)
    layout.write(second, "big.css", "b" * 2000)
    body = detail(viewer_client, layout, "font.woff2", first, second)
    assert "No diff: binary content: not diffed." in body
    big = detail(
        viewer_client, layout, "big.css", first, second, ASSET_INSPECTOR={"DIFF_MAX_BYTES": 1000}
    )
    assert "No diff: larger than 1,000 bytes: not diffed." in big


def test_long_diffs_are_cut_short(viewer_client: Client, layout: Layout) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "a.js", "".join(f"new {i}\n" for i in range(100)))
    layout.write(second, "a.js", "".join(f"old {i}\n" for i in range(100)))
    body = detail(
        viewer_client, layout, "a.js", first, second, ASSET_INSPECTOR={"DIFF_MAX_LINES": 20}
    )
    assert body.count('<span class="diff-') == 20
    assert "the diff is cut short" in body and "+100</span>" in body


def test_images_are_previewed_inline(viewer_client: Client, layout: Layout) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "img/dot.png", PNG_1X1)
    layout.write(second, "img/dot.png", PNG_1X1 + b"trailing")
    body = detail(viewer_client, layout, "img/dot.png", first, second)
    assert f'src="data:image/png;base64,{base64.b64encode(PNG_1X1).decode()}"' in body
    assert body.count('<img class="preview"') == 2, "winner and the differing candidate"


def test_large_images_are_not_previewed(viewer_client: Client, layout: Layout) -> None:
    first = layout.folder("first")
    layout.write(first, "img/dot.png", PNG_1X1)
    body = detail(
        viewer_client, layout, "img/dot.png", first, ASSET_INSPECTOR={"PREVIEW_MAX_BYTES": 10}
    )
    assert "larger than 10 bytes: no preview" in body and "data:image" not in body


@pytest.mark.parametrize(
    "path",
    [
        "css/nope.css",
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "/etc/passwd",
        "css/../../first/css/site.css",
        "css/site.css/",
    ],
)
def test_404_for_anything_the_inventory_does_not_list(
    viewer_client: Client, layout: Layout, path: str
) -> None:
    first = layout.folder("first")
    layout.write(first, "css/site.css", "x")
    with layout.settings(dirs=[first], finders=[FS]):
        response = viewer_client.get("/assets/paths/" + path)
    assert response.status_code == 404
    assert b"root:" not in response.content


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_symlink_out_of_the_source_is_followed_as_django_does_and_marked(
    viewer_client: Client, layout: Layout, kind: str
) -> None:
    workspace = layout.folder("workspace")
    layout.write(workspace, "button.css", ".button {}")
    source = layout.folder("source")
    layout.write(source, "css/site.css", "x")
    if kind == "file":
        os.symlink(workspace / "button.css", source / "button.css")
        linked = "button.css"
    else:
        os.symlink(workspace, source / "ds")
        linked = "ds/button.css"
    with layout.settings(dirs=[source], finders=[FS]):
        response = viewer_client.get(reverse("inspector:path", args=[linked]))
        overview = viewer_client.get(reverse("inspector:overview")).content.decode()
        table = viewer_client.get(reverse("inspector:paths") + "?q=button").content.decode()
    body = response.content.decode()
    assert response.status_code == 200
    assert "via symlink" in table
    assert f"symlink to <code><bdi>{workspace / 'button.css'}</bdi></code>" in body
    assert hashlib.md5(b".button {}").hexdigest() in body
    assert "outside the source folder" not in overview, "not a source problem any more"


def test_a_folder_listed_twice_says_why_its_first_prefix_is_never_collected(
    viewer_client: Client, layout: Layout
) -> None:
    shared = layout.folder("static")
    layout.write(shared, "css/site.css", "x")
    with layout.settings(dirs=[str(shared), ("legacy", str(shared))], finders=[FS]):
        body = viewer_client.get(reverse("inspector:path", args=["css/site.css"])).content.decode()
        overview = viewer_client.get(reverse("inspector:overview")).content.decode()
    why = "is in STATICFILES_DIRS more than once: collectstatic lists it only under the prefix"
    assert "ignored-by-collect" in body and why in body
    assert why in overview, "the sources list says it too"


def test_a_symlink_inside_the_source_is_followed(viewer_client: Client, layout: Layout) -> None:
    source = layout.folder("source")
    layout.write(source, "css/real.css", "x")
    os.symlink(source / "css" / "real.css", source / "css" / "alias.css")
    body = detail(viewer_client, layout, "css/alias.css", source)
    assert hashlib.md5(b"x").hexdigest() in body


def test_reaches_a_name_with_a_newline(viewer_client: Client, layout: Layout) -> None:
    first = layout.folder("first")
    layout.write(first, "odd\nname <b>.css", "x")
    with layout.settings(dirs=[first], finders=[FS]):
        table = viewer_client.get(reverse("inspector:paths")).content.decode()
        link = reverse("inspector:path", args=["odd\nname <b>.css"])
        assert f'href="{link}"' in table
        response = viewer_client.get(link)
    assert response.status_code == 200
    # The line break is shown, not broken: ‹U+000A›.
    assert "odd‹U+000A›name &lt;b&gt;.css" in response.content.decode()


def test_a_long_diff_shows_its_first_hunk_and_folds_the_rest(
    viewer_client: Client, layout: Layout
) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    lines = [f"rule{i} {{ a }}\n" for i in range(60)]
    changed = [*lines]
    changed[2], changed[30], changed[55] = "rule2 { x }\n", "rule30 { y }\n", "rule55 { z }\n"
    layout.write(first, "css/site.css", "".join(changed))
    layout.write(second, "css/site.css", "".join(lines))
    body = detail(viewer_client, layout, "css/site.css", first, second)
    shown, folded = body.split('<details class="diff-more">', 1)
    assert "rule2 { <mark>x</mark> }" in shown
    assert "rule30" not in shown and "rule55" not in shown
    assert "<summary>2 more hunks</summary>" in folded
    assert "rule30 { <mark>y</mark> }" in folded and "rule55 { <mark>z</mark> }" in folded
    assert 'data-n="31"' in folded, "numbered as in the files"
