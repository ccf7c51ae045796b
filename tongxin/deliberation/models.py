"""Deliberation (议事协商): a topic raised by a resident goes from online discussion (网上议事)
to the property-level party–mass council (物业党群议事) and the community-level council
(社区党群议事), and ends resolved or closed. Stages and who may move them: workflow.py.

Votes keep "who voted" and "what was chosen" apart: a BallotParticipation row per person
(unique per ballot: one person, one vote) and a counter per option. An open ballot also
writes the chosen option on the participation row, for moderators to see; a secret ballot
never stores it anywhere, so no query can tell who chose what.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Stage(models.TextChoices):
    ONLINE = "online", _("Online discussion")
    PROPERTY = "property", _("Property-level party–mass council")
    COMMUNITY = "community", _("Community-level party–mass council")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed without resolution")


OPEN_STAGES = (Stage.ONLINE, Stage.PROPERTY, Stage.COMMUNITY)
COUNCIL_STAGES = (Stage.ONLINE, Stage.PROPERTY, Stage.COMMUNITY)


class DeliberationSettings(models.Model):
    """Per alliance: how long a topic may stay at a stage before it escalates by itself."""

    alliance = models.OneToOneField("orgs.Alliance", on_delete=models.CASCADE, related_name="deliberation_config")
    online_days = models.PositiveSmallIntegerField(_("online discussion: working days before escalation"), default=10)
    property_days = models.PositiveSmallIntegerField(_("property council: working days before escalation"), default=15)
    community_days = models.PositiveSmallIntegerField(_("community council: working days before a reminder"), default=20)
    auto_escalate = models.BooleanField(_("escalate automatically"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def days_for(self, stage: str) -> int | None:
        return {Stage.ONLINE: self.online_days, Stage.PROPERTY: self.property_days, Stage.COMMUNITY: self.community_days}.get(stage)


class Topic(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="topics", verbose_name=_("community"))
    grid = models.ForeignKey("grids.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="topics", verbose_name=_("grid"))
    compound = models.CharField(_("compound"), max_length=80, blank=True, help_text=_("Residential compound or courtyard"))
    building = models.CharField(_("building"), max_length=40, blank=True)
    area = models.ForeignKey("orgs.CoBuildingArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="topics",
                             verbose_name=_("co-building area"))
    category = models.ForeignKey("orders.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="topics",
                                 verbose_name=_("category"))
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(pgettext_lazy("topic", "description"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="raised_topics")

    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.ONLINE, db_index=True)
    stage_since = models.DateTimeField(null=True, blank=True)
    stage_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome = models.TextField(pgettext_lazy("topic", "outcome"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_text = models.TextField(blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "stage", "-created_at"])]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("deliberation:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def place(self) -> str:
        parts = [p for p in (self.compound, self.building) if p]
        if self.grid_id:
            parts.insert(0, self.grid.name)
        return " · ".join(parts)


class TopicEvent(models.Model):
    """The topic's timeline: raised, escalated (by whom or by the scheduler), opinion hidden, voted, resolved."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=32)
    from_stage = models.CharField(max_length=12, blank=True)
    to_stage = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True, help_text="Shown on the public page (without names)")
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


def photo_path(instance, filename):
    return f"topics/{instance.topic_id}/{filename}"


class TopicPhoto(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class Opinion(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="opinions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="topic_opinions")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    text = models.TextField(_("opinion"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hidden_reason = models.CharField(_("reason for hiding"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["topic", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""), name="opinion_hidden_has_reason"),
        ]

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Eligibility(models.TextChoices):
    COMMUNITY = "community", _("Residents of the community")
    GRID = "grid", _("Residents of a grid")
    BUILDING = "building", _("Residents of a building")


class Ballot(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="ballots")
    question = models.CharField(_("question"), max_length=200)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"), db_index=True)
    eligibility = models.CharField(_("who may vote"), max_length=12, choices=Eligibility.choices, default=Eligibility.COMMUNITY)
    grid = models.ForeignKey("grids.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    building = models.CharField(_("building"), max_length=40, blank=True)
    secret = models.BooleanField(_("secret ballot"), default=True)
    eligible_count = models.PositiveIntegerField(null=True, blank=True, help_text="Frozen when the ballot closes")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="ballot_closes_after_opening"),
            models.CheckConstraint(condition=~Q(eligibility="grid") | Q(grid__isnull=False), name="ballot_grid_eligibility_has_grid"),
            models.CheckConstraint(condition=~Q(eligibility="building") | ~Q(building=""), name="ballot_building_eligibility_has_building"),
        ]

    def __str__(self):
        return self.question

    def is_open_at(self, now) -> bool:
        return self.opens_at <= now < self.closes_at


class BallotOption(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("option"), max_length=100)
    sort = models.PositiveSmallIntegerField(default=0)
    votes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["ballot", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["ballot", "label"], name="unique_ballot_option_label")]

    def __str__(self):
        return self.label


class BallotParticipation(models.Model):
    """That a person voted (one row per person per ballot). `option` only for open ballots."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="participations")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    option = models.ForeignKey(BallotOption, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    voted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["voted_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ballot", "person"], name="one_person_one_vote")]


class BuildingResident(models.Model):
    """The building roll (楼栋名册) kept by the community: who lives in which building, for building ballots."""

    community = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    building = models.CharField(_("building"), max_length=40)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["community", "building", "id"]
        constraints = [models.UniqueConstraint(fields=["community", "building", "person"], name="unique_building_resident")]


class StakeholderKind(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    IN_SERVICE_MEMBER = "in_service_member", _("In-service party member")
    PROPERTY_COMPANY = "property_company", _("Property company")
    SHOP = "shop", _("Shop")
    MEMBER_UNIT = "member_unit", _("Member unit")
    OTHER = "other", pgettext_lazy("stakeholder", "Other")


class Consultation(models.Model):
    """A consultation meeting (协商会) on a topic, with its invited stakeholders and its record."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="consultations")
    title = models.CharField(_("title"), max_length=120)
    stage = models.CharField(max_length=12, choices=Stage.choices)
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    summary = models.TextField(pgettext_lazy("consultation", "summary"), blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["held_at", "id"]


class Invitee(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="invitees")
    kind = models.CharField(_("stakeholder"), max_length=20, choices=StakeholderKind.choices)
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80, blank=True, help_text=_("For a guest without a record"))
    attended = models.BooleanField(null=True)
    position = models.TextField(_("position"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["consultation", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(person__isnull=False) | Q(organization__isnull=False) | ~Q(name=""),
                                   name="invitee_is_someone"),
        ]

    @property
    def label(self) -> str:
        if self.organization_id:
            return self.organization.name
        if self.person_id:
            return self.person.name
        return self.name


class ResolutionKind(models.TextChoices):
    PROJECT = "project", _("A project")
    REQUEST = "request", _("A request")
    ACTION_ITEMS = "action_items", _("Action items")


class Resolution(models.Model):
    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, related_name="resolution")
    kind = models.CharField(_("resolved into"), max_length=16, choices=ResolutionKind.choices)
    decision = models.TextField(pgettext_lazy("topic", "decision"))
    stage = models.CharField(max_length=12, choices=Stage.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()


class ResolutionLink(models.Model):
    """What the resolution created (a project, a request, action items), as a generic link."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="links")
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=40)
    target = GenericForeignKey("target_type", "target_id")
    label = models.CharField(max_length=200)
    url = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["target_type", "target_id"], name="one_resolution_per_target")]
