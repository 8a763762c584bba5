"""Pages while this process builds its first layers: a progress page that htmx refreshes.

A page never holds a web worker for a cold build: the build runs in a thread
(``layers.layers_or_building``), the page shows what it reads and how far it got, and once the
layers are there the poll asks htmx for a full reload (``HX-Refresh``). Without JavaScript the
page refreshes itself every few seconds.
"""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from ..collection.runs import layers_for_page
from ..core.layers import Building, Layers

# Sent by the progress page's poll, so a poll that finds the layers ready reloads the page
# instead of getting the fragment the same URL gives other htmx requests.
POLL_HEADER = "X-Inspector-Poll"


def page_layers(request: HttpRequest) -> Layers | HttpResponse:
    """Return the layers a page shows, or the response to send while they are being built."""
    found = layers_for_page()
    polled = bool(request.headers.get(POLL_HEADER))
    if isinstance(found, Building):
        return building_page(request, found, fragment=polled)
    if polled:
        return HttpResponse(headers={"HX-Refresh": "true"})
    return found


def building_page(request: HttpRequest, building: Building, *, fragment: bool) -> HttpResponse:
    htmx = HtmxDetails(request)
    partial = fragment and bool(htmx) and not htmx.history_restore_request
    response = render(
        request,
        "inspector/_building.html" if partial else "inspector/building.html",
        {
            "building": building,
            "elapsed": max(0.0, time.time() - building.started_at),
            "poll_header": f'{{"{POLL_HEADER}": "1"}}',
        },
        # Not an error, not the answer yet: 202 Accepted says the work goes on.
        status=202,
    )
    response["Cache-Control"] = "no-store"
    response["Vary"] = "HX-Request"
    return response
