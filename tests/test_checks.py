"""``manage.py check``: every inspector check id, each from a project that triggers it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from inspector import checks as inspector_checks
from inspector.core import caches
from tests.support.layout import Layout, age, collected_app

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


def ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [str(message.id) for message in messages]


def settings_ids(**inspector: Any) -> list[str]:
    with override_settings(ASSET_INSPECTOR=inspector):
        return ids(inspector_checks.check_settings())


def test_a_correct_setting_passes() -> None:
    assert settings_ids(CACHE=None, PAGE_SIZE=20, RECHECK_SECONDS=0.5) == []


@pytest.mark.parametrize(
    ("setting", "expected", "words"),
    [
        ({"PAGE_SZIE": 10}, "inspector.E002", "unknown ASSET_INSPECTOR option(s): PAGE_SZIE"),
        ({"PAGE_SIZE": "fifty"}, "inspector.E002", "must be int, not 'fifty'"),
        ({"PAGE_SIZE": True}, "inspector.E002", "must be int, not True"),
        ({"TIMEOUT": -1}, "inspector.E002", "must not be negative"),
        ({"CACHE": "nope"}, "inspector.E003", "names the cache 'nope'"),
        ({"TASK_BACKEND": "elsewhere"}, "inspector.E004", "'elsewhere'"),
        ({"ACCEPT": [{"path": "a/*"}]}, "inspector.E005", "needs a 'reason'"),
        ({"ACCEPT": [{"path": "a/*", "reason": "x", "status": "no"}]}, "inspector.E005", "rule 1"),
    ],
)
def test_a_wrong_setting_is_reported_not_raised(
    setting: dict[str, Any], expected: str, words: str
) -> None:
    with override_settings(ASSET_INSPECTOR=setting):
        messages = inspector_checks.check_settings()
        # The other checks read the same setting: none of them may raise either.
        inspector_checks.check_heartbeat()
        assert inspector_checks.check_deploy() == []
    assert ids(messages) == [expected]
    assert words in messages[0].msg


def test_the_heartbeat_must_outlast_two_beats() -> None:
    with override_settings(ASSET_INSPECTOR={"HEARTBEAT_SECONDS": 5, "HEARTBEAT_TIMEOUT": 9}):
        assert ids(inspector_checks.check_heartbeat()) == ["inspector.E001"]


def test_htmx_missing_is_a_warning() -> None:
    with override_settings(INSTALLED_APPS=["django.contrib.staticfiles", "inspector"]):
        assert ids(inspector_checks.check_htmx_installed()) == ["inspector.W001"]


@pytest.fixture
def theme(layout: Layout) -> Iterator[Layout]:
    """A theme app that overrides another app's file with other bytes, collected; one more
    source file added after the collection (no manifest entry: a 500 with DEBUG=False where a
    template uses it, as the theme's ``page.html`` does)."""
    base, base_static = layout.app("base")
    layout.write(base_static, "admin/base.css", "body { color: black }")
    files = {"admin/base.css": "body { color: hotpink }", "site.css": "a {}"}
    with collected_app(layout, "theme", files, MANIFEST) as static:
        layout.write(static, "late.css", "b {}")
        layout.write(
            static.parent, "templates/page.html", "{% load static %}{% static 'late.css' %}"
        )
        age(static.parent)
        with override_settings(
            INSTALLED_APPS=[*_installed(), base],
        ):
            caches.clear()
            yield layout


def _installed() -> list[str]:
    from django.conf import settings

    return list(settings.INSTALLED_APPS)


def deploy_ids(**inspector: Any) -> list[str]:
    with override_settings(ASSET_INSPECTOR={"CACHE": None, **inspector}):
        caches.clear()
        return ids(inspector_checks.check_deploy())


def test_deploy_names_the_500_and_the_conflict(theme: Layout) -> None:
    with override_settings(ASSET_INSPECTOR={"CACHE": None}):
        caches.clear()
        messages = inspector_checks.check_deploy()
    by_id = {str(m.id): m for m in messages}
    assert set(by_id) == {"inspector.E011", "inspector.W010"}
    assert "'late.css' has no manifest entry" in by_id["inspector.E011"].msg
    assert by_id["inspector.E011"].obj == "late.css"
    assert "page.html:1" in by_id["inspector.E011"].msg  # where the 500 would happen
    assert "'admin/base.css'" in by_id["inspector.W010"].msg


def test_accepted_findings_raise_no_deploy_check_and_unused_rules_are_stale(theme: Layout) -> None:
    accept = [
        {"path": "admin/*", "status": "conflict", "reason": "our theme"},
        {"path": "late.css", "manifest": "missing-entry", "reason": "never used"},
        {"path": "gone/*", "reason": "a folder we deleted"},
    ]
    assert deploy_ids(ACCEPT=accept) == ["inspector.W011"]


def test_a_collectstatic_failure_is_a_deploy_error(layout: Layout) -> None:
    files = {"css/a.css": "a {}"}
    with collected_app(layout, "refs", files, MANIFEST) as static:
        layout.write(static, "css/a.css", 'a { background: url("missing.png") }')
        age(static)
        assert deploy_ids() == ["inspector.E012"]


def test_deploy_checks_only_with_deploy() -> None:
    registered = checks.registry.registry.get_checks(include_deployment_checks=False)
    assert inspector_checks.check_deploy not in registered
    deploy = checks.registry.registry.get_checks(include_deployment_checks=True)
    assert inspector_checks.check_deploy in deploy
