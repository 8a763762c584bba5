"""The fixtures every test session shares: cold caches, a scratch layout, dashboard users.

The app's ``tests/conftest.py`` and the demo's ``demo/tests/conftest.py`` both import them, so a
demo test logs in and builds layouts exactly as an app test does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractUser, Permission
from django.core.cache import caches as django_caches
from django.test import Client

from inspector.core import caches

from .layout import Layout


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Every test starts cold: no process cache, nothing in the shared cache."""
    caches.clear()
    django_caches["inspector"].clear()
    yield
    caches.clear()


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path)


def view_permission() -> Permission:
    return Permission.objects.get(codename="view_assets", content_type__app_label="inspector")


@pytest.fixture
def viewer(django_user_model: type[AbstractUser]) -> AbstractUser:
    """Staff with ``inspector.view_assets``: the least a dashboard user needs."""
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(view_permission())
    return user


@pytest.fixture
def viewer_client(client: Client, viewer: AbstractUser) -> Client:
    client.force_login(viewer)
    return client


@pytest.fixture
def runner(django_user_model: type[AbstractUser]) -> AbstractUser:
    """Staff who may view the inspector and run collections."""
    user = django_user_model.objects.create_user("runner", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="inspector", codename__in=["view_assets", "run_collection"]
        )
    )
    return user
