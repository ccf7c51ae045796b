"""The alliance and its organisation graph (组织共联).

Organisations form one tree per street (the governance tree used for scoping: a role held
at an organisation reaches everything below it). Alliance membership is a separate
relation, so joining an alliance or a joint (virtual) committee never changes a unit's
original party affiliation.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OrgKind(models.TextChoices):
    STREET_COMMITTEE = "street_committee", _("Street party working committee")
    COMMUNITY_COMMITTEE = "community_committee", _("Community party committee")
    JOINT_COMMITTEE = "joint_committee", _("Joint party committee (virtual)")
    GENERAL_BRANCH = "general_branch", _("General party branch")
    BRANCH = "branch", _("Party branch")
    JOINT_BRANCH = "joint_branch", _("Joint party branch")
    PARTY_GROUP = "party_group", _("Party group")
    AGENCY = "agency", _("Government agency")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
    PRIVATE_ENTERPRISE = "private_enterprise", _("Private enterprise")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    SOCIAL_ORGANIZATION = "social_organization", _("Social organisation")
    INDIVIDUAL_BUSINESS = "individual_business", _("Individual business")
    PROPERTY_COMPANY = "property_company", _("Property company")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    CLUB = "club", _("Club")
    VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")


PARTY_KINDS = {
    OrgKind.STREET_COMMITTEE,
    OrgKind.COMMUNITY_COMMITTEE,
    OrgKind.JOINT_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
    OrgKind.JOINT_BRANCH,
    OrgKind.PARTY_GROUP,
}
MEMBER_UNIT_KINDS = {
    OrgKind.AGENCY,
    OrgKind.PUBLIC_INSTITUTION,
    OrgKind.STATE_ENTERPRISE,
    OrgKind.PRIVATE_ENTERPRISE,
    OrgKind.SCHOOL,
    OrgKind.HOSPITAL,
    OrgKind.SOCIAL_ORGANIZATION,
    OrgKind.INDIVIDUAL_BUSINESS,
    OrgKind.PROPERTY_COMPANY,
    OrgKind.OWNERS_COMMITTEE,
    OrgKind.CLUB,
}

# Party statistics type codes (党内统计组织类别代码), see docs/glossary.md.
PARTY_TYPE_CODES = {
    OrgKind.STREET_COMMITTEE: "611",
    OrgKind.COMMUNITY_COMMITTEE: "611",
    OrgKind.JOINT_COMMITTEE: "611",
    OrgKind.GENERAL_BRANCH: "621",
    OrgKind.BRANCH: "631",
    OrgKind.JOINT_BRANCH: "632",
    OrgKind.PARTY_GROUP: "711",
}


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgKind.choices, db_index=True)
    code = models.CharField(_("code"), max_length=40, blank=True, help_text=_("Unified social credit code or party organisation code"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent"))
    # Materialised path "/1/5/23/" so "this organisation and everything below" is one prefix match.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="/")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    # Where the unit's own party organisation reports, outside the alliance; never changed by joining.
    original_affiliation = models.CharField(_("original party affiliation"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact"), max_length=40, blank=True)
    description = models.TextField(_("description"), blank=True)
    party_instructor = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="instructed_organizations",
        verbose_name=_("party instructor"),
    )
    archived_at = models.DateTimeField(null=True, blank=True, db_index=True)
    archived_reason = models.CharField(max_length=200, blank=True)
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta:
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="org_not_own_parent"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_virtual(self) -> bool:
        return self.kind == OrgKind.JOINT_COMMITTEE

    @property
    def is_party_organization(self) -> bool:
        return self.kind in PARTY_KINDS

    @property
    def party_type_code(self) -> str:
        return PARTY_TYPE_CODES.get(self.kind, "799" if self.kind in MEMBER_UNIT_KINDS else "")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Alliance(models.Model):
    name = models.CharField(_("name"), max_length=120)
    structure_label = models.CharField(_("structure"), max_length=40, blank=True, help_text=_('e.g. "1+9+N"'))
    core_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="core_of_alliances", verbose_name=_("core organisation"))
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    def __str__(self):
        return self.name


class MembershipRole(models.TextChoices):
    CORE = "core", _("Core")
    COMMUNITY = "community", _("Community")
    MEMBER_UNIT = "member_unit", _("Member unit")


class AllianceMembership(models.Model):
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="alliance_memberships")
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole.choices, default=MembershipRole.MEMBER_UNIT)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    left_reason = models.CharField(max_length=200, blank=True)
    liaison = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="liaison_for", verbose_name=_("liaison"))
    committee_member = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="committee_seats",
        verbose_name=_("part-time committee member"),
    )
    committee_post = models.CharField(_("committee post"), max_length=60, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["alliance", "role", "joined_on"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "organization"], condition=Q(left_on__isnull=True), name="one_active_membership"),
            models.CheckConstraint(condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")), name="membership_left_after_join"),
        ]

    def __str__(self):
        return f"{self.organization} @ {self.alliance}"

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class DutyChairTerm(models.Model):
    """Rotating duty chair (轮值主席单位)."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="duty_chairs")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    note = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["alliance", "starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="duty_chair_ends_after_start")]

    def __str__(self):
        return f"{self.organization} {self.starts_on}–{self.ends_on}"


class Department(models.Model):
    """Working department of the alliance (工作部), each with a head."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("name"), max_length=60)
    head = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("head"))
    responsibilities = models.TextField(_("responsibilities"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["alliance", "name"]
        constraints = [models.UniqueConstraint(fields=["alliance", "name"], name="unique_department_name")]

    def __str__(self):
        return self.name


# The five co-building areas (党建联创、公益联办、活动联谊、治理联防、环境联抓): default categories of
# obligations (governance), projects (lists) and needs; an alliance can add its own.
DEFAULT_COBUILDING_AREAS = (
    ("party", "党建联创"),
    ("welfare", "公益联办"),
    ("activities", "活动联谊"),
    ("governance", "治理联防"),
    ("environment", "环境联抓"),
)


class CoBuildingArea(models.Model):
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="cobuilding_areas")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    sort = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["alliance", "sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "code"], name="unique_cobuilding_area_code"),
            models.UniqueConstraint(fields=["alliance", "name"], name="unique_cobuilding_area_name"),
        ]

    def __str__(self):
        return self.name
