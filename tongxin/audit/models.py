"""Event rows: every write leaves who, when, what and why. Timelines and audits read them."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Event(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=64)  # indexed in Meta (db_index would add a LIKE index on PostgreSQL)
    # Leads the target index below, which serves its lookups too: every write records an event.
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", db_index=False)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200, blank=True)
    # The organisation whose scope the event belongs to, so audits are scoped like everything else.
    organization = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"]),
                   models.Index(fields=["verb"], name="audit_event_verb_idx")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.target_label}"


class SensitiveRead(models.Model):
    """One row per read of a full personal value (phone, ID number, address)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="sensitive_reads")
    field = models.CharField(max_length=32)
    purpose = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, default="web")  # web, api, export

    class Meta:
        ordering = ["-created_at"]
