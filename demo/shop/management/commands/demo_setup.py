"""Prepare the demo in one step: database, collected static files (with an older release planted
in them) and a local superuser."""

from __future__ import annotations

import os
import posixpath
import re
from argparse import ArgumentParser
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from demo.storages import current_release
from inspector.conf import get_config

USERNAME = "admin"
PASSWORD = "admin"
EMAIL = "admin@example.com"
# Left out of the collection on purpose, so the manifest has no entry for it: the toolbar's Assets
# panel shows "would be a 500 with DEBUG=False" on the checkout page. It stands in for the most
# common real cause, a file added after the last collectstatic, without writing into the sources.
NOT_COLLECTED = ["shop/css/new-arrivals.css"]
# An older release left behind in the collected storage, for the live layer (sources vs collected):
# after collectstatic, each of these unhashed copies is overwritten with the previous release's
# bytes from demo/releases/previous/<path>. The value is the live status each should then show:
# "modified" (the collected copy differs from the source winner), "orphaned" (no source has it).
# The manifest and the hashed copies stay as collectstatic wrote them.
PREVIOUS_RELEASE = Path(__file__).resolve().parents[3] / "releases" / "previous"
OLDER_RELEASE = {
    "shop/css/shop.css": "modified",
    "shop/js/cart.js": "modified",
    "shop/js/legacy-carousel.js": "orphaned",
}
# On a file system the planted copies get the older release's date, so a later collectstatic (which
# skips a destination at least as new as its source) replaces them, as it would a real old file.
OLDER_RELEASE_MTIME = datetime(2024, 1, 15, 9, 30, tzinfo=UTC).timestamp()
# With the release-specific manifest storage (demo/storages.py) that older release is a release of
# its own: its manifest in its own folder, naming hashed copies of its versions of OLDER_RELEASE.
PREVIOUS_RELEASE_ID = "2026.11.2"
# A release dropped since (its folder deleted): the hashed copies it named stay, reclaimable.
DROPPED_RELEASE = PREVIOUS_RELEASE.parent / "dropped"
DROPPED = ["shop/css/shop.css"]


def plant_older_release(storage: Storage | None = None) -> list[str]:
    """Write the previous release's files into the collected storage; return their names.

    Writes through a fresh instance of the configured staticfiles storage (never through the
    finders, never touching the manifest or the hashed copies), deleting each name first so the
    storage keeps it (``FileSystemStorage`` would otherwise save under a new, suffixed name).
    """
    if storage is None:
        storage = storages.create_storage(settings.STORAGES["staticfiles"])
    for name in OLDER_RELEASE:
        content = (PREVIOUS_RELEASE / name).read_bytes()
        storage.delete(name)
        saved = storage.save(name, ContentFile(content))
        if saved != name:
            raise CommandError(f"the staticfiles storage saved {name} as {saved}")
        if isinstance(storage, FileSystemStorage):
            os.utime(storage.path(name), (OLDER_RELEASE_MTIME, OLDER_RELEASE_MTIME))
    return list(OLDER_RELEASE)


def plant_previous_release(storage: Storage | None = None) -> str | None:
    """Write the previous release as its deploy left it, beside the configured one: the hashed
    copies of its own versions of ``OLDER_RELEASE`` and its manifest in its release folder;
    then the hashed copy a dropped release left. Return its id (None, and nothing written, for
    a storage that keeps a single manifest)."""
    config = settings.STORAGES["staticfiles"]
    if storage is None:
        storage = storages.create_storage(config)
    current = getattr(storage, "release_id", None)
    if current is None or not isinstance(storage, ManifestFilesMixin):
        return None
    if current == PREVIOUS_RELEASE_ID:
        raise CommandError(
            f"DEMO_RELEASE is {current}, the planted previous release's id: choose another"
        )
    options = {**config.get("OPTIONS", {}), "release_id": PREVIOUS_RELEASE_ID}
    previous = storages.create_storage({**config, "OPTIONS": options})
    assert isinstance(previous, ManifestFilesMixin)
    paths = dict(storage.hashed_files)  # the configured release's manifest, as just collected
    for name in OLDER_RELEASE:
        paths[name] = _save_hashed(storage, name, (PREVIOUS_RELEASE / name).read_bytes())
    previous.hashed_files = paths
    previous.save_manifest()
    local = isinstance(storage, FileSystemStorage)
    if local:
        manifest = previous.manifest_storage.path(previous.manifest_name)
        os.utime(manifest, (OLDER_RELEASE_MTIME, OLDER_RELEASE_MTIME))
    else:
        storage.save_manifest()  # an object's date cannot be set: the configured one is rewritten
    for name in DROPPED:
        _save_hashed(storage, name, (DROPPED_RELEASE / name).read_bytes())
    return PREVIOUS_RELEASE_ID


def _save_hashed(storage: Storage, name: str, content: bytes) -> str:
    """Store ``content`` under the hashed name the storage gives it (once); return that name."""
    assert isinstance(storage, ManifestFilesMixin)
    hashed = storage.clean_name(storage.hashed_name(name, ContentFile(content)))
    if not storage.exists(hashed):
        saved = storage.save(hashed, ContentFile(content))
        if saved != hashed:
            raise CommandError(f"the staticfiles storage saved {hashed} as {saved}")
        if isinstance(storage, FileSystemStorage):
            os.utime(storage.path(hashed), (OLDER_RELEASE_MTIME, OLDER_RELEASE_MTIME))
    return hashed


def remove_not_collected(storage: Storage | None = None) -> None:
    """Delete the collected copies (and hashed copies) of ``NOT_COLLECTED`` files, as left by a
    collection run from the dashboard, so they are missing again."""
    if storage is None:
        storage = storages.create_storage(settings.STORAGES["staticfiles"])
    for name in NOT_COLLECTED:
        folder, file_name = posixpath.split(name)
        stem, extension = posixpath.splitext(file_name)
        hashed = re.compile(rf"{re.escape(stem)}\.[0-9a-f]{{12}}{re.escape(extension)}")
        try:
            stored = storage.listdir(folder)[1]
        except (FileNotFoundError, NotADirectoryError):
            continue
        for stored_name in stored:
            if stored_name == file_name or hashed.fullmatch(stored_name):
                storage.delete(posixpath.join(folder, stored_name))


def ensure_superuser() -> bool:
    """Create the demo's superuser unless a user of that name exists; return True if created.

    An existing user is left alone (its password, its flags): resetting the password would end
    every session logged in to the demo.
    """
    user_model = get_user_model()
    if user_model._default_manager.filter(username=USERNAME).exists():
        return False
    user_model._default_manager.create_superuser(USERNAME, EMAIL, PASSWORD)
    return True


def site_url() -> str:
    """Where the demo is served: ``ASSET_INSPECTOR["BASE_URL"]`` (``make demo PORT=...`` sets
    it through ``DEMO_BASE_URL``), without a trailing slash."""
    return str(get_config()["BASE_URL"] or "http://127.0.0.1:8000").rstrip("/")


def runserver_command(base_url: str) -> str:
    """The command that serves the demo at ``base_url``, with the settings in use."""
    parts = urlsplit(base_url)
    host = parts.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    command = f"python manage.py runserver {host}:{parts.port or 80}"
    # From the environment: under override_settings (tests) settings.SETTINGS_MODULE is None.
    module = os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE
    if module not in (None, "config.settings"):
        command += f" --settings={module}"
    return command


class Command(BaseCommand):
    """Migrate, collect static files, plant an older release, create the superuser once.

    Idempotent: each run removes what a full collection adds (the "missing" file), collects
    again (replacing the planted copies on a file system, where they carry an old date) and
    plants the same files again. The superuser is created on the first run only.
    """

    help = (
        "Set up the local demo: migrate, collectstatic, plant an older release in the collected "
        f"storage, create the superuser {USERNAME} (password {PASSWORD}) unless it exists."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--launched",
            action="store_true",
            help="Run by the launcher (make demo), which starts the server itself: name no "
            "command to start it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run every step; safe to repeat."""
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=verbosity)
        remove_not_collected()
        # Quiet: the per-file and "Found another file" chatter would bury the summary below.
        # Runs in this short-lived process only, so the reset of the manifest in memory is moot.
        # Django adds the default patterns (CVS, .*, *~) and extends the list it is given: a copy.
        call_command(
            "collectstatic", interactive=False, verbosity=0, ignore_patterns=list(NOT_COLLECTED)
        )
        planted = plant_older_release()
        previous = plant_previous_release()

        created = ensure_superuser()
        releases = (
            f"    releases:         {current_release()} (configured: DEMO_RELEASE or the default)"
            f" and {previous} (older: its own {', '.join(OLDER_RELEASE)})\n"
            if previous
            else ""
        )
        older = ", ".join(f"{name} ({OLDER_RELEASE[name]})" for name in planted)
        url = site_url()
        start = "" if options["launched"] else f"  Start:     {runserver_command(url)}\n"
        if created:
            login = f"  Log in:    user {USERNAME} / password {PASSWORD}  (local demo only)\n"
        else:  # its password may have changed since: never print one that may be wrong
            login = (
                f"  Log in:    user {USERNAME} (kept as it was; "
                f"python manage.py changepassword {USERNAME} sets a new password)\n"
            )
        self.stdout.write(
            self.style.SUCCESS(
                "\n"
                "  Asset inspector demo is ready.\n"
                + (f"  Created superuser {USERNAME}.\n" if created else "")
                + f"  Collected into {describe(settings.STORAGES['staticfiles'])}, then planted:\n"
                f"    an older release: {older}\n"
                "      (the previous release's files, from demo/releases/previous/)\n"
                f"    never collected:  {', '.join(NOT_COLLECTED)} (missing)\n"
                + releases
                + "\n"
                + start
                + f"  Open:      {url}/assets/\n"
                f"  Toolbar:   {url}/checkout/  (Assets panel: each planted finding)\n" + login
            )
        )


def describe(config: dict[str, Any]) -> str:
    """Name the collected storage for the summary: STATIC_ROOT, or the backend's bucket."""
    options = config.get("OPTIONS", {})
    if options.get("bucket_name"):
        location = options.get("location", "")
        return f"bucket {options['bucket_name']}" + (f" ({location}/)" if location else "")
    return str(settings.STATIC_ROOT)
