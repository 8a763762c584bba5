"""The paths table's filters: one GET form, so every filtered view is a shareable URL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet

from ..core.layers import Layers
from ..core.paths import extension_of
from ..core.records import PathRecord
from ..core.selection import PathFilter
from ..core.status import Flag, LiveStatus, ManifestStatus, SourceStatus
from ..models import CollectionRun, Phase


def _choices(enum: Iterable[str]) -> list[tuple[str, str]]:
    return [(str(word), str(word)) for word in enum]


class PathFilterForm(forms.Form):
    """design.md's query parameters (``status``, ``flag``, ``live``, ``manifest``, ``source``,
    ``q``) plus ``ext``; repeated parameters mean "any of"."""

    q = forms.CharField(required=False, max_length=500, label="Search paths")
    status = forms.MultipleChoiceField(
        required=False, choices=_choices(SourceStatus), widget=forms.CheckboxSelectMultiple
    )
    flag = forms.MultipleChoiceField(
        required=False, choices=_choices(Flag), widget=forms.CheckboxSelectMultiple
    )
    live = forms.MultipleChoiceField(
        required=False, choices=_choices(LiveStatus), widget=forms.CheckboxSelectMultiple
    )
    manifest = forms.MultipleChoiceField(
        required=False, choices=_choices(ManifestStatus), widget=forms.CheckboxSelectMultiple
    )
    source = forms.ChoiceField(required=False, label="Source")
    ext = forms.ChoiceField(required=False, label="Extension")

    def __init__(self, data: Any, *, layers: Layers) -> None:
        super().__init__(data)
        inventory = layers.inventory
        counts = layers.counts
        for name, words in (
            ("status", SourceStatus),
            ("flag", Flag),
            ("manifest", ManifestStatus),
            ("live", LiveStatus),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = [(str(w), f"{w} ({counts[w]})") for w in words]
        source_field = self.fields["source"]
        assert isinstance(source_field, forms.ChoiceField)
        source_field.choices = [("", "any source")] + [
            (s.source.label, s.source.label) for s in inventory.sources
        ]
        ext_field = self.fields["ext"]
        assert isinstance(ext_field, forms.ChoiceField)
        ext_field.choices = [("", "any extension")] + [(e, e) for e in layers.extensions]

    def valid_criteria(self) -> dict[str, Any]:
        """Return the criteria that validated: a bad one is reported and left out, not fatal."""
        self.is_valid()
        return self.cleaned_data

    def path_filter(self) -> PathFilter:
        data = self.valid_criteria()
        return PathFilter(
            statuses=frozenset(data.get("status", ())),
            flags=frozenset(data.get("flag", ())),
            live_statuses=frozenset(data.get("live", ())),
            manifest_statuses=frozenset(data.get("manifest", ())),
        )

    def select(self, layers: Layers) -> list[PathRecord]:
        """Return the records every valid criterion matches (invalid ones are ignored)."""
        path_filter = self.path_filter()
        data = self.valid_criteria()
        words = (data.get("q") or "").casefold().split()
        source = data.get("source") or ""
        ext = data.get("ext") or ""
        return [
            record
            for record in path_filter.apply(layers.records, layers)
            if (not source or any(c.source == source for c in record.candidates))
            and (not ext or extension_of(record.path) == ext)
            and all(word in record.path.casefold() for word in words)
        ]


class CollectForm(forms.Form):
    """Start a collection: ``clear`` must be confirmed by typing where the files live."""

    clear = forms.BooleanField(
        required=False,
        label="Clear the storage first",
        help_text="Deletes every collected file, including old hashed versions, before copying.",
    )
    confirm = forms.CharField(required=False, label="Type the storage's location to confirm")

    def __init__(self, *args: Any, location: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.location = location

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("clear") and not self.location:
            self.add_error(
                "clear", "The collected storage could not be identified: nothing to clear."
            )
        elif cleaned.get("clear") and cleaned.get("confirm", "").strip() != self.location:
            self.add_error(
                "confirm",
                f"Clearing deletes every collected file: type {self.location} exactly to confirm.",
            )
        return cleaned


class RunFilterForm(forms.Form):
    """The history's filters (GET): by phase and by who asked."""

    phase = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Phase"
    )
    user = forms.CharField(required=False, label="Requested by")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        phase = self.fields["phase"]
        assert isinstance(phase, forms.MultipleChoiceField)
        phase.choices = Phase.choices

    def filter(self, runs: QuerySet[CollectionRun]) -> QuerySet[CollectionRun]:
        if not self.is_valid():
            return runs.none()
        if phases := self.cleaned_data["phase"]:
            runs = runs.filter(phase__in=phases)
        if user := self.cleaned_data["user"].strip():
            runs = runs.filter(requested_by_name__icontains=user)
        return runs
