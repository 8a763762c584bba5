"""The background task: Django's tasks framework (``django.tasks`` on Django 6, the
``django-tasks`` backport on 5.2), with whatever backend the project configures."""

from __future__ import annotations

from dataclasses import asdict

try:
    from django.tasks import TaskResultStatus, task
except ImportError:  # Django 5.2: the backport has the same API
    from django_tasks import TaskResultStatus, task  # type: ignore[no-redef,assignment]

from .worker import execute_run

__all__ = ["TaskResultStatus", "collect_static"]


@task()
def collect_static(run_id: int) -> dict[str, int | None]:
    """Run the recorded collection ``run_id`` and return its counts."""
    return asdict(execute_run(run_id))
