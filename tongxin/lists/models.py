"""The three lists (资源清单、需求清单、项目清单), campaigns and pairing sessions (供需配对会).

- Resource: what a member unit offers (a venue, parking, a professional or volunteer service,
  funds or goods, jobs, training), with a capacity and recurring availability windows.
- Need: what a community asks for, registered by its staff or drawn from many residents'
  requests about the same thing in one place (then `requests` links them and
  `request_count` says how many people are behind it).
- Project: a co-building project with its lead and participating units, linked needs and
  resources, milestones with due dates, a status workflow (workflow.py) and outcomes.
- Campaign: "regional party building + X", a tag on projects, needs and resources.
- PairingSession / Pair: one run of the optimal assignment and the pairs staff decide on.

The timeline of each object is the audit Event rows recorded by services.py.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from .workflow import ProjectStatus


class ResourceKind(models.TextChoices):
    VENUE = "venue", pgettext_lazy("lists", "Venue")
    PARKING = "parking", pgettext_lazy("lists", "Parking")
    PROFESSIONAL = "professional", pgettext_lazy("lists", "Professional service")
    VOLUNTEER = "volunteer", pgettext_lazy("lists", "Volunteer service")
    FUNDS = "funds", pgettext_lazy("lists", "Funds or goods")
    JOBS = "jobs", pgettext_lazy("lists", "Jobs")
    TRAINING = "training", pgettext_lazy("lists", "Training")


# Chinese kind names, part of a resource's matching words whatever the page language.
KIND_ZH = {"venue": "场地", "parking": "停车位", "professional": "专业服务", "volunteer": "志愿服务", "funds": "资金物资",
           "jobs": "就业岗位", "training": "培训"}


class ResourceStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("lists", "Available")
    PAUSED = "paused", pgettext_lazy("lists", "Paused")
    WITHDRAWN = "withdrawn", pgettext_lazy("lists", "Withdrawn")


class NeedStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("lists", "Proposed from requests")
    OPEN = "open", pgettext_lazy("lists", "Open")
    MATCHED = "matched", pgettext_lazy("lists", "Matched")
    CLOSED = "closed", pgettext_lazy("lists", "Closed")
    DISMISSED = "dismissed", pgettext_lazy("lists", "Dismissed")


class NeedSource(models.TextChoices):
    REGISTERED = "registered", pgettext_lazy("lists", "Registered by the community")
    REQUESTS = "requests", pgettext_lazy("lists", "Drawn from requests")


class Urgency(models.TextChoices):
    LOW = "low", pgettext_lazy("lists", "Low")
    NORMAL = "normal", pgettext_lazy("lists", "Normal")
    HIGH = "high", pgettext_lazy("lists", "High")
    URGENT = "urgent", pgettext_lazy("lists", "Urgent")


class ProjectSource(models.TextChoices):
    SURVEY = "survey", pgettext_lazy("lists", "Survey")
    STREET = "street", pgettext_lazy("lists", "Street committee")
    MEMBERS = "members", pgettext_lazy("lists", "In-service party members")
    UNITS = "units", pgettext_lazy("lists", "Member units")
    COMMUNITY = "community", pgettext_lazy("lists", "Community")


class Campaign(models.Model):
    """区域化党建+X: a theme grouping projects, needs and resources, with its own figures."""

    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["alliance", "-active", "name"]
        constraints = [models.UniqueConstraint(fields=["alliance", "name"], name="unique_campaign_name")]

    def __str__(self):
        return self.name


class Resource(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.PROTECT, related_name="resources")
    unit = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="resources", verbose_name=_("unit"))
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(pgettext_lazy("lists", "description"), blank=True)
    capacity = models.PositiveIntegerField(_("quantity or capacity"), default=1)
    # [{"weekday": 0..6 (Monday 0), "start": "09:00", "end": "12:00"}, ...] — never empty.
    availability = models.JSONField(_("availability"), default=list)
    area = models.ForeignKey("orgs.CoBuildingArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("co-building area"))
    address = models.CharField(_("where"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    contact_name = models.CharField(_("contact"), max_length=40, blank=True)
    contact_phone_enc = models.TextField(blank=True, editable=False)
    contact_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=16, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=ResourceStatus.choices, default=ResourceStatus.ACTIVE, db_index=True)
    campaigns = models.ManyToManyField(Campaign, blank=True, related_name="resources", verbose_name=_("campaigns"))
    tokens = models.TextField(blank=True, editable=False, help_text="Matching words, space separated (matching.words)")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["tokens", "contact_phone_enc", "contact_phone_hash"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["alliance", "status"]), models.Index(fields=["unit", "status"])]
        constraints = [models.CheckConstraint(condition=Q(capacity__gte=1), name="resource_capacity_positive")]

    def __str__(self):
        return self.title

    @property
    def has_point(self) -> bool:
        return self.lng is not None and self.lat is not None


class Need(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.PROTECT, related_name="needs")
    community = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="needs", verbose_name=_("community"))
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(pgettext_lazy("lists", "description"), blank=True)
    beneficiaries = models.CharField(_("beneficiaries"), max_length=120, blank=True, help_text=_("Who benefits, e.g. elderly living alone"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1, help_text=_("How many people, places or items"))
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL, db_index=True)
    area = models.ForeignKey("orgs.CoBuildingArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("co-building area"))
    category = models.ForeignKey("orders.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("category"))
    grid = models.ForeignKey("grids.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("grid"))
    address = models.CharField(_("place"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    # Optional wished-for time windows, same shape as Resource.availability.
    wanted_windows = models.JSONField(_("wanted time"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.OPEN, db_index=True)
    source = models.CharField(_("source"), max_length=12, choices=NeedSource.choices, default=NeedSource.REGISTERED)
    requests = models.ManyToManyField("orders.ServiceRequest", blank=True, related_name="+")
    request_count = models.PositiveIntegerField(_("people behind it"), default=0)
    campaigns = models.ManyToManyField(Campaign, blank=True, related_name="needs", verbose_name=_("campaigns"))
    tokens = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["tokens"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["alliance", "status"]), models.Index(fields=["community", "status"])]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="need_quantity_positive")]

    def __str__(self):
        return self.title

    @property
    def has_point(self) -> bool:
        return self.lng is not None and self.lat is not None


class Project(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(pgettext_lazy("lists", "description"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=ProjectSource.choices, default=ProjectSource.COMMUNITY)
    area = models.ForeignKey("orgs.CoBuildingArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("co-building area"))
    lead_unit = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="led_projects", verbose_name=_("lead unit"))
    participants = models.ManyToManyField("orgs.Organization", blank=True, related_name="joined_projects", verbose_name=_("participating units"))
    needs = models.ManyToManyField(Need, blank=True, related_name="projects")
    resources = models.ManyToManyField(Resource, blank=True, related_name="projects")
    campaigns = models.ManyToManyField(Campaign, blank=True, related_name="projects", verbose_name=_("campaigns"))
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    brand = models.BooleanField(_("brand project"), default=False, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED, db_index=True)
    last_reason = models.CharField(max_length=300, blank=True)
    # Outcomes, filled on completion.
    beneficiaries = models.PositiveIntegerField(_("beneficiaries (people)"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True, help_text='{"label": number}')
    evaluation = models.TextField(_("evaluation"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    # Where the project came from: a pair of a pairing session, a meeting decision, a topic…
    origin_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    origin_id = models.CharField(max_length=64, blank=True)
    origin = GenericForeignKey("origin_type", "origin_id")
    origin_label = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["alliance", "status"]),
            models.Index(fields=["lead_unit", "status"]),
            models.Index(fields=["-completed_at", "-id"], name="lists_project_done_idx", condition=Q(status__in=["completed", "evaluated"])),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="project_rating_1_5"),
            models.CheckConstraint(condition=Q(budget__isnull=True) | Q(budget__gte=0), name="project_budget_not_negative"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status in (ProjectStatus.COMPLETED, ProjectStatus.EVALUATED)


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=100)
    due_on = models.DateField(_("due on"), db_index=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on"], name="lists_milestone_open_idx", condition=Q(done_on__isnull=True))]

    def __str__(self):
        return self.title


def photo_path(instance, filename):
    return f"lists/projects/{instance.project_id}/{filename}"


class ProjectPhoto(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class PairingSession(models.Model):
    """供需配对会: one optimal assignment over the open needs and active resources in scope."""

    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.CASCADE, related_name="pairing_sessions")
    title = models.CharField(_("title"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    needs_count = models.PositiveIntegerField(default=0)
    resources_count = models.PositiveIntegerField(default=0)
    total_score = models.FloatField(default=0)
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title or f"供需配对会 #{self.pk}"


class PairStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("lists", "Proposed")
    ACCEPTED = "accepted", pgettext_lazy("lists", "Accepted")
    REJECTED = "rejected", pgettext_lazy("lists", "Rejected")


class Pair(models.Model):
    session = models.ForeignKey(PairingSession, on_delete=models.CASCADE, related_name="pairs")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="pairs")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="pairs")
    units = models.PositiveIntegerField(default=1, help_text="How much of the need this resource covers")
    score = models.FloatField(default=0)
    explanation = models.JSONField(default=dict, blank=True)
    proposed_resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                          help_text="What the assignment proposed, when staff changed it")
    status = models.CharField(max_length=12, choices=PairStatus.choices, default=PairStatus.PROPOSED, db_index=True)
    outcome_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome_id = models.CharField(max_length=64, blank=True)
    outcome = GenericForeignKey("outcome_type", "outcome_id")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "-score", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "need", "resource"], name="unique_pair_in_session")]

    def __str__(self):
        return f"{self.need} ↔ {self.resource}"

    @property
    def changed(self) -> bool:
        return self.proposed_resource_id is not None and self.proposed_resource_id != self.resource_id
