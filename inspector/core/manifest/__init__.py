"""The manifest layer: what a manifest storage's ``staticfiles.json`` says per path, checked
against the storage's files and against what collectstatic would write now.

``naming`` knows how the storage names files, ``expected`` what it would name them today,
``reading`` how the manifest is read and parsed, ``verdicts`` decides each path's status,
``variants`` finds old hashed versions and compressed copies, and ``report`` puts them together.
"""

from .report import ManifestEntry, ManifestReport, build_manifest_report
from .verdicts import Finding

__all__ = ["Finding", "ManifestEntry", "ManifestReport", "build_manifest_report"]
