"""The background task: Django's tasks framework (``django.tasks`` on Django 6, the
``django-tasks`` backport on 5.2), with whatever backend the project configures."""

from __future__ import annotations

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the backport has the same API
    from django_tasks import task  # type: ignore[no-redef]

from .worker import execute_run


@task()
def collect_static(run_id: int) -> dict[str, int]:
    """Run the recorded collection ``run_id`` and return its counts."""
    return execute_run(run_id)
