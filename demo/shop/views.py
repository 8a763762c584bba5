"""Views of the demo shop."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from demo.shop.forms import NewsletterForm


def home(request: HttpRequest) -> HttpResponse:
    """Render the landing page, which pulls static files from every kind of source."""
    return render(request, "demo/home.html")


def checkout(request: HttpRequest) -> HttpResponse:
    """Render a page planting each finding the toolbar's Assets panel reports."""
    return render(request, "shop/checkout.html")


def references(request: HttpRequest) -> HttpResponse:
    """Render a page planting each problem the references scan reports."""
    return render(request, "shop/references.html", {"form": NewsletterForm()})
