"""Notifications with delivery status, group-robot webhooks, and scheduled jobs.

A Notification row is one message on one channel to one recipient (a user, or a chat group
through its ChatWebhook). "inbox" rows are delivered when they are written; the other
channels go out from a background task and are retried with backoff (see services.py).

A ScheduledJob is a row with an indexed due_at that the `run_scheduler` command claims with
compare-and-set (see scheduler.py).
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class ChatWebhook(models.Model):
    """An enterprise-chat group robot of an organisation (企业微信 / 钉钉 群机器人)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="chat_webhooks",
                                      verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=16, choices=WebhookKind.choices)
    name = models.CharField(_("name"), max_length=80)
    url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True,
                              help_text=_("DingTalk only: the SEC... secret of a robot with signed requests"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["organization_id", "kind", "name"]
        verbose_name = _("chat webhook")

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def url_masked(self) -> str:
        """The URL with its access token hidden, for lists."""
        base, sep, query = self.url.partition("?")
        if not sep:
            return base[:40] + ("…" if len(base) > 40 else "")
        return f"{base}?…{query[-4:]}"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="notifications", verbose_name=_("recipient"),
                                  db_index=False)  # leads notify_inbox_idx below
    webhook = models.ForeignKey(ChatWebhook, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="deliveries", verbose_name=_("chat webhook"))
    organization = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("organisation"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.INBOX)
    verb = models.CharField(_("verb"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    dedupe_key = models.CharField(max_length=200, blank=True)

    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # pending rows: notify_due_idx below
    # When the row was last handed to the task queue, so the retry sweep does not pile up copies
    # while the workers are down.
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key", "recipient", "channel"], name="notify_dedupe_recipient",
                                    condition=~Q(dedupe_key="") & Q(recipient__isnull=False)),
            models.UniqueConstraint(fields=["dedupe_key", "webhook", "channel"], name="notify_dedupe_webhook",
                                    condition=~Q(dedupe_key="") & Q(webhook__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["recipient", "channel", "read_at"], name="notify_inbox_idx"),
            models.Index(fields=["next_attempt_at"], name="notify_due_idx", condition=Q(status="pending")),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ScheduledJob(models.Model):
    kind = models.CharField(max_length=80)
    due_at = models.DateTimeField(db_index=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    claimed_by = models.CharField(max_length=120, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="scheduledjob_dedupe", condition=~Q(dedupe_key="")),
        ]
        indexes = [
            models.Index(fields=["due_at"], name="scheduledjob_pending_idx", condition=Q(status="pending")),
            models.Index(fields=["kind", "target_type", "target_id"], name="scheduledjob_target_idx"),
        ]

    def __str__(self):
        return f"{self.kind} @ {self.due_at:%Y-%m-%d %H:%M}"
