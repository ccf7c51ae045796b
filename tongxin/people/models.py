"""One record per human, with role tags instead of copies (one fact, captured once).

Phone, ID number and address are stored encrypted, with a keyed hash for look-ups and a
pre-computed mask for lists; reading the full value goes through services.reveal().
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    name = models.CharField(_("name"), max_length=40)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    education = models.CharField(_("education"), max_length=20, blank=True)

    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=16, blank=True, editable=False)
    id_number_enc = models.TextField(blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=24, blank=True, editable=False)
    address_enc = models.TextField(blank=True, editable=False)
    address_masked = models.CharField(_("address"), max_length=40, blank=True, editable=False)

    # The organisation that keeps this record (community for residents, unit for staff).
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="people", verbose_name=_("organisation"))
    community = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="residents",
        verbose_name=_("home community"),
    )
    grid = models.ForeignKey("grids.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="residents", verbose_name=_("grid"))
    note = models.TextField(_("note"), blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], condition=~Q(id_number_hash=""), name="unique_person_id_number"),
        ]
        indexes = [models.Index(fields=["organization", "name"]), models.Index(fields=["community", "name"])]

    def __str__(self):
        return self.name

    @property
    def tags(self) -> list[str]:
        return sorted({r.tag for r in self.roles.all() if r.until is None})


class RoleTag(models.TextChoices):
    PARTY_MEMBER = "party_member", _("Party member")
    RESIDENT = "resident", _("Resident")
    VOLUNTEER = "volunteer", _("Volunteer")
    TEAM_LEAD = "team_lead", _("Volunteer team lead")
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_HEAD = "grid_head", _("Grid head")
    ROAD_HEAD = "road_head", _("Road head")
    LANE_HEAD = "lane_head", _("Lane head")
    BUILDING_HEAD = "building_head", _("Building head")
    SHOP_HEAD = "shop_head", _("Shop head")
    LIAISON = "liaison", _("Liaison")


GRID_TAGS = {RoleTag.GRID_WORKER, RoleTag.GRID_HEAD, RoleTag.ROAD_HEAD, RoleTag.LANE_HEAD, RoleTag.BUILDING_HEAD, RoleTag.SHOP_HEAD}


class PersonRole(models.Model):
    """A role tag on a person, optionally at an organisation (team, unit) or a grid."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    tag = models.CharField(_("role"), max_length=20, choices=RoleTag.choices, db_index=True)
    organization = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="person_roles")
    grid = models.ForeignKey("grids.Grid", null=True, blank=True, on_delete=models.CASCADE, related_name="assignments")
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "tag", "organization", "grid"], condition=Q(until__isnull=True),
                name="unique_active_person_role", nulls_distinct=False,
            ),
        ]

    def __str__(self):
        return f"{self.person} · {self.get_tag_display()}"


class MemberStatus(models.TextChoices):
    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")
    MOBILE = "mobile", _("Mobile member")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")


class PartyMemberProfile(models.Model):
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="party_profile")
    branch = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="party_members", verbose_name=_("branch"))
    joined_on = models.DateField(_("date joined"), null=True, blank=True)
    full_member_on = models.DateField(_("date made full member"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.FULL, db_index=True)
    lost_contact_since = models.DateField(null=True, blank=True)
    in_service = models.BooleanField(_("in-service member"), default=False)
    work_unit = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="in_service_members",
        verbose_name=_("work unit"),
    )
    home_community = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="reporting_members",
        verbose_name=_("home community"),
    )
    is_central_household = models.BooleanField(_("central household"), default=False)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(full_member_on__isnull=True) | Q(joined_on__isnull=True) | Q(full_member_on__gte=models.F("joined_on")),
                name="full_member_after_joining",
            ),
        ]

    def __str__(self):
        return f"{self.person} ({self.get_status_display()})"
