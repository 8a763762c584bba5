"""The inspector in Django's admin: the collection history, read-only (runs are made by the
dashboard only), and an index entry that opens the dashboard, for users who may see it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse

from .models import AssetInspector, CollectionRun
from .web.permissions import VIEW_PERMISSION


def _may_view(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION))


if TYPE_CHECKING:  # django-stubs makes ModelAdmin generic; at run time it is not subscriptable
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin


class _ViewOnly(_ModelAdmin):
    """Visible to staff with ``inspector.view_assets``; nobody adds, changes or deletes."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_view(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_view(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AssetInspector)
class DashboardLink(_ViewOnly):
    """The admin index's "Asset inspector" entry: its list opens the dashboard."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        try:
            return HttpResponseRedirect(reverse("inspector:overview"))
        except NoReverseMatch:  # the project did not mount inspector.urls
            return super().changelist_view(request, extra_context)


@admin.register(CollectionRun)
class CollectionRunAdmin(_ViewOnly):
    list_display = ("id", "created_at", "requested_by_name", "phase", "clear", "copied", "error")
    list_filter = ("phase", "clear")
    search_fields = ("requested_by_name", "storage", "error")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in CollectionRun._meta.fields]
