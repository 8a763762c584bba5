"""What the layers keep of answers derived from them: per object, bounded, oldest out first."""

from __future__ import annotations

import pytest

from inspector.core.layers import DERIVED_KEPT, current_layers
from tests.support.layout import Layout

FS = "django.contrib.staticfiles.finders.FileSystemFinder"


@pytest.mark.django_db
def test_derived_answers_are_kept_per_layers_and_bounded(layout: Layout) -> None:
    folder = layout.folder("project")
    layout.write(folder, "css/site.css", "body {}")
    computed: list[int] = []

    def compute(value: int) -> int:
        computed.append(value)
        return value

    with layout.settings(dirs=[folder], finders=[FS]):
        layers = current_layers()
        assert layers.derive("a", lambda: compute(1)) == 1
        assert layers.derive("a", lambda: compute(2)) == 1, "kept: not computed again"
        for key in range(DERIVED_KEPT):
            layers.derive(key, lambda: compute(0))
        assert layers.derive("a", lambda: compute(3)) == 3, "the oldest went first"
        layout.write(folder, "css/site.css", "body { color: red }")
        changed = current_layers()
        assert changed is not layers
        assert changed.derive("a", lambda: compute(4)) == 4, "new layers keep nothing old"
    assert computed.count(0) == DERIVED_KEPT
