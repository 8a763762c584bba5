#!/usr/bin/env python
"""Command-line entry point for the asset inspector demo project."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run a management command with the demo settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
