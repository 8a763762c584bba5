"""System checks (``manage.py check``): the app's setup, and with ``--deploy`` what would break.

The setup checks read settings only, so every ``manage.py`` command (``runserver`` included)
stays as fast to start as before. The checks that walk the static files run only with
``--deploy``; they use the same layers and the same severity rule as the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks

from .conf import DEFAULTS, config_problems, user_config
from .core.references.model import Reference, ReferenceScan
from .core.severity import InvalidRule, judge_release, parse_rules
from .core.status import ReferenceKind, ReferenceProblem, Severity, SourceStatus

# A deploy check lists this many paths in its message; the dashboard and the CLI list all.
PATHS_NAMED = 10


@checks.register()
def check_htmx_installed(**kwargs: Any) -> list[checks.CheckMessage]:
    if apps.is_installed("js_lib_htmx"):
        return []
    return [
        checks.Warning(
            "The asset inspector's pages load htmx from the 'js_lib_htmx' app, which is not in "
            "INSTALLED_APPS: filters and sorting will reload the whole page.",
            hint="pip install django-js-lib-htmx and add 'js_lib_htmx' to INSTALLED_APPS.",
            id="inspector.W001",
        )
    ]


@checks.register()
def check_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    """Check ``ASSET_INSPECTOR``: keys, types, the cache and task aliases, the ACCEPT rules."""
    messages: list[checks.CheckMessage] = [
        checks.Error(problem, id="inspector.E002") for problem in config_problems()
    ]
    user = user_config()
    alias = user.get("CACHE", DEFAULTS["CACHE"])
    if isinstance(alias, str) and alias not in settings.CACHES:
        messages.append(
            checks.Error(
                f"ASSET_INSPECTOR['CACHE'] names the cache {alias!r}, which CACHES does not "
                "define.",
                hint=f"Use one of {', '.join(sorted(settings.CACHES))}, or None.",
                id="inspector.E003",
            )
        )
    backend = user.get("TASK_BACKEND", DEFAULTS["TASK_BACKEND"])
    tasks = getattr(settings, "TASKS", None) or {"default": {}}
    if isinstance(backend, str) and backend not in tasks:
        messages.append(
            checks.Error(
                f"ASSET_INSPECTOR['TASK_BACKEND'] names the task backend {backend!r}, which "
                "TASKS does not define: collections from the dashboard could not be enqueued.",
                hint=f"Use one of {', '.join(sorted(tasks))}.",
                id="inspector.E004",
            )
        )
    try:
        parse_rules(user.get("ACCEPT", []))
    except InvalidRule as exc:
        messages.append(checks.Error(f"ASSET_INSPECTOR: {exc}.", id="inspector.E005"))
    return messages


@checks.register()
def check_heartbeat(**kwargs: Any) -> list[checks.CheckMessage]:
    user = user_config()
    beat = user.get("HEARTBEAT_SECONDS", DEFAULTS["HEARTBEAT_SECONDS"])
    timeout = user.get("HEARTBEAT_TIMEOUT", DEFAULTS["HEARTBEAT_TIMEOUT"])
    if not isinstance(beat, int | float) or not isinstance(timeout, int | float):
        return []  # inspector.E002 says so
    if timeout > 2 * beat > 0:
        return []
    return [
        checks.Error(
            f"ASSET_INSPECTOR['HEARTBEAT_TIMEOUT'] ({timeout:g} s) must be more than twice "
            f"HEARTBEAT_SECONDS ({beat:g} s), which must be positive: live collection runs "
            "would be failed as dead.",
            id="inspector.E001",
        )
    ]


@checks.register(checks.Tags.staticfiles, deploy=True)
def check_deploy(**kwargs: Any) -> list[checks.CheckMessage]:
    """With ``--deploy``: what would break production or hides a file, and stale acceptances."""
    if check_settings():
        return []  # the settings checks above say what is wrong
    from .core.layers import current_layers
    from .core.references.current import current_references

    try:
        layers = current_layers()
        judgements = [(r, layers.judgement(r.path)) for r in layers.records]
        scan = current_references(layers)
    except Exception as exc:  # a check reports, it never crashes the command
        return [
            checks.Error(
                f"The asset inspector could not check the static files: {exc}", id="inspector.E010"
            )
        ]
    no_entry = [
        record.path
        for record, judgement in judgements
        if judgement.accepted is None
        and record.collect_winner is not None
        and layers.manifest.entry(record.path, url=False).raises
    ]
    # A missing entry is a 500 where {% static %} (or form media) names the path, so the
    # error is raised for the referenced paths; the others are a warning (W013).
    rendered = _rendered_references(scan)
    would_500 = [path for path in no_entry if path in rendered]
    breaks = [
        (record.path, judgement.headline.why if judgement.headline else "")
        for record, judgement in judgements
        if judgement.accepted is None
        and judgement.severity == Severity.ERROR
        and record.path not in no_entry
    ]
    conflicts = [
        record.path
        for record, judgement in judgements
        if judgement.accepted is None and record.status == SourceStatus.CONFLICT
    ]
    # A stylesheet collectstatic fails on is E012 already: its references are not repeated.
    broken = {path for path, _why in breaks}
    reported_files = {
        candidate.location
        for record, _judgement in judgements
        if record.path in broken
        for candidate in (record.winner, record.collect_winner)
        if candidate is not None
    }
    messages: list[checks.CheckMessage] = [
        checks.Error(
            f"{path!r} has no manifest entry: {{% static %}} raises with DEBUG=False, an HTTP "
            f"500 where it is used: {_places(rendered[path])}.",
            hint="Run collectstatic (or the dashboard's Collect).",
            obj=path,
            id="inspector.E011",
        )
        for path in would_500
    ]
    unused = [path for path in no_entry if path not in rendered]
    if unused:
        dynamic = scan.counts[ReferenceKind.STATIC_DYNAMIC]
        messages.append(
            checks.Warning(
                f"{len(unused)} static path(s) have no manifest entry, but no scanned template "
                f"or form media names them: {_named(unused)}.",
                hint=(
                    f"{dynamic} {{% static %}} tag(s) with a computed name may still use them: "
                    "collect again to be sure."
                    if dynamic
                    else "Collect again, or accept them with ASSET_INSPECTOR['ACCEPT']."
                ),
                id="inspector.W013",
            )
        )
    messages += [
        checks.Error(
            f"{ref.origin.file}:{ref.origin.line}: {ref.kind} {ref.reference!r}: {ref.problem}: "
            f"{ref.why}.",
            obj=ref.path or ref.reference,
            id="inspector.E013",
        )
        for ref in scan.with_problems
        # Missing entries are E011 and W013 (where no ACCEPT rule accepts the path).
        if ref.severity == Severity.ERROR
        and ref.problem != ReferenceProblem.MISSING_ENTRY
        and ref.origin.file not in reported_files
    ]
    messages += [
        checks.Error(f"{path!r}: {why}.", obj=path, id="inspector.E012") for path, why in breaks
    ]
    if conflicts:
        messages.append(
            checks.Warning(
                f"{len(conflicts)} static path(s) are conflicts (a source hides a different "
                f"file): {_named(conflicts)}.",
                hint="Make the right source win, or accept an intended override with "
                "ASSET_INSPECTOR['ACCEPT'] and a reason.",
                id="inspector.W010",
            )
        )
    messages += [
        checks.Warning(
            f"ASSET_INSPECTOR['ACCEPT'] {rule.describe()} matches no static path: a stale "
            f"acceptance ({rule.reason}).",
            hint="Remove the rule, or fix its path or words.",
            id="inspector.W011",
        )
        for rule in layers.stale_rules
    ]
    messages += [
        checks.Error(
            f"Release {release.id!r} of the staticfiles storage: {release.note}.",
            hint="Collect that release again before anyone rolls back to it, or drop its folder.",
            obj=release.id,
            id="inspector.E014",
        )
        for release in layers.manifest.releases
        if judge_release(release).severity == Severity.ERROR
    ]
    live = layers.live
    if (
        live is not None
        and not live.checked
        and any(r.collect_winner is not None for r, _ in judgements)
    ):
        why = live.problems[0] if live.problems else "nothing listed"
        messages.append(
            checks.Warning(
                f"The collected storage could not be checked: {why}.",
                id="inspector.W012",
            )
        )
    return messages


def _rendered_references(scan: ReferenceScan) -> dict[str, list[Reference]]:
    """Return, by static path, the references resolved through the storage's url() when a page
    renders: literal {% static %} tags and form media."""
    found: dict[str, list[Reference]] = {}
    for ref in scan.references:
        if ref.path is not None and ref.kind in (
            ReferenceKind.STATIC_TAG,
            ReferenceKind.FORM_MEDIA,
        ):
            found.setdefault(ref.path, []).append(ref)
    return found


def _places(refs: Sequence[Reference]) -> str:
    shown = ", ".join(f"{r.origin.file}:{r.origin.line}" for r in refs[:3])
    return shown + (f" and {len(refs) - 3} more" if len(refs) > 3 else "")


def _named(paths: Sequence[str]) -> str:
    shown = ", ".join(repr(p) for p in paths[:PATHS_NAMED])
    return shown + (f" and {len(paths) - PATHS_NAMED} more" if len(paths) > PATHS_NAMED else "")
