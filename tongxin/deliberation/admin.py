from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Ballot, Consultation, DeliberationSettings, Opinion, Resolution, Topic


@admin.register(Topic)
class TopicAdmin(SimpleHistoryAdmin):
    list_display = ("title", "community", "stage", "created_at")
    list_filter = ("stage",)
    search_fields = ("title",)
    raw_id_fields = ("community", "grid", "raised_by", "area", "category", "alliance")


@admin.register(Opinion)
class OpinionAdmin(SimpleHistoryAdmin):
    list_display = ("topic", "created_at", "hidden_at", "hidden_reason")
    raw_id_fields = ("topic", "author", "hidden_by")


@admin.register(Ballot)
class BallotAdmin(SimpleHistoryAdmin):
    list_display = ("question", "topic", "eligibility", "secret", "opens_at", "closes_at")
    raw_id_fields = ("topic", "grid", "created_by")


admin.site.register(Consultation, SimpleHistoryAdmin)
admin.site.register(Resolution, SimpleHistoryAdmin)
admin.site.register(DeliberationSettings, SimpleHistoryAdmin)
