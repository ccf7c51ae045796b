from django.contrib import admin

from .models import Event, SensitiveRead


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "verb", "target_label", "reason"]
    list_filter = ["verb"]
    search_fields = ["target_label", "reason"]

    def has_change_permission(self, request, obj=None):  # the trail is append-only
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SensitiveRead)
class SensitiveReadAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "person", "field", "channel", "purpose"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
