"""The collection pages: the preview and trigger, one run's progress, and the history."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling
from django_htmx.middleware import HtmxDetails

from ..collection.plan import Action, confirmation_text, plan_collection
from ..collection.runs import active_run, cancel_run, reap_dead_runs, start_run
from ..core.invalidation import CLOUDFRONT_MAX_PATHS, Invalidation
from ..models import CollectionRun
from .building import page_layers
from .forms import CollectForm, RunFilterForm
from .http import (
    EXPORT_FORMATS,
    criteria,
    export_name,
    export_query,
    paginate,
    render_page,
    unknown_export_format,
)
from .permissions import (
    RUN_PERMISSION,
    VIEW_PERMISSION,
    not_found,
    refused,
    staff_permission_required,
)
from .tables import CollectionRunTable, RunsExportTable, export_table, run_to_dict

# The preview lists this many paths per action; the counts cover them all.
PLANNED_SHOWN = 100


@staff_permission_required(VIEW_PERMISSION)
def collect(request: HttpRequest) -> HttpResponse:
    """GET: what a collection would do now. POST: start it (``run_collection`` permission)."""
    may_run = request.user.has_perm(RUN_PERMISSION)
    if request.method == "POST" and not may_run:
        return refused(request, [RUN_PERMISSION])
    layers = page_layers(request)
    if isinstance(layers, HttpResponse):
        return layers
    location = confirmation_text(layers)
    data = request.POST if request.method == "POST" else None
    form = CollectForm(data, location=location, initial={"clear": "clear" in request.GET})
    if request.method == "POST" and form.is_valid():
        plan = plan_collection(layers, clear=form.cleaned_data["clear"])
        run, started = start_run(request.user, plan)
        url = reverse("inspector:run", args=[run.pk])
        return redirect(url if started else f"{url}?already=1")
    clear = bool(form.data.get("clear")) if form.is_bound else "clear" in request.GET
    plan = plan_collection(layers, clear=clear)
    return render_page(
        request,
        "inspector/collect.html",
        {
            "plan": plan,
            "form": form,
            "location": location,
            "may_run": may_run,
            "running": active_run(),
            "groups": [
                (action, plan.of(action)[:PLANNED_SHOWN], len(plan.of(action))) for action in Action
            ],
            "deleted_shown": plan.deleted[:PLANNED_SHOWN],
            "orphans_shown": plan.orphans[:PLANNED_SHOWN],
        },
        status=400 if form.is_bound else 200,
    )


@staff_permission_required(VIEW_PERMISSION)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run; htmx polls it for the progress fragment until the run has ended."""
    reap_dead_runs()
    run = CollectionRun.objects.filter(pk=pk).first()
    if run is None:
        return not_found(request, gettext("No collection run has the number %(pk)s.") % {"pk": pk})
    invalidation = Invalidation.of(run.replaced)
    export_format = request.GET.get("_export")
    if export_format is not None:
        if export_format != "json":
            return HttpResponseBadRequest(
                gettext("A run exports as JSON only: ?_export=json."),
                content_type="text/plain; charset=utf-8",
            )
        return run_export(run, invalidation)
    htmx = HtmxDetails(request)
    context = {
        "run": run,
        "already": "already" in request.GET,
        "may_run": request.user.has_perm(RUN_PERMISSION),
        "invalidation": invalidation,
        "cloudfront_limit": CLOUDFRONT_MAX_PATHS,
    }
    if htmx and not htmx.history_restore_request:
        response = render_page(
            request, "inspector/_run_progress.html", {**context, "fragment": True}
        )
        if not run.is_active:
            # htmx 2 stops polling on 286; the fragment it swaps in carries no trigger either.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render_page(request, "inspector/run.html", context)


@staff_permission_required(VIEW_PERMISSION, RUN_PERMISSION)
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a run that no worker has started (a queue without a worker holds the lock)."""
    run = get_object_or_404(CollectionRun, pk=pk)
    cancel_run(run, request.user)
    return redirect("inspector:run", pk=run.pk)


@staff_permission_required(VIEW_PERMISSION)
def runs(request: HttpRequest) -> HttpResponse:
    """The history of runs: filterable by phase and requester, sortable, exportable."""
    reap_dead_runs()
    form = RunFilterForm(request.GET)
    selected = form.filter(CollectionRun.objects.all())
    table = CollectionRunTable(selected)
    if criteria(request).keys() - {"sort", "page", "per_page"}:
        table.empty_text = gettext("No run matches these filters.")
    export_format = request.GET.get("_export")
    if export_format is not None:
        if export_format not in EXPORT_FORMATS:
            return unknown_export_format()
        table.order_by = request.GET.get("sort") or ()
        rows = RunsExportTable([run_to_dict(run) for run in table.data])
        name = export_name("collection-runs", form.export_words())
        return export_table(rows, export_format, name, title="runs")
    table.order_by = request.GET.getlist("sort") or ()
    paginate(table, request)
    query = criteria(request)
    return render_page(
        request,
        "inspector/runs.html",
        {
            "form": form,
            "table": table,
            "querystring": export_query(query),
            "query": query,
            "running": CollectionRun.objects.filter(active=True).first(),
        },
        status=400 if form.errors else 200,
    )


def run_export(run: CollectionRun, invalidation: Invalidation) -> JsonResponse:
    """Return one run as a JSON download: what was asked, what it did, what a CDN must drop."""
    stamps = {
        name: value.isoformat() if value is not None else None
        for name, value in (
            ("created_at", run.created_at),
            ("started_at", run.started_at),
            ("finished_at", run.finished_at),
        )
    }
    body = {
        "id": run.pk,
        "phase": run.phase,
        "requested_by": run.requested_by_name,
        **stamps,
        "storage": run.storage,
        "clear": run.clear,
        "promised": run.promised,
        "done": {
            "copied": run.copied,
            "unmodified": run.unmodified,
            "post_processed": run.post_processed,
            "deleted": run.deleted,
        },
        "error": run.error,
        "replaced": run.replaced,
        "invalidation_paths": list(invalidation.paths),
        "cloudfront_commands": invalidation.cloudfront_commands(),
    }
    response = JsonResponse(body, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="collection-run-{run.pk}.json"'
    return response
