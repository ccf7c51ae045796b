"""Read-only views for operators: every change goes through the services (events, notifications, compare-and-set)."""

from django.contrib import admin

from .models import ActionItem, Meeting, MeetingSeries


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(ReadOnly):
    list_display = ("title", "kind", "alliance", "rrule", "version", "active")
    list_filter = ("kind", "alliance")


@admin.register(Meeting)
class MeetingAdmin(ReadOnly):
    list_display = ("title", "kind", "status", "starts_at", "chair", "sequence")
    list_filter = ("kind", "status", "alliance")
    search_fields = ("title",)


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnly):
    list_display = ("title", "owner", "due_on", "status", "closed_at")
    list_filter = ("status", "alliance")
    search_fields = ("title",)
