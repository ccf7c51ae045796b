from django.contrib import admin

from .models import ChatWebhook, Notification, ScheduledJob


@admin.register(ChatWebhook)
class ChatWebhookAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organization", "active", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "organization__name")
    raw_id_fields = ("organization", "created_by")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "channel", "recipient", "webhook", "status", "attempts", "next_attempt_at", "created_at", "read_at")
    list_filter = ("channel", "status")
    search_fields = ("title", "verb", "dedupe_key", "recipient__username")
    raw_id_fields = ("recipient", "webhook", "organization")
    readonly_fields = ("created_at", "sent_at", "queued_at")


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    list_display = ("kind", "due_at", "status", "attempts", "claimed_by", "target_type", "target_id", "dedupe_key")
    list_filter = ("status", "kind")
    search_fields = ("kind", "dedupe_key", "target_id")
    readonly_fields = ("created_at", "claimed_at", "finished_at")
