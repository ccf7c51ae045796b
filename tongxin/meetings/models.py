"""Joint meetings (联席会议) of an alliance: recurring series, meetings, agenda collection,
invitations with RSVP and attendance, minutes, decisions, and the action items they produce.

A series carries an RFC 5545 recurrence rule and materialises its meetings; editing the rule
changes only future meetings that have not been held, and the series' `version` makes two
overlapping edits impossible (compare-and-set). An action item belongs to an organisation of
the alliance and is tracked to completion across meetings; its `origin` is a generic link (a
meeting decision here, a deliberation topic elsewhere).
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class MeetingKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly working meeting")
    QUARTERLY = "quarterly", _("Quarterly joint meeting")
    SPECIAL = "special", _("Special-topic meeting")


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", pgettext_lazy("meeting", "Cancelled")


class MeetingSeries(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.CASCADE, related_name="meeting_series")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organiser"))
    kind = models.CharField(_("type"), max_length=16, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=120)
    rrule = models.CharField(_("recurrence rule"), max_length=300, help_text=_("RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=1TU;COUNT=12"))
    starts_on = models.DateField(_("first date"))
    start_time = models.TimeField(_("start time"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=90)
    location = models.CharField(_("location"), max_length=200, blank=True)
    agenda_days = models.PositiveSmallIntegerField(_("agenda deadline (days before)"), default=3)
    # Bumped by every edit; an edit names the version it started from (compare-and-set).
    version = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["alliance", "title"]

    def __str__(self):
        return self.title


class Meeting(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.CASCADE, related_name="meetings")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organiser"))
    series = models.ForeignKey(MeetingSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings")
    occurrence = models.DateField(null=True, blank=True, help_text="The series date this meeting materialises")
    kind = models.CharField(_("type"), max_length=16, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=120)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    agenda_deadline = models.DateTimeField(_("agenda deadline"), db_index=True)
    chair = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("duty chair"))
    status = models.CharField(_("status"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED, db_index=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    # Calendar invitation identity: UID never changes, SEQUENCE goes up with every change.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    checkin_token = models.CharField(max_length=32, editable=False)
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_file = models.FileField(_("minutes attachment"), upload_to="meetings/minutes/%Y/%m/", blank=True)
    minutes_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    minutes_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["checkin_token"])

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "occurrence"], condition=Q(series__isnull=False), name="meeting_one_per_occurrence"),
            models.CheckConstraint(condition=Q(ends_at__gte=models.F("starts_at")), name="meeting_ends_after_start"),
        ]
        indexes = [models.Index(fields=["alliance", "starts_at"], name="meeting_alliance_start")]

    def __str__(self):
        return f"{self.title}（{self.starts_at:%Y-%m-%d}）"

    @property
    def is_held(self) -> bool:
        return self.status == MeetingStatus.HELD


class AgendaStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", pgettext_lazy("agenda", "Accepted")
    REJECTED = "rejected", _("Rejected")


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    proposer = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=AgendaStatus.choices, default=AgendaStatus.PROPOSED)
    decision_reason = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "position", "id"]

    def __str__(self):
        return self.title


class Rsvp(models.TextChoices):
    PENDING = "pending", _("No reply yet")
    YES = "yes", _("Attending")
    NO = "no", _("Not attending")
    MAYBE = "maybe", _("Maybe")


class Attendance(models.TextChoices):
    UNKNOWN = "unknown", _("Not recorded")
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")


class Invitation(models.Model):
    """One invited person; `organization` is the unit they attend for (may be empty for individuals)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meeting_invitations")
    organization = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rsvp = models.CharField(_("reply"), max_length=10, choices=Rsvp.choices, default=Rsvp.PENDING)
    rsvp_reason = models.CharField(_("reason"), max_length=200, blank=True)
    rsvp_at = models.DateTimeField(null=True, blank=True)
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.UNKNOWN)
    absence_reason = models.CharField(_("absence reason"), max_length=200, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_invitation_per_person")]

    def __str__(self):
        return f"{self.user} @ {self.meeting_id}"


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("decision"))
    position = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "position", "id"]

    def __str__(self):
        return self.text[:60]


class ActionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("action item", "Open")
    DONE = "done", pgettext_lazy("action item", "Done")
    CANCELLED = "cancelled", pgettext_lazy("action item", "Cancelled")


class ActionItem(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="meeting_action_items",
                              verbose_name=_("owner organisation"))
    due_on = models.DateField(_("due on"), db_index=True)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    close_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Where the item came from: a Decision, a deliberation topic, ...
    origin_type = models.ForeignKey("contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    origin_id = models.CharField(max_length=64, blank=True)
    origin = GenericForeignKey("origin_type", "origin_id")
    origin_label = models.CharField(max_length=200, blank=True)
    # The meeting it was decided at, when it came from a decision (for "carried over" lists).
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="action_owner_open"),
            models.Index(fields=["alliance", "due_on"], name="action_alliance_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status="open") | Q(closed_at__isnull=False), name="action_closed_has_time"),
        ]

    def __str__(self):
        return self.title

    def is_overdue(self, today) -> bool:
        return self.status == ActionStatus.OPEN and self.due_on < today


class ActionProgress(models.Model):
    """A progress note on an action item (the owner's report, or the organiser's remark)."""

    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="progress")
    text = models.TextField(_("progress"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "at", "id"]
