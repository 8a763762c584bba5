"""A finished run lists what a CDN must drop: the unhashed names it really changed, copyable, with
the CloudFront command lines, in its page and its JSON export; the preview counts them first.

Runs go through the immediate task backend (inside the request), collecting for real.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from inspector.collection.plan import plan_collection
from inspector.core.layers import current_layers
from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout, age, collected_app
from tests.support.own_files import OWN_COUNT
from tests.support.releases import Releases, two_releases

pytestmark = pytest.mark.django_db(transaction=True)

WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
SCRIPT = "".join(f"export const value{i} = {i} * 2; // a line of the script\n" for i in range(80))
FILES: dict[str, str] = {
    "js/app.js": SCRIPT,
    "js/same.js": SCRIPT.replace("value", "same"),
    "js/gone.js": SCRIPT.replace("value", "gone"),
    "css/site.css": 'body { background: url("../img/dot.svg"); }\n',
    "img/dot.svg": "<svg/>\n",
    "odd/it's <b>.txt": "plain text\n",
}
HASHED = re.compile(r"\.[0-9a-f]{12}\.")


@pytest.fixture
def runner_client(client: Client, runner: AbstractUser) -> Client:
    client.force_login(runner)
    return client


def stored(root: Path) -> dict[str, bytes]:
    files = (p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def textarea(page: str, element_id: str) -> list[str]:
    found = re.search(rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None, element_id
    return unescape(found.group(1)).splitlines()


def run_collection(client: Client, **data: str) -> CollectionRun:
    response = client.post(reverse("inspector:collect"), data)
    assert response.status_code == 302
    run = CollectionRun.objects.get()
    assert run.phase == Phase.DONE, run.error
    return run


@pytest.fixture
def whitenoise_project(layout: Layout) -> Iterator[tuple[Layout, Path]]:
    with collected_app(layout, "cdnrun", FILES, WHITENOISE) as static:
        layout.write(static, "js/app.js", SCRIPT.replace("* 2", "* 5"))
        layout.write(static, "js/new.js", SCRIPT.replace("value", "fresh"))
        (static / "odd/it's <b>.txt").write_text("other text\n")
        age(static, seconds=30)
        yield layout, static


def test_the_run_lists_exactly_the_unhashed_names_it_changed(
    whitenoise_project: tuple[Layout, Path], runner_client: Client
) -> None:
    layout, _ = whitenoise_project
    root = layout.root / "collected"
    promised = plan_collection(current_layers()).invalidation
    preview = runner_client.get(reverse("inspector:collect")).content.decode()
    count = len(promised.names)
    assert f"<strong>{count}</strong> URLs to invalidate at a CDN afterwards" in preview

    before = stored(root)
    run = run_collection(runner_client)
    after = stored(root)
    changed = {n for n, data in after.items() if before.get(n) != data and not HASHED.search(n)}
    assert set(run.replaced) == changed
    assert {"js/app.js", "js/app.js.gz", "js/new.js", "js/new.js.gz", "staticfiles.json"} <= changed
    assert "odd/it's <b>.txt" in changed and "js/same.js" not in changed
    assert run.replaced == sorted(run.replaced) and tuple(run.replaced) == promised.names

    page = runner_client.get(reverse("inspector:run", args=[run.pk])).content.decode()
    paths = textarea(page, "invalidation-paths")
    assert paths == ["/static/" + quote(name, safe="/~!*()'") for name in sorted(changed)]
    assert "/static/odd/it's%20%3Cb%3E.txt" in paths and "/static/js/app.js.gz" in paths
    assert "<b>" not in page  # the name is quoted in the URL and escaped in the page
    (command,) = textarea(page, "invalidation-cloudfront")
    assert command.startswith(
        'aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION_ID" --paths '
    )
    assert "'/static/odd/it'\"'\"'s%20%3Cb%3E.txt'" in command  # one shell word, quoted
    assert f"{count}</strong> URL" in page

    exported = runner_client.get(reverse("inspector:run", args=[run.pk]), {"_export": "json"})
    assert exported["Content-Type"] == "application/json"
    assert "attachment" in exported["Content-Disposition"]
    body = json.loads(exported.content)
    assert body["invalidation_paths"] == paths
    assert body["cloudfront_commands"] == [command]
    assert body["replaced"] == run.replaced and body["phase"] == "done"
    refused = runner_client.get(reverse("inspector:run", args=[run.pk]), {"_export": "csv"})
    assert refused.status_code == 400


def test_a_run_that_changes_nothing_leaves_nothing_to_invalidate(
    layout: Layout, runner_client: Client
) -> None:
    with collected_app(layout, "cdnsame", FILES, WHITENOISE):
        run = run_collection(runner_client)
        page = runner_client.get(reverse("inspector:run", args=[run.pk])).content.decode()
    assert run.replaced == []
    assert "a CDN has nothing to drop" in page
    assert 'id="invalidation-paths"' not in page


def test_a_cleared_run_lists_changed_and_removed_names_not_unchanged_ones(
    layout: Layout, runner_client: Client
) -> None:
    with collected_app(layout, "cdnclear", FILES, PLAIN) as static:
        layout.write(static, "js/app.js", "console.log('edited');\n")
        (static / "js/gone.js").unlink()
        age(static, seconds=30)
        promised = plan_collection(current_layers(), clear=True).invalidation
        location = str(layout.root / "collected")
        run = run_collection(runner_client, clear="on", confirm=location)
    # Every file was copied again, but only two URLs serve other bytes (or nothing) now.
    assert run.copied == len(FILES) - 1 + OWN_COUNT  # the inspector's own files are collected too
    assert run.replaced == ["js/app.js", "js/gone.js"]
    assert promised.names == ("js/app.js", "js/gone.js")


def test_a_release_storage_run_lists_its_release_manifest(
    layout: Layout, runner_client: Client
) -> None:
    with two_releases(layout, "option") as releases:
        assert isinstance(releases, Releases)
        layout.write(releases.static, "js/app.js", "console.log('third');\n")
        age(releases.static, seconds=30)
        run = run_collection(runner_client)
    assert run.replaced == sorted(["js/app.js", f"{releases.second}/staticfiles.json"])
