"""The paths table's filters: one GET form, so every filtered view is a shareable URL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from ..core.layers import Layers
from ..core.manifest.releases import Release
from ..core.records import PathRecord
from ..core.references.model import Reference, ReferenceScan
from ..core.references.selection import NO_PROBLEM, PROJECT, ReferenceFilter
from ..core.selection import PathFilter
from ..core.status import (
    Flag,
    LiveStatus,
    ManifestStatus,
    ReferenceKind,
    ReferenceProblem,
    Severity,
    SourceStatus,
)
from ..models import CollectionRun, Phase

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _choices(enum: Iterable[str]) -> list[tuple[str, str]]:
    return [(str(word), str(word)) for word in enum]


_ACCEPTED = [("yes", _("accepted")), ("no", _("not accepted"))]
_REFERENCED = [("yes", _("referenced")), ("no", _("not referenced"))]


class PathFilterForm(forms.Form):
    """design.md's query parameters (``status``, ``flag``, ``live``, ``manifest``, ``source``,
    ``q``) plus ``severity``, ``accepted`` and ``ext``; repeated parameters mean "any of".

    Each choice shows how many rows it would select given the other criteria (``select()``).
    """

    q = forms.CharField(required=False, max_length=500, label=_("Search paths"))
    severity = forms.MultipleChoiceField(
        required=False, choices=_choices(Severity), widget=forms.CheckboxSelectMultiple
    )
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
    accepted = forms.MultipleChoiceField(
        required=False, choices=_ACCEPTED, widget=forms.CheckboxSelectMultiple, label=_("Accepted")
    )
    referenced = forms.MultipleChoiceField(
        required=False, choices=_REFERENCED, widget=forms.CheckboxSelectMultiple
    )
    source = forms.ChoiceField(required=False, label=_("Source"))
    ext = forms.ChoiceField(required=False, label=_("Extension"))

    FACET_FIELDS = ("severity", "status", "flag", "live", "manifest", "accepted", "referenced")
    facet_groups: list[FacetGroup]

    def __init__(
        self, data: Any, *, layers: Layers, referenced: frozenset[str] | None = None
    ) -> None:
        super().__init__(data)
        # The paths some scanned reference names (the ``referenced`` facet); None: not scanned.
        self.referenced_paths = referenced
        source_field = self.fields["source"]
        assert isinstance(source_field, forms.ChoiceField)
        source_field.choices = [("", gettext("any source"))] + [
            (s.source.label, s.source.label) for s in layers.inventory.sources
        ]
        ext_field = self.fields["ext"]
        assert isinstance(ext_field, forms.ChoiceField)
        ext_field.choices = [("", gettext("any extension"))] + [(e, e) for e in layers.extensions]

    def path_filter(self) -> PathFilter:
        """Return the filter of every criterion that validated: a bad one is reported (the
        form's errors) and left out, never fatal."""
        self.is_valid()
        data = self.cleaned_data
        return PathFilter(
            facets={name: frozenset(data.get(name) or ()) for name in self.FACET_FIELDS},
            words=tuple((data.get("q") or "").casefold().split()),
            source=data.get("source") or "",
            extension=data.get("ext") or "",
            referenced=self.referenced_paths,
        )

    def export_words(self) -> list[str]:
        """Return the valid criteria in words for an export's file name."""
        return filter_words(self, (*self.FACET_FIELDS, "source", "ext", "q"))

    def select(self, layers: Layers) -> Sequence[PathRecord]:
        """Return the rows every valid criterion matches; ``facet_groups`` then has counts."""
        selection = self.path_filter().select(layers.records, layers)
        chosen = self.cleaned_data
        shown = [
            name
            for name in self.FACET_FIELDS
            if (name != "live" or (layers.live is not None and layers.live.checked))
            and (name != "manifest" or layers.manifest.applicable)
            and (name != "referenced" or self.referenced_paths is not None)
        ]
        self.facet_groups = facet_groups(shown, _DECLARED, selection.facet_counts, chosen)
        return selection.records


@dataclass(frozen=True, slots=True)
class FacetChoice:
    """One checkbox of a facet: its value, label, how many rows it selects, whether it is on."""

    value: str
    label: str
    count: int
    checked: bool
    # The id of the count's element, which an htmx swap updates in place (focus stays put).
    dom_id: str


@dataclass(frozen=True, slots=True)
class FacetGroup:
    name: str
    legend: str
    choices: tuple[FacetChoice, ...]


_LEGENDS: dict[str, StrOrPromise] = {
    "severity": _("Severity"),
    "status": _("Status"),
    "flag": _("Flags"),
    "live": _("Live"),
    "manifest": _("Manifest"),
    "accepted": _("Accepted"),
    "referenced": _("Referenced"),
    "kind": _("Kind"),
    "problem": _("Problem"),
    "app": _("Written in"),
}
_DECLARED: dict[str, Sequence[tuple[str, StrOrPromise]]] = {
    "severity": _choices(Severity),
    "status": _choices(SourceStatus),
    "flag": _choices(Flag),
    "live": _choices(LiveStatus),
    "manifest": _choices(ManifestStatus),
    "accepted": _ACCEPTED,
    "referenced": _REFERENCED,
}


def facet_groups(
    names: Iterable[str],
    declared: Mapping[str, Sequence[tuple[str, StrOrPromise]]],
    counts: dict[str, Counter[str]],
    chosen: dict[str, Any],
) -> list[FacetGroup]:
    """Return the checkbox groups of the facets ``names``: each declared choice with how many
    rows it would select and whether it is checked."""
    return [
        FacetGroup(
            name,
            str(_LEGENDS[name]),
            tuple(
                FacetChoice(
                    value,
                    str(label),
                    counts[name][value],
                    value in (chosen.get(name) or ()),
                    f"count-{name}-{slugify(value) or 'none'}",
                )
                for value, label in declared[name]
            ),
        )
        for name in names
    ]


def filter_words(form: forms.Form, names: Iterable[str]) -> list[str]:
    """Return what the valid criteria ``names`` of ``form`` select, in words (a choice by its
    label, any other value as it is): what an export's file name says was filtered."""
    form.is_valid()
    words: list[str] = []
    for name in names:
        value = form.cleaned_data.get(name)
        if isinstance(value, list):
            labels = dict(_field_choices(form, name))
            words += [str(labels.get(v, v)) for v in value]
        elif value:
            words.append(str(value))
    return words


def _field_choices(form: forms.Form, name: str) -> list[tuple[Any, Any]]:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return list(cast(Iterable[tuple[Any, Any]], field.choices))


class ReferenceFilterForm(forms.Form):
    """The references page's filters (GET): kind, problem, severity, the app the file is in,
    and words the reference, its path or its file must contain."""

    q = forms.CharField(required=False, max_length=500, label=_("Search references"))
    severity = forms.MultipleChoiceField(
        required=False, choices=_choices(Severity), widget=forms.CheckboxSelectMultiple
    )
    problem = forms.MultipleChoiceField(
        required=False,
        choices=[*_choices(ReferenceProblem), (NO_PROBLEM, _("no problem"))],
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.MultipleChoiceField(
        required=False, choices=_choices(ReferenceKind), widget=forms.CheckboxSelectMultiple
    )
    app = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    FACET_FIELDS = ("severity", "problem", "kind", "app")
    facet_groups: list[FacetGroup]

    def __init__(self, data: Any, *, scan: ReferenceScan) -> None:
        super().__init__(data)
        apps = sorted({ref.origin.app or PROJECT for ref in scan.references})
        app_field = self.fields["app"]
        assert isinstance(app_field, forms.MultipleChoiceField)
        app_field.choices = [(app, app) for app in apps]

    def export_words(self) -> list[str]:
        """Return the valid criteria in words for an export's file name."""
        return filter_words(self, (*self.FACET_FIELDS, "q"))

    def select(self, scan: ReferenceScan) -> list[Reference]:
        """Return the references every valid criterion matches (a bad criterion is reported in
        the form's errors and left out); ``facet_groups`` then has the counts."""
        self.is_valid()
        data = self.cleaned_data
        facets = {name: frozenset(data.get(name) or ()) for name in self.FACET_FIELDS}
        words = tuple((data.get("q") or "").casefold().split())
        refs, counts = ReferenceFilter(facets, words=words).select(scan.references)
        declared = {
            name: [(str(v), str(label)) for v, label in _field_choices(self, name)]
            for name in self.FACET_FIELDS
        }
        self.facet_groups = facet_groups(self.FACET_FIELDS, declared, counts, data)
        return refs


class CollectForm(forms.Form):
    """Start a collection: ``clear`` must be confirmed by typing where the files live."""

    clear = forms.BooleanField(
        required=False,
        label=_("Clear the storage first"),
        help_text=_("Deletes every collected file, including old hashed versions, before copying."),
    )
    confirm = forms.CharField(required=False, label=_("Type the storage's location to confirm"))

    def __init__(self, *args: Any, location: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.location = location

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("clear") and not self.location:
            self.add_error(
                "clear", gettext("The collected storage could not be identified: nothing to clear.")
            )
        elif cleaned.get("clear") and cleaned.get("confirm", "").strip() != self.location:
            self.add_error(
                "confirm",
                gettext(
                    "Clearing deletes every collected file: type %(location)s exactly to confirm."
                )
                % {"location": self.location},
            )
        return cleaned


class RunFilterForm(forms.Form):
    """The history's filters (GET): by phase and by who asked."""

    phase = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=_("Phase")
    )
    user = forms.CharField(required=False, label=_("Requested by"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        phase = self.fields["phase"]
        assert isinstance(phase, forms.MultipleChoiceField)
        # The words the rest of the pages use ("post-processing"), not the enum's labels.
        phase.choices = [(value, value) for value in Phase.values]

    def export_words(self) -> list[str]:
        """Return the valid criteria in words for an export's file name."""
        return filter_words(self, ("phase", "user"))

    def filter(self, runs: QuerySet[CollectionRun]) -> QuerySet[CollectionRun]:
        if not self.is_valid():
            return runs.none()
        if phases := self.cleaned_data["phase"]:
            runs = runs.filter(phase__in=phases)
        if user := self.cleaned_data["user"].strip():
            runs = runs.filter(requested_by_name__icontains=user)
        return runs


class ReleaseCompareForm(forms.Form):
    """Two releases to compare (``?a=…&b=…``): from ``a`` to ``b``."""

    a = forms.ChoiceField(label=_("From release"))
    b = forms.ChoiceField(label=_("To release"))

    def __init__(self, data: Any, *, releases: Sequence[Release]) -> None:
        super().__init__(data)
        configured = pgettext("release", "%(id)s (configured)")
        choices = [(r.id, configured % {"id": r.id} if r.configured else r.id) for r in releases]
        for name in ("a", "b"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices
