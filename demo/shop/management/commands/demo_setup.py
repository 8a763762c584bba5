"""Prepare the demo in one step: database, collected static files and a local superuser."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

USERNAME = "admin"
PASSWORD = "admin"
EMAIL = "admin@example.com"
URL = "http://127.0.0.1:8000/assets/"
PANEL_URL = "http://127.0.0.1:8000/checkout/"
# Left out of the collection on purpose, so the manifest has no entry for it: the toolbar's Assets
# panel shows "would be a 500 with DEBUG=False" on the checkout page. It stands in for the most
# common real cause, a file added after the last collectstatic, without writing into the sources.
NOT_COLLECTED = ["shop/css/new-arrivals.css"]


class Command(BaseCommand):
    """Migrate, collect static files and create or reset the demo superuser (idempotent)."""

    help = "Set up the local demo: migrate, collectstatic, superuser admin/admin."

    def handle(self, *args: Any, **options: Any) -> None:
        """Run every step; safe to repeat."""
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=verbosity)
        # Quiet: the per-file and "Found another file" chatter would bury the summary below.
        # Runs in this short-lived process only, so the reset of the manifest in memory is moot.
        # Django adds the default patterns (CVS, .*, *~) and extends the list it is given: a copy.
        call_command(
            "collectstatic", interactive=False, verbosity=0, ignore_patterns=list(NOT_COLLECTED)
        )

        user_model = get_user_model()
        user, created = user_model._default_manager.get_or_create(
            username=USERNAME, defaults={"email": EMAIL}
        )
        # Reset on every run so a changed password or revoked flag cannot lock the demo out.
        user.email = EMAIL
        user.is_staff = True
        user.is_superuser = True
        user.is_active = True
        user.set_password(PASSWORD)
        user.save()

        action = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(
                "\n"
                "  Asset inspector demo is ready.\n"
                f"  {action} superuser.\n"
                "\n"
                "  Start:     python manage.py runserver\n"
                f"  Open:      {URL}\n"
                f"  Toolbar:   {PANEL_URL}  (Assets panel: each planted finding)\n"
                f"  Log in:    user {USERNAME} / password {PASSWORD}  (local demo only)\n"
            )
        )
