from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AssetInspector(models.Model):
    """Holds the app's permissions; it has no table and no rows."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_assets", _("Can view the asset inspector")),
            ("run_collection", _("Can run collectstatic from the asset inspector")),
        ]

    def __str__(self) -> str:
        return "asset inspector"


class Phase(models.TextChoices):
    QUEUED = "queued"
    COPYING = "copying"
    POST_PROCESSING = "post-processing"
    DONE = "done"
    FAILED = "failed"


ACTIVE_PHASES = (Phase.QUEUED, Phase.COPYING, Phase.POST_PROCESSING)


class CollectionRunQuerySet(models.QuerySet["CollectionRun"]):
    def finish(self, run_id: int, phase: Phase, *, queued: bool = False, **fields: Any) -> int:
        """End an active run (only a queued one if ``queued``); return 1 if it was active.

        Ending releases the one-run lock (``active``); the database's clock says when.
        """
        runs = self.filter(pk=run_id, phase__in=ACTIVE_PHASES)
        if queued:
            runs = runs.filter(phase=Phase.QUEUED)
        return runs.update(phase=phase, active=None, finished_at=Now(), **fields)


class CollectionRun(models.Model):
    """One ``collectstatic`` run started from the dashboard: what was asked, and how it went."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept apart from the foreign key so the history still says who after the user is deleted.
    requested_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.QUEUED)
    # The run lock: True while the run is queued or running, NULL after. A unique column admits
    # one True and any number of NULLs on every database, so two processes racing to start a
    # run cannot both succeed.
    active = models.BooleanField(null=True, default=True, unique=True, editable=False)
    clear = models.BooleanField(default=False)
    storage = models.CharField(max_length=500, blank=True)
    task_id = models.CharField(max_length=100, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    # What the preview promised when the run was requested (counts by action).
    promised = models.JSONField(default=dict, blank=True)
    files_done = models.PositiveIntegerField(default=0)
    files_total = models.PositiveIntegerField(default=0)
    copied = models.PositiveIntegerField(default=0)
    unmodified = models.PositiveIntegerField(default=0)
    post_processed = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    # Stored names (relative to the storage) whose bytes the run changed under an unhashed name:
    # what a CDN in front of STATIC_URL must invalidate (``core.invalidation``).
    replaced = models.JSONField(default=list, blank=True)
    log_tail = models.TextField(blank=True)
    error = models.TextField(blank=True)
    # Who cancelled a queued run; the name stays after the user is deleted.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_by_name = models.CharField(max_length=150, blank=True)

    objects = CollectionRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"collection #{self.pk} ({self.phase})"

    @property
    def is_active(self) -> bool:
        return self.phase in ACTIVE_PHASES

    @property
    def percent(self) -> int:
        if self.phase == Phase.DONE:
            return 100
        if not self.files_total:
            return 0
        return min(99, self.files_done * 100 // self.files_total)

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at
