"""Cancelling a run needs both permissions, and the history says who cancelled (item 12)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser, Permission
from django.test import Client
from django.urls import reverse

from inspector.models import CollectionRun, Phase

pytestmark = pytest.mark.django_db


def test_a_user_who_may_run_but_not_view_cannot_cancel(
    client: Client, django_user_model: type[AbstractUser]
) -> None:
    user = django_user_model.objects.create_user("blind", password="x", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="run_collection", content_type__app_label="inspector")
    )
    client.force_login(user)
    queued = CollectionRun.objects.create()
    assert client.post(reverse("inspector:run-cancel", args=[queued.pk])).status_code == 403
    queued.refresh_from_db()
    assert queued.phase == Phase.QUEUED and queued.active


def test_the_history_says_who_cancelled(client: Client, runner: AbstractUser) -> None:
    client.force_login(runner)
    queued = CollectionRun.objects.create(requested_by_name="someone-else")
    client.post(reverse("inspector:run-cancel", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.phase == Phase.FAILED
    assert (queued.cancelled_by, queued.cancelled_by_name) == (runner, "runner")
    run_page = client.get(reverse("inspector:run", args=[queued.pk])).content.decode()
    assert "<dt>Cancelled</dt>" in run_page and "by runner</dd>" in run_page
    history = client.get(reverse("inspector:runs")).content.decode()
    assert "cancelled by runner before a worker started it" in history
    runner.delete()
    queued.refresh_from_db()
    assert queued.cancelled_by is None and queued.cancelled_by_name == "runner"
