"""The hashed names the manifest layer expects: the fast path for plain names gives what
Django's own ``hashed_name`` gives."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.manifest.naming import hashed_name_for
from inspector.core.paths import is_plain_name
from inspector.core.storage.instance import KnownDigest, inspecting_class

# A static path: one or more non-empty segments (a listing never names a folder).
SEGMENTS = st.text(alphabet="ab.-_é '", min_size=1, max_size=8)
NAMES = st.lists(SEGMENTS, min_size=1, max_size=3).map("/".join).filter(is_plain_name)
DIGEST = "0123456789abcdef0123456789abcdef"


@settings(max_examples=400, deadline=None)
@given(name=NAMES)
def test_a_plain_name_is_hashed_as_django_hashes_it(name: str) -> None:
    storage = inspecting_class(ManifestStaticFilesStorage)(location=str(Path("/nonexistent")))
    django_name = storage.clean_name(storage.hashed_name(name, KnownDigest(DIGEST)))
    assert hashed_name_for(storage, name, KnownDigest(DIGEST)) == django_name  # type: ignore[arg-type]
