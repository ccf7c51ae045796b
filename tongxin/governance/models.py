"""Agreements (共驻共建协议书、结盟书/盟约、责任书、责任状), their parties and obligations (责任清单),
the obligations' materialised due dates and fulfilment records, and adopted road segments (门前三包).

An agreement belongs to an alliance and is kept by one organisation (`organization`, the
street committee or a community committee), which scopes who may manage it; its parties see
it too. Status goes draft → in force → expired / terminated (governance/workflow.py); expiry is
computed from the term (`ends_on`) and also written by a scheduled job on the day after.

Each obligation's due dates are rows (ObligationDue, indexed by `due_on`): one for a one-off
obligation, one per month / quarter / year within the term for a recurring one. A fulfilment
record settles one due date; "overdue" is a due date in the past with no fulfilment.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class AgreementKind(models.TextChoices):
    COBUILDING = "cobuilding", _("Co-building agreement")
    COVENANT = "covenant", _("Alliance covenant")
    RESPONSIBILITY = "responsibility", _("Responsibility letter")
    PLEDGE = "pledge", _("Pledge")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_FORCE = "in_force", _("In force")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class Recurrence(models.TextChoices):
    ONCE = "once", _("One-off")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


def scan_path(instance, filename):
    return f"governance/scans/{filename}"


def fulfilment_path(instance, filename):
    return f"governance/fulfilments/{filename}"


class Agreement(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.PROTECT, related_name="agreements", verbose_name=_("alliance"))
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="kept_agreements",
                                     verbose_name=_("kept by"))
    kind = models.CharField(_("type"), max_length=16, choices=AgreementKind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=120)
    number = models.CharField(_("document number"), max_length=40, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    starts_on = models.DateField(_("term starts"))
    ends_on = models.DateField(_("term ends"), db_index=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT, db_index=True)
    in_force_at = models.DateTimeField(null=True, blank=True)
    terminated_on = models.DateField(null=True, blank=True)
    termination_reason = models.CharField(max_length=300, blank=True)
    scan = models.FileField(upload_to=scan_path, blank=True)
    scan_name = models.CharField(max_length=200, blank=True)
    scan_type = models.CharField(max_length=60, blank=True)
    scan_size = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["alliance", "status", "ends_on"])]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="agreement_ends_after_start")]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self):
        return self.title


class AgreementParty(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="agreement_parties",
                                     verbose_name=_("organisation"))
    role = models.CharField(pgettext_lazy("party", "role"), max_length=30, blank=True, help_text=_("e.g. Party A, Party B, member unit"))
    signatory = models.CharField(_("signatory"), max_length=40, blank=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["agreement", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["agreement", "organization"], name="unique_agreement_party")]

    def __str__(self):
        return f"{self.organization} ({self.role})" if self.role else str(self.organization)


class Obligation(models.Model):
    """One line of the responsibility list (责任清单): what, owed by whom, when or how often."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="obligations")
    debtor = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="obligations", verbose_name=_("owed by"))
    title = models.CharField(_("what"), max_length=120)
    description = models.TextField(_("details"), blank=True)
    area = models.ForeignKey("orgs.CoBuildingArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("co-building area"))
    recurrence = models.CharField(_("when"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE)
    due_on = models.DateField(_("due on"), null=True, blank=True, help_text=_("For a one-off obligation"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "id"]
        constraints = [models.CheckConstraint(condition=~Q(recurrence="once") | Q(due_on__isnull=False), name="obligation_once_has_due")]

    def __str__(self):
        return self.title


class ObligationDue(models.Model):
    """One due date of an obligation; settled by a fulfilment record."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="dues")
    due_on = models.DateField(db_index=True)
    fulfilment = models.OneToOneField("Fulfilment", null=True, blank=True, on_delete=models.SET_NULL, related_name="due")

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["obligation", "due_on"], name="unique_obligation_due")]
        indexes = [models.Index(fields=["due_on"], name="gov_due_open_idx", condition=Q(fulfilment__isnull=True))]

    def __str__(self):
        return f"{self.obligation} @ {self.due_on}"

    @property
    def is_fulfilled(self) -> bool:
        return self.fulfilment_id is not None


class Fulfilment(models.Model):
    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="fulfilments")
    done_on = models.DateField(_("done on"))
    note = models.TextField(_("what was done"))
    attachment = models.FileField(upload_to=fulfilment_path, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by_label = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-done_on", "-id"]

    def __str__(self):
        return f"{self.obligation} {self.done_on}"


class FulfilmentPhoto(models.Model):
    fulfilment = models.ForeignKey(Fulfilment, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=fulfilment_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]


class AgreementEvent(models.Model):
    """The agreement's timeline: created, party added, in force, obligation added, fulfilled, terminated…"""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=80, blank=True)
    verb = models.CharField(max_length=32)
    note = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class SegmentKind(models.TextChoices):
    LINE = "line", _("Road (line)")
    AREA = "area", _("Area (polygon)")


class RoadSegment(models.Model):
    """A stretch of road or an area a unit keeps (门前三包). Lines cover a buffer of `buffer_m` metres."""

    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.CASCADE, related_name="road_segments")
    unit = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="road_segments", verbose_name=_("adopting unit"))
    name = models.CharField(pgettext_lazy("segment", "name"), max_length=80)
    kind = models.CharField(max_length=8, choices=SegmentKind.choices, editable=False)
    geometry = models.JSONField(_("geometry (GeoJSON)"))
    buffer_m = models.PositiveSmallIntegerField(_("buffer (metres)"), default=30)
    length_m = models.FloatField(default=0, editable=False)
    min_x = models.FloatField(editable=False)
    min_y = models.FloatField(editable=False)
    max_x = models.FloatField(editable=False)
    max_y = models.FloatField(editable=False)
    agreement = models.ForeignKey(Agreement, null=True, blank=True, on_delete=models.SET_NULL, related_name="road_segments",
                                  verbose_name=_("pledge"))
    active = models.BooleanField(default=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at", "min_x", "min_y", "max_x", "max_y"])

    class Meta:
        ordering = ["unit", "name", "id"]
        # The spatial index's freshness stamp is "the latest updated_at of the alliance's segments": one index probe.
        indexes = [models.Index(fields=["alliance", "-updated_at"], name="gov_segment_stamp_idx")]

    def __str__(self):
        return self.name
