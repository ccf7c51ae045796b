"""Writes on organisations and alliances. Each is atomic and records its event."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ensure_can
from tongxin.audit import events
from tongxin.core.errors import DomainError
from tongxin.core.text import search_blob

from .models import (
    DEFAULT_COBUILDING_AREAS,
    Alliance,
    AllianceMembership,
    CoBuildingArea,
    Department,
    DutyChairTerm,
    Organization,
    OrgKind,
)

ORG_FIELDS = ("name", "short_name", "kind", "code", "original_affiliation", "address", "contact_name", "description", "party_instructor")


def _clean_org_data(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in ORG_FIELDS}
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            raise DomainError("组织名称不能为空", field="name")
        if len(data["name"]) > 120:
            raise DomainError("组织名称不能超过 120 个字", field="name")
    if "kind" in data and data["kind"] not in OrgKind.values:
        raise DomainError(f"组织类型“{data['kind']}”无效", field="kind")
    for key in ("short_name", "code", "original_affiliation", "address", "contact_name", "description"):
        if key in data and data[key] is None:
            data[key] = ""
    return data


def _refresh_search(org: Organization) -> None:
    org.search_text = search_blob(org.name, org.short_name, org.code, org.original_affiliation, org.get_kind_display())


def _set_path(org: Organization) -> None:
    parent = org.parent
    org.path = f"{parent.path}{org.pk}/" if parent else f"/{org.pk}/"
    org.depth = parent.depth + 1 if parent else 0


@transaction.atomic
def create_organization(*, by, parent: Organization | None, reason: str = "", **data) -> Organization:
    if parent is None:
        if not (by and by.is_superuser):
            raise DomainError("请选择上级组织", field="parent")
    else:
        ensure_can(by, P.MANAGE_ORGS, parent)
        if parent.is_archived:
            raise DomainError("上级组织已归档，不能在其下新建组织", field="parent")
    data = _clean_org_data(data)
    if not data.get("name"):
        raise DomainError("组织名称不能为空", field="name")
    if not data.get("kind"):
        raise DomainError("请选择组织类型", field="kind")
    org = Organization(parent=parent, **data)
    _refresh_search(org)
    org._change_reason = reason
    org.save()
    _set_path(org)
    org.save(update_fields=["path", "depth"])
    events.record(actor=by, verb="org.created", target=org, organization=org, reason=reason, payload={"name": org.name, "kind": org.kind})
    return org


@transaction.atomic
def update_organization(*, org: Organization, by, reason: str = "", **data) -> Organization:
    ensure_can(by, P.MANAGE_ORGS, org)
    data = _clean_org_data(data)
    diff = events.changes(org, data)
    for key, value in data.items():
        setattr(org, key, value)
    _refresh_search(org)
    org._change_reason = reason
    org.save()
    if diff:
        events.record(actor=by, verb="org.updated", target=org, organization=org, reason=reason, payload={"changes": diff})
    return org


@transaction.atomic
def move_organization(*, org: Organization, new_parent: Organization, by, reason: str = "") -> Organization:
    """Re-parent `org`, refusing cycles; the whole subtree's paths follow."""
    ensure_can(by, P.MANAGE_ORGS, org)
    ensure_can(by, P.MANAGE_ORGS, new_parent)
    org = Organization.objects.select_for_update().get(pk=org.pk)
    new_parent = Organization.objects.get(pk=new_parent.pk)
    if new_parent.pk == org.pk or new_parent.path.startswith(org.path):
        raise DomainError(f"不能把“{org.name}”移到它自己或它的下级“{new_parent.name}”之下：组织树不能成环", field="parent")
    old_path, old_parent = org.path, org.parent
    org.parent = new_parent
    _set_path(org)
    org._change_reason = reason
    org.save()
    depth_delta = org.depth - old_path.count("/") + 2
    for child in Organization.objects.filter(path__startswith=old_path).exclude(pk=org.pk):
        child.path = org.path + child.path[len(old_path):]
        child.depth = child.depth + depth_delta
        child.save(update_fields=["path", "depth"])
    events.record(
        actor=by, verb="org.moved", target=org, organization=org, reason=reason,
        payload={"from": old_parent.name if old_parent else None, "to": new_parent.name},
    )
    return org


def _blockers(org: Organization) -> list[str]:
    out = []
    if org.children.filter(archived_at__isnull=True).exists():
        out.append("仍有下级组织")
    if org.people.filter(archived_at__isnull=True).exists():
        out.append("仍有人员")
    if org.party_members.exists():
        out.append("仍有党员")
    if org.alliance_memberships.filter(left_on__isnull=True).exists():
        out.append("仍是联盟成员单位")
    return out


@transaction.atomic
def archive_organization(*, org: Organization, by, reason: str) -> Organization:
    ensure_can(by, P.MANAGE_ORGS, org)
    if not (reason or "").strip():
        raise DomainError("归档需要填写原因", field="reason")
    if org.is_archived:
        raise DomainError("该组织已经归档")
    if org.children.filter(archived_at__isnull=True).exists():
        raise DomainError(f"“{org.name}”仍有未归档的下级组织，请先归档或移走下级组织", field="organization")
    org.archived_at = timezone.now()
    org.archived_reason = reason.strip()[:200]
    org._change_reason = reason
    org.save()
    AllianceMembership.objects.filter(organization=org, left_on__isnull=True).update(left_on=timezone.localdate(), left_reason="组织归档")
    events.record(actor=by, verb="org.archived", target=org, organization=org, reason=reason)
    return org


@transaction.atomic
def restore_organization(*, org: Organization, by, reason: str = "") -> Organization:
    ensure_can(by, P.MANAGE_ORGS, org)
    if org.parent and org.parent.is_archived:
        raise DomainError("上级组织已归档，请先恢复上级组织")
    org.archived_at = None
    org.archived_reason = ""
    org._change_reason = reason
    org.save()
    events.record(actor=by, verb="org.restored", target=org, organization=org, reason=reason)
    return org


@transaction.atomic
def delete_organization(*, org: Organization, by, reason: str = "") -> None:
    """Only an organisation that holds nothing may be deleted; otherwise archive it."""
    ensure_can(by, P.MANAGE_ORGS, org)
    blockers = _blockers(org)
    if blockers:
        raise DomainError(f"“{org.name}”{'、'.join(blockers)}，不能删除；请改为归档", field="organization", code="has_members")
    events.record(actor=by, verb="org.deleted", target=org, organization=org.parent, reason=reason, payload={"name": org.name})
    org._change_reason = reason
    org.delete()


# --- alliances -------------------------------------------------------------------------


@transaction.atomic
def create_alliance(*, by, core_organization: Organization, name: str, structure_label: str = "",
                    founded_on: dt.date | None = None, description: str = "", reason: str = "") -> Alliance:
    ensure_can(by, P.MANAGE_ALLIANCE, core_organization)
    name = (name or "").strip()
    if not name:
        raise DomainError("联盟名称不能为空", field="name")
    alliance = Alliance.objects.create(
        name=name, structure_label=(structure_label or "").strip(), core_organization=core_organization,
        founded_on=founded_on, description=description or "",
    )
    AllianceMembership.objects.create(
        alliance=alliance, organization=core_organization, role="core", joined_on=founded_on or timezone.localdate(),
    )
    events.record(actor=by, verb="alliance.created", target=alliance, organization=core_organization, reason=reason,
                  payload={"name": name, "structure_label": alliance.structure_label})
    return alliance


@transaction.atomic
def update_alliance(*, alliance: Alliance, by, reason: str = "", **data) -> Alliance:
    ensure_can(by, P.MANAGE_ALLIANCE, alliance.core_organization)
    data = {k: v for k, v in data.items() if k in {"name", "structure_label", "founded_on", "description"}}
    if "name" in data and not (data["name"] or "").strip():
        raise DomainError("联盟名称不能为空", field="name")
    diff = events.changes(alliance, data)
    for k, v in data.items():
        setattr(alliance, k, v)
    alliance._change_reason = reason
    alliance.save()
    events.record(actor=by, verb="alliance.updated", target=alliance, organization=alliance.core_organization, reason=reason, payload={"changes": diff})
    return alliance


@transaction.atomic
def add_member(*, alliance: Alliance, organization: Organization, by, joined_on: dt.date, role: str = "member_unit",
               liaison=None, committee_member=None, committee_post: str = "", reason: str = "") -> AllianceMembership:
    ensure_can(by, P.MANAGE_ALLIANCE, alliance.core_organization)
    if organization.is_archived:
        raise DomainError(f"“{organization.name}”已归档，不能加入联盟", field="organization")
    if AllianceMembership.objects.filter(alliance=alliance, organization=organization, left_on__isnull=True).exists():
        raise DomainError(f"“{organization.name}”已经是该联盟的成员", field="organization")
    membership = AllianceMembership.objects.create(
        alliance=alliance, organization=organization, role=role, joined_on=joined_on, liaison=liaison,
        committee_member=committee_member, committee_post=committee_post or "",
    )
    # Joining never touches organization.parent or original_affiliation: membership is its own relation.
    events.record(actor=by, verb="alliance.member_added", target=membership, organization=organization, reason=reason,
                  payload={"alliance": alliance.name, "organization": organization.name, "role": role})
    return membership


@transaction.atomic
def update_membership(*, membership: AllianceMembership, by, reason: str = "", **data) -> AllianceMembership:
    ensure_can(by, P.MANAGE_ALLIANCE, membership.alliance.core_organization)
    data = {k: v for k, v in data.items() if k in {"liaison", "committee_member", "committee_post", "role"}}
    diff = events.changes(membership, data)
    for k, v in data.items():
        setattr(membership, k, v if v is not None or k != "committee_post" else "")
    membership._change_reason = reason
    membership.save()
    events.record(actor=by, verb="alliance.membership_updated", target=membership, organization=membership.organization,
                  reason=reason, payload={"changes": diff})
    return membership


@transaction.atomic
def end_membership(*, membership: AllianceMembership, by, left_on: dt.date, reason: str) -> AllianceMembership:
    ensure_can(by, P.MANAGE_ALLIANCE, membership.alliance.core_organization)
    if membership.left_on:
        raise DomainError("该成员单位已经退出联盟")
    if not (reason or "").strip():
        raise DomainError("退出联盟需要填写原因", field="reason")
    if left_on < membership.joined_on:
        raise DomainError("退出日期不能早于加入日期", field="left_on")
    if membership.role == "core":
        raise DomainError("核心组织不能退出联盟")
    membership.left_on = left_on
    membership.left_reason = reason[:200]
    membership._change_reason = reason
    membership.save()
    events.record(actor=by, verb="alliance.member_left", target=membership, organization=membership.organization, reason=reason,
                  payload={"left_on": left_on.isoformat()})
    return membership


@transaction.atomic
def set_duty_chair(*, alliance: Alliance, organization: Organization, starts_on: dt.date, ends_on: dt.date, by,
                   note: str = "", reason: str = "") -> DutyChairTerm:
    ensure_can(by, P.MANAGE_ALLIANCE, alliance.core_organization)
    if ends_on < starts_on:
        raise DomainError("轮值结束日期不能早于开始日期", field="ends_on")
    if not alliance.memberships.filter(organization=organization, left_on__isnull=True).exists():
        raise DomainError(f"“{organization.name}”不是该联盟的成员单位，不能担任轮值主席", field="organization")
    overlap = alliance.duty_chairs.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if overlap:
        raise DomainError(f"该时段与“{overlap.organization.name}”的轮值期（{overlap.starts_on}至{overlap.ends_on}）重叠", field="starts_on")
    term = DutyChairTerm.objects.create(alliance=alliance, organization=organization, starts_on=starts_on, ends_on=ends_on, note=note or "")
    events.record(actor=by, verb="alliance.duty_chair_set", target=term, organization=alliance.core_organization, reason=reason,
                  payload={"organization": organization.name, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})
    return term


@transaction.atomic
def save_department(*, alliance: Alliance, by, name: str, head=None, responsibilities: str = "",
                    department: Department | None = None, reason: str = "") -> Department:
    ensure_can(by, P.MANAGE_ALLIANCE, alliance.core_organization)
    name = (name or "").strip()
    if not name:
        raise DomainError("工作部名称不能为空", field="name")
    clash = alliance.departments.filter(name=name)
    if department:
        clash = clash.exclude(pk=department.pk)
    if clash.exists():
        raise DomainError(f"工作部“{name}”已存在", field="name")
    created = department is None
    department = department or Department(alliance=alliance)
    department.name, department.head, department.responsibilities = name, head, responsibilities or ""
    department._change_reason = reason
    department.save()
    events.record(actor=by, verb="alliance.department_created" if created else "alliance.department_updated", target=department,
                  organization=alliance.core_organization, reason=reason, payload={"name": name, "head": head.name if head else None})
    return department


def ensure_cobuilding_areas(alliance: Alliance) -> list[CoBuildingArea]:
    """The alliance's co-building areas, creating the five defaults the first time they are asked for."""
    if not alliance.cobuilding_areas.exists():
        with transaction.atomic():
            for sort, (code, name) in enumerate(DEFAULT_COBUILDING_AREAS, start=1):
                CoBuildingArea.objects.get_or_create(alliance=alliance, code=code, defaults={"name": name, "sort": sort})
    return list(alliance.cobuilding_areas.filter(active=True))


def add_cobuilding_area(*, alliance: Alliance, by, name: str, code: str = "", reason: str = "") -> CoBuildingArea:
    """An alliance's own area beside the five defaults (e.g. "regional party building + property")."""
    from django.utils.text import slugify

    ensure_can(by, P.MANAGE_ALLIANCE, alliance.core_organization)
    ensure_cobuilding_areas(alliance)
    name = (name or "").strip()
    if not name:
        raise DomainError("共建领域名称不能为空", field="name")
    if alliance.cobuilding_areas.filter(name=name).exists():
        raise DomainError(f"共建领域“{name}”已存在", field="name")
    code = slugify(code or "") or f"area{alliance.cobuilding_areas.count() + 1}"
    if alliance.cobuilding_areas.filter(code=code).exists():
        raise DomainError(f"共建领域代码“{code}”已被使用", field="code")
    with transaction.atomic():
        area = CoBuildingArea.objects.create(alliance=alliance, code=code, name=name, sort=100)
        events.record(actor=by, verb="alliance.area_added", target=area, organization=alliance.core_organization,
                      reason=reason, payload={"name": name, "code": code})
    return area
