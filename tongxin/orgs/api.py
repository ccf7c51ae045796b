"""Organisation and alliance API (/api/v1/organizations, /api/v1/alliances).

The same selectors and services as the pages, so the same scope: an organisation outside the
caller's scope answers 404, a write outside it 403, and a refused write 400 with {detail, field, code}.
"""

import datetime as dt

from ninja import Router, Schema, Status

from tongxin.core.errors import DomainError
from tongxin.core.lookups import scoped_ref as _ref

from . import selectors, services
from .models import Alliance, AllianceMembership, Department, DutyChairTerm, MembershipRole, Organization

router = Router(tags=["organisations"])


# --- schemas ----------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class OrgOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    kind_label: str
    party_type_code: str
    code: str
    parent: Ref | None = None
    depth: int
    original_affiliation: str
    address: str
    contact_name: str
    description: str
    is_virtual: bool
    archived: bool
    archived_reason: str

    @staticmethod
    def resolve_kind_label(obj: Organization) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_archived(obj: Organization) -> bool:
        return obj.is_archived


class OrgMembershipOut(Schema):
    alliance: Ref
    role: str
    joined_on: dt.date
    left_on: dt.date | None = None


class OrgDetailOut(OrgOut):
    ancestors: list[Ref]
    children: list[Ref]
    memberships: list[OrgMembershipOut]

    @staticmethod
    def resolve_ancestors(obj: Organization) -> list[Organization]:
        return selectors.ancestors(obj)

    @staticmethod
    def resolve_children(obj: Organization, context) -> list[Organization]:
        return list(selectors.children(context["request"].user, obj, include_archived=True))

    @staticmethod
    def resolve_memberships(obj: Organization) -> list[AllianceMembership]:
        return list(obj.alliance_memberships.select_related("alliance").order_by("left_on", "-joined_on"))


class OrgList(Schema):
    count: int
    limit: int
    offset: int
    items: list[OrgOut]


class OrgIn(Schema):
    parent: int | None = None
    name: str
    kind: str
    short_name: str = ""
    code: str = ""
    original_affiliation: str = ""
    address: str = ""
    contact_name: str = ""
    description: str = ""
    reason: str = ""


class OrgPatch(Schema):
    """Only the fields sent are changed."""

    name: str | None = None
    kind: str | None = None
    short_name: str | None = None
    code: str | None = None
    original_affiliation: str | None = None
    address: str | None = None
    contact_name: str | None = None
    description: str | None = None
    reason: str = ""


class MoveIn(Schema):
    parent: int
    reason: str = ""


class ReasonIn(Schema):
    reason: str = ""


class MembershipOut(Schema):
    id: int
    organization: Ref
    role: str
    joined_on: dt.date
    left_on: dt.date | None = None
    left_reason: str
    liaison: Ref | None = None
    committee_member: Ref | None = None
    committee_post: str


class DutyChairOut(Schema):
    id: int
    organization: Ref
    starts_on: dt.date
    ends_on: dt.date
    note: str
    is_current: bool = False


class DepartmentOut(Schema):
    id: int
    name: str
    head: Ref | None = None
    responsibilities: str


class AllianceOut(Schema):
    id: int
    name: str
    structure_label: str
    core_organization: Ref
    founded_on: dt.date | None = None
    description: str


class AllianceDetailOut(AllianceOut):
    memberships: list[MembershipOut]
    duty_chairs: list[DutyChairOut]
    departments: list[DepartmentOut]

    @staticmethod
    def resolve_memberships(obj: Alliance) -> list[AllianceMembership]:
        return selectors.member_table(obj)

    @staticmethod
    def resolve_duty_chairs(obj: Alliance) -> list[DutyChairTerm]:
        return selectors.duty_chairs(obj)

    @staticmethod
    def resolve_departments(obj: Alliance) -> list[Department]:
        return list(selectors.departments(obj))


class AllianceIn(Schema):
    name: str
    core_organization: int
    structure_label: str = ""
    founded_on: dt.date | None = None
    description: str = ""
    reason: str = ""


class AlliancePatch(Schema):
    name: str | None = None
    structure_label: str | None = None
    founded_on: dt.date | None = None
    description: str | None = None
    reason: str = ""


class MemberIn(Schema):
    organization: int
    joined_on: dt.date
    role: str = MembershipRole.MEMBER_UNIT
    liaison: int | None = None
    committee_member: int | None = None
    committee_post: str = ""
    reason: str = ""


class MembershipPatch(Schema):
    role: str | None = None
    liaison: int | None = None
    committee_member: int | None = None
    committee_post: str | None = None
    reason: str = ""


class EndIn(Schema):
    left_on: dt.date
    reason: str


class DutyChairIn(Schema):
    organization: int
    starts_on: dt.date
    ends_on: dt.date
    note: str = ""
    reason: str = ""


class DepartmentIn(Schema):
    name: str
    head: int | None = None
    responsibilities: str = ""
    reason: str = ""


# --- references are resolved through scoped selectors ---------------------------------------




def _person(user, pk, field: str):
    if pk is None:
        return None
    person = selectors.visible_person(user, pk)
    if person is None:
        raise DomainError("所选人员不存在或不在您的权限范围内", field=field)
    return person


def _org_detail(user, org: Organization) -> Organization:
    return selectors.get_organization(user, org.pk)


def _alliance_detail(user, alliance: Alliance) -> Alliance:
    return selectors.get_alliance(user, alliance.pk)


def _membership(alliance: Alliance, mid: int) -> AllianceMembership:
    return selectors.get_membership(alliance, mid)


# --- organisations ----------------------------------------------------------------------------


@router.get("/organizations", response=OrgList, summary="List organisations (tree order)")
def list_organizations(request, q: str = "", kind: str = "", parent: int | None = None, include_archived: bool = False,
                       limit: int = 50, offset: int = 0):
    user = request.user
    limit = max(1, min(limit, 200))
    offset = max(0, offset)
    parent_org = selectors.get_organization(user, parent) if parent is not None else None
    qs = selectors.organization_list(user, q=q, kind=kind, parent=parent_org, include_archived=include_archived)
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": list(qs[offset:offset + limit])}


@router.get("/organizations/{int:org_id}", response=OrgDetailOut, summary="One organisation, with its ancestors and children")
def get_organization(request, org_id: int):
    return _org_detail(request.user, selectors.get_organization(request.user, org_id))


@router.post("/organizations", response={201: OrgDetailOut}, summary="Create an organisation under a parent")
def create_organization(request, payload: OrgIn):
    user = request.user
    data = payload.dict()
    parent = _ref(selectors.parent_choices(user), data.pop("parent"), "parent", "上级组织")
    reason = data.pop("reason")
    org = services.create_organization(by=user, parent=parent, reason=reason, **data)
    return Status(201, _org_detail(user, org))


@router.patch("/organizations/{int:org_id}", response=OrgDetailOut, summary="Change an organisation")
def update_organization(request, org_id: int, payload: OrgPatch):
    user = request.user
    org = selectors.get_organization(user, org_id)
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    services.update_organization(org=org, by=user, reason=reason, **data)
    return _org_detail(user, org)


@router.post("/organizations/{int:org_id}/move", response=OrgDetailOut, summary="Move an organisation (cycles are refused)")
def move_organization(request, org_id: int, payload: MoveIn):
    user = request.user
    org = selectors.get_organization(user, org_id)
    new_parent = _ref(selectors.parent_choices(user), payload.parent, "parent", "上级组织")
    services.move_organization(org=org, new_parent=new_parent, by=user, reason=payload.reason)
    return _org_detail(user, org)


@router.post("/organizations/{int:org_id}/archive", response=OrgDetailOut, summary="Archive an organisation (with a reason)")
def archive_organization(request, org_id: int, payload: ReasonIn):
    user = request.user
    org = selectors.get_organization(user, org_id)
    services.archive_organization(org=org, by=user, reason=payload.reason)
    return _org_detail(user, org)


@router.post("/organizations/{int:org_id}/restore", response=OrgDetailOut, summary="Restore an archived organisation")
def restore_organization(request, org_id: int, payload: ReasonIn):
    user = request.user
    org = selectors.get_organization(user, org_id)
    services.restore_organization(org=org, by=user, reason=payload.reason)
    return _org_detail(user, org)


@router.delete("/organizations/{int:org_id}", response={204: None}, summary="Delete an empty organisation (otherwise archive it)")
def delete_organization(request, org_id: int, reason: str = ""):
    user = request.user
    org = selectors.get_organization(user, org_id)
    services.delete_organization(org=org, by=user, reason=reason)
    return Status(204, None)


# --- alliances --------------------------------------------------------------------------------


@router.get("/alliances", response=list[AllianceOut], summary="Alliances the caller can see")
def list_alliances(request):
    return list(selectors.alliance_list(request.user))


@router.get("/alliances/{int:alliance_id}", response=AllianceDetailOut, summary="One alliance with members, duty chairs, departments")
def get_alliance(request, alliance_id: int):
    return _alliance_detail(request.user, selectors.get_alliance(request.user, alliance_id))


@router.post("/alliances", response={201: AllianceDetailOut}, summary="Create an alliance")
def create_alliance(request, payload: AllianceIn):
    user = request.user
    core = _ref(selectors.alliance_core_choices(user), payload.core_organization, "core_organization", "核心组织")
    alliance = services.create_alliance(by=user, core_organization=core, name=payload.name, structure_label=payload.structure_label,
                                        founded_on=payload.founded_on, description=payload.description, reason=payload.reason)
    return Status(201, _alliance_detail(user, alliance))


@router.patch("/alliances/{int:alliance_id}", response=AllianceDetailOut, summary="Change an alliance")
def update_alliance(request, alliance_id: int, payload: AlliancePatch):
    user = request.user
    alliance = selectors.get_alliance(user, alliance_id)
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    for key in ("structure_label", "description"):
        if key in data and data[key] is None:
            data[key] = ""
    services.update_alliance(alliance=alliance, by=user, reason=reason, **data)
    return _alliance_detail(user, alliance)


@router.post("/alliances/{int:alliance_id}/members", response={201: MembershipOut}, summary="Add a member unit")
def add_member(request, alliance_id: int, payload: MemberIn):
    user = request.user
    alliance = selectors.get_alliance(user, alliance_id)
    if payload.role not in MembershipRole.values or payload.role == MembershipRole.CORE:
        raise DomainError(f"成员角色“{payload.role}”无效", field="role")
    org = _ref(selectors.alliance_member_choices(user, alliance), payload.organization, "organization", "成员单位")
    m = services.add_member(
        alliance=alliance, organization=org, by=user, joined_on=payload.joined_on, role=payload.role,
        liaison=_person(user, payload.liaison, "liaison"), committee_member=_person(user, payload.committee_member, "committee_member"),
        committee_post=payload.committee_post, reason=payload.reason,
    )
    return Status(201, _membership(alliance, m.pk))


@router.patch("/alliances/{int:alliance_id}/members/{int:mid}", response=MembershipOut, summary="Change a membership")
def update_membership(request, alliance_id: int, mid: int, payload: MembershipPatch):
    user = request.user
    alliance = selectors.get_alliance(user, alliance_id)
    membership = _membership(alliance, mid)
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    if "role" in data and (data["role"] not in MembershipRole.values or (data["role"] == MembershipRole.CORE) != (membership.role == MembershipRole.CORE)):
        raise DomainError(f"成员角色“{data['role']}”无效", field="role")
    for key in ("liaison", "committee_member"):
        if key in data:
            data[key] = _person(user, data[key], key)
    services.update_membership(membership=membership, by=user, reason=reason, **data)
    return _membership(alliance, mid)


@router.post("/alliances/{int:alliance_id}/members/{int:mid}/end", response=MembershipOut, summary="End a membership (date and reason)")
def end_membership(request, alliance_id: int, mid: int, payload: EndIn):
    user = request.user
    alliance = selectors.get_alliance(user, alliance_id)
    membership = _membership(alliance, mid)
    services.end_membership(membership=membership, by=user, left_on=payload.left_on, reason=payload.reason)
    return _membership(alliance, mid)


@router.post("/alliances/{int:alliance_id}/duty-chairs", response={201: DutyChairOut}, summary="Add a duty chair term")
def add_duty_chair(request, alliance_id: int, payload: DutyChairIn):
    user = request.user
    alliance = selectors.get_alliance(user, alliance_id)
    org = _ref(selectors.active_member_organizations(alliance), payload.organization, "organization", "成员单位")
    term = services.set_duty_chair(alliance=alliance, organization=org, starts_on=payload.starts_on, ends_on=payload.ends_on,
                                   by=user, note=payload.note, reason=payload.reason)
    return Status(201, next(t for t in selectors.duty_chairs(alliance) if t.pk == term.pk))


@router.post("/alliances/{int:alliance_id}/departments", response={201: DepartmentOut}, summary="Add a working department")
def add_department(request, alliance_id: int, payload: DepartmentIn):
    user = request.user
    alliance = selectors.get_alliance(user, alliance_id)
    d = services.save_department(alliance=alliance, by=user, name=payload.name, head=_person(user, payload.head, "head"),
                                 responsibilities=payload.responsibilities, reason=payload.reason)
    return Status(201, d)


@router.put("/alliances/{int:alliance_id}/departments/{int:did}", response=DepartmentOut, summary="Change a working department")
def update_department(request, alliance_id: int, did: int, payload: DepartmentIn):
    user = request.user
    alliance = selectors.get_alliance(user, alliance_id)
    department = selectors.get_department(alliance, did)
    head = department.head if payload.head == department.head_id else _person(user, payload.head, "head")
    return services.save_department(alliance=alliance, by=user, name=payload.name, head=head,
                                    responsibilities=payload.responsibilities, department=department, reason=payload.reason)

