"""Writes of the three lists, projects, campaigns and pairing sessions.

Every function takes keyword-only arguments, runs in transaction.atomic, checks the permission
over the organisation concerned, raises DomainError with a Chinese message naming the field at
fault (nothing is written then), and records an audit Event: the object's timeline.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import numpy as np
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.models import Role
from tongxin.accounts.scope import ensure_can, has_perm, scope_q
from tongxin.audit import events
from tongxin.core import crypto
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.core.validators import mask_phone, validate_phone
from tongxin.orgs.models import Alliance, AllianceMembership, CoBuildingArea, Organization, OrgKind

from . import matching, workflow
from .models import (
    KIND_ZH,
    Campaign,
    Milestone,
    Need,
    NeedSource,
    NeedStatus,
    Pair,
    PairingSession,
    PairStatus,
    Project,
    ProjectPhoto,
    ProjectSource,
    Resource,
    ResourceKind,
    ResourceStatus,
    Urgency,
)
from .workflow import ProjectStatus

TEXT_MAX = 2000
QUANTITY_MAX = 100_000
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
WEEKDAY_NAMES = {"周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6, "周天": 6,
                 "星期一": 0, "星期二": 1, "星期三": 2, "星期四": 3, "星期五": 4, "星期六": 5, "星期日": 6, "星期天": 6}


# --- helpers -----------------------------------------------------------------------------------

def _user(by):
    return by if by is not None and getattr(by, "is_authenticated", False) and by.pk else None


def alliance_for(org: Organization | None) -> Alliance | None:
    from tongxin.orders.services import alliance_for as _af

    return _af(org)


def in_alliance(org: Organization, alliance: Alliance) -> bool:
    if org is None or alliance is None or org.archived_at is not None:
        return False
    if AllianceMembership.objects.filter(alliance=alliance, organization=org, left_on__isnull=True).exists():
        return True
    return org.path.startswith(alliance.core_organization.path)


def alliance_orgs(alliance: Alliance) -> list[Organization]:
    """The core organisation and every active member: where a role "reaches into" the alliance."""
    rows = AllianceMembership.objects.filter(alliance=alliance, left_on__isnull=True).select_related("organization")
    members = [m.organization for m in sorted(rows, key=lambda m: (m.role != "member_unit", m.organization.name))]
    return [alliance.core_organization, *members]


def has_alliance_perm(user, perm: str, alliance: Alliance) -> bool:
    """Does the user hold `perm` at the alliance's core organisation, at or above a member, or below the core?"""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser or has_perm(user, perm, alliance.core_organization):
        return True
    from tongxin.accounts.scope import scope_paths

    paths = scope_paths(user, perm)
    if paths == "ALL":
        return True
    core = alliance.core_organization.path
    if any(p.startswith(core) for p in paths):
        return True
    return any(any(o.path.startswith(p) for p in paths) for o in alliance_orgs(alliance)[1:])


def ensure_alliance_perm(user, perm: str, alliance: Alliance, message: str) -> None:
    if not has_alliance_perm(user, perm, alliance):
        raise PermissionDenied(message)


def check_text(value: str, *, field: str, label: str, required: bool = True, max_len: int = TEXT_MAX, min_len: int = 2) -> str:
    """Strip; refuse empty, too long or nonsense text (no Chinese word at all, or one repeated character)."""
    value = (value or "").strip()
    if not value:
        if required:
            raise DomainError(f"请填写{label}", field=field)
        return ""
    if len(value) > max_len:
        raise DomainError(f"{label}不能超过 {max_len} 字，现在是 {len(value)} 字", field=field)
    if required:
        letters = re.sub(r"\W+", "", value)
        if len(value) < min_len or len(set(letters)) < 2 or not _CJK.search(value) or not matching.words(value):
            raise DomainError(f"{label}“{value[:20]}”无法识别，请用中文写清楚（至少包含一个词语）", field=field)
    return value


def _int(value, *, field: str, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(f"{label}应为整数", field=field) from None
    if number < low:
        raise DomainError(f"{label}不能小于 {low}" if low > 0 else f"{label}不能为负数", field=field)
    if number > high:
        raise DomainError(f"{label}不能大于 {high}", field=field)
    return number


def _point(lng, lat):
    has_lng, has_lat = lng not in (None, ""), lat not in (None, "")
    if has_lng != has_lat:
        raise DomainError("请同时提供经度和纬度", field="lat" if has_lng else "lng")
    if not has_lng:
        return None, None
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise DomainError("经纬度应为数字", field="lng") from None
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise DomainError("经纬度超出范围（经度 -180～180，纬度 -90～90）", field="lng")
    return lng, lat


_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})$")


def _hhmm(value: str, *, field: str) -> str:
    m = _TIME.match(str(value).strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and int(m.group(2)) != 0):
        raise DomainError(f"时间“{value}”格式不正确，应为 09:00 这样的时:分", field=field)
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_windows(value, *, field: str = "availability") -> list[dict]:
    """Windows from a list of {"weekday", "start", "end"} or from text, one per line or separated
    by ；/; : 「周六 09:00-12:00」 or 「6 09:00-12:00」 (1 = Monday … 7 = Sunday in text)."""
    if isinstance(value, str):
        items = []
        for part in re.split(r"[;；\n]+", value):
            part = part.strip().replace("～", "-").replace("~", "-").replace("—", "-").replace("–", "-").replace("至", "-")
            if not part:
                continue
            m = re.match(r"^(周[一二三四五六日天]|星期[一二三四五六日天]|[1-7])\s*(\d{1,2}[:：]\d{2})\s*-\s*(\d{1,2}[:：]\d{2})$", part)
            if not m:
                raise DomainError(f"时间段“{part}”看不懂，请写成“周六 09:00-12:00”", field=field)
            day = WEEKDAY_NAMES.get(m.group(1))
            items.append({"weekday": day if day is not None else int(m.group(1)) - 1, "start": m.group(2), "end": m.group(3)})
        value = items
    out = []
    for w in value or []:
        try:
            day = int(w.get("weekday"))
        except (TypeError, ValueError, AttributeError):
            raise DomainError("时间段的星期应为 0（周一）到 6（周日）", field=field) from None
        if not 0 <= day <= 6:
            raise DomainError("时间段的星期应为 0（周一）到 6（周日）", field=field)
        start, end = _hhmm(w.get("start", ""), field=field), _hhmm(w.get("end", ""), field=field)
        if end <= start:
            raise DomainError(f"时间段 {start}–{end} 的结束时间应晚于开始时间", field=field)
        out.append({"weekday": day, "start": start, "end": end})
    if len(out) > 50:
        raise DomainError("时间段最多 50 个", field=field)
    return sorted(out, key=lambda w: (w["weekday"], w["start"]))


def _area(area, alliance) -> CoBuildingArea | None:
    if area is None or area == "":
        return None
    if not isinstance(area, CoBuildingArea):
        area = CoBuildingArea.objects.filter(pk=area).first()
        if area is None:
            raise DomainError("共建领域不存在", field="area")
    if area.alliance_id != alliance.pk:
        raise DomainError(f"共建领域“{area.name}”不属于本联盟", field="area")
    return area


def _campaigns(campaigns, alliance) -> list[Campaign] | None:
    if campaigns is None:
        return None
    out = []
    for c in campaigns:
        if not isinstance(c, Campaign):
            c = Campaign.objects.filter(pk=c).first()
            if c is None:
                raise DomainError("专项行动不存在", field="campaigns")
        if c.alliance_id != alliance.pk:
            raise DomainError(f"专项行动“{c.name}”不属于本联盟", field="campaigns")
        out.append(c)
    return out


def _ct(obj):
    return ContentType.objects.get_for_model(obj, for_concrete_model=True)


# --- campaigns ---------------------------------------------------------------------------------

@transaction.atomic
def save_campaign(*, by, alliance: Alliance, campaign: Campaign | None = None, name: str, description: str = "",
                  starts_on=None, ends_on=None, active: bool = True, reason: str = "") -> Campaign:
    ensure_can(by, P.APPROVE_PROJECTS, alliance.core_organization, "只有联盟管理员可以设置专项行动")
    name = check_text(name, field="name", label="专项行动名称", max_len=60)
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError("结束日期应不早于开始日期", field="ends_on")
    if Campaign.objects.filter(alliance=alliance, name=name).exclude(pk=getattr(campaign, "pk", None)).exists():
        raise DomainError(f"专项行动“{name}”已存在", field="name")
    campaign = campaign or Campaign(alliance=alliance)
    created = campaign.pk is None
    campaign.name, campaign.description, campaign.starts_on, campaign.ends_on, campaign.active = name, (description or "").strip(), starts_on, ends_on, active
    campaign.save()
    events.record(actor=_user(by), verb="lists.campaign_created" if created else "lists.campaign_updated", target=campaign,
                  organization=alliance.core_organization, reason=reason, payload={"name": name})
    return campaign


# --- resources ---------------------------------------------------------------------------------

@transaction.atomic
def save_resource(*, by, unit: Organization, resource: Resource | None = None, kind: str, title: str, description: str = "",
                  capacity=1, availability, address: str = "", lng=None, lat=None, conditions: str = "", contact_name: str = "",
                  contact_phone: str = "", area=None, campaigns=None, reason: str = "") -> Resource:
    """Add a resource to a unit's list, or change one (then `unit` must be its unit).

    Refused: no availability window, zero capacity, unknown kind, nonsense text, a unit outside the alliance.
    """
    if unit is None:
        raise DomainError("请选择提供资源的单位", field="unit")
    ensure_can(by, P.MANAGE_RESOURCES, unit, f"{unit.name}不在您的组织范围内，不能维护它的资源清单")
    if resource is not None and resource.unit_id != unit.pk:
        raise DomainError("不能把资源改到另一个单位名下", field="unit")
    alliance = resource.alliance if resource is not None else alliance_for(unit)
    if alliance is None or not in_alliance(unit, alliance):
        raise DomainError(f"{unit.name}不是联盟成员单位，不能登记资源", field="unit")
    if kind not in ResourceKind.values:
        raise DomainError("请选择资源类型（场地、车位、专业服务、志愿服务、资金物资、就业岗位、培训）", field="kind")
    title = check_text(title, field="title", label="资源名称", max_len=80)
    description = check_text(description, field="description", label="资源说明", required=False)
    capacity = _int(capacity, field="capacity", label="数量或容量", low=1, high=QUANTITY_MAX)
    windows = parse_windows(availability, field="availability")
    if not windows:
        raise DomainError("请填写可用时间（至少一个时间段，如“周六 09:00-12:00”）；没有可用时间的资源不能登记", field="availability")
    lng, lat = _point(lng, lat)
    phone = (contact_phone or "").strip()
    if phone:
        phone = validate_phone(phone, field="contact_phone")
    area = _area(area, alliance)
    campaigns = _campaigns(campaigns, alliance)
    data = dict(kind=kind, title=title, description=description, capacity=capacity, availability=windows,
                address=(address or "").strip()[:200], lng=lng, lat=lat, conditions=(conditions or "").strip()[:2000],
                contact_name=(contact_name or "").strip()[:40], area=area)
    created = resource is None
    resource = resource or Resource(alliance=alliance, unit=unit, created_by=_user(by))
    before = {} if created else events.changes(resource, data)
    for key, value in data.items():
        setattr(resource, key, value)
    if phone or created:
        resource.contact_phone_enc = crypto.encrypt(phone)
        resource.contact_phone_hash = crypto.lookup_hash(phone)
        resource.contact_phone_masked = mask_phone(phone) if phone else ""
    resource.tokens = " ".join(matching.words(f"{title} {description} {KIND_ZH[kind]}"))
    resource.save()
    if campaigns is not None:
        resource.campaigns.set(campaigns)
    events.record(actor=_user(by), verb="lists.resource_added" if created else "lists.resource_updated", target=resource,
                  organization=unit, reason=reason,
                  payload={"kind": kind, "capacity": capacity, "windows": len(windows)} if created else {"changes": before})
    return resource


@transaction.atomic
def set_resource_status(*, by, resource: Resource, status: str, reason: str = "") -> Resource:
    ensure_can(by, P.MANAGE_RESOURCES, resource.unit, f"{resource.unit.name}不在您的组织范围内，不能维护它的资源清单")
    if status not in ResourceStatus.values:
        raise DomainError("资源状态无效", field="status")
    if status == resource.status:
        raise DomainError("资源已经是这个状态", field="status")
    if status == ResourceStatus.WITHDRAWN and not (reason or "").strip():
        raise DomainError("撤下资源请说明原因", field="reason")
    old = resource.status
    if Resource.objects.filter(pk=resource.pk, status=old).update(status=status, updated_at=timezone.now()) != 1:
        raise DomainError("资源状态已被他人修改，请刷新后重试", field="status")
    resource.status = status
    events.record(actor=_user(by), verb="lists.resource_status", target=resource, organization=resource.unit, reason=reason,
                  payload={"from": old, "to": status})
    return resource


@transaction.atomic
def reveal_resource_contact(*, by, resource: Resource) -> str:
    """The full contact phone, for staff who pair or manage; each read is recorded."""
    if not (has_perm(by, P.MANAGE_RESOURCES, resource.unit) or has_alliance_perm(by, P.RUN_MATCHING, resource.alliance)):
        raise PermissionDenied("只有资源所属单位或供需配对的工作人员可以查看完整联系电话")
    events.record(actor=_user(by), verb="lists.resource_contact_revealed", target=resource, organization=resource.unit)
    return crypto.decrypt(resource.contact_phone_enc)


# --- needs -------------------------------------------------------------------------------------

def _need_tokens(need: Need) -> str:
    extra = need.category.name if need.category is not None else ""  # the area is scored as its own part
    return " ".join(matching.words(f"{need.title} {need.description} {need.beneficiaries} {extra}"))


@transaction.atomic
def save_need(*, by, community: Organization, need: Need | None = None, title: str, description: str = "", beneficiaries: str = "",
              quantity=1, urgency: str = Urgency.NORMAL, area=None, category=None, grid=None, address: str = "", lng=None, lat=None,
              wanted_windows=None, campaigns=None, reason: str = "") -> Need:
    """Register a community's need, or change one. Refused: zero quantity, nonsense text, another community."""
    if community is None:
        raise DomainError("请选择社区", field="community")
    ensure_can(by, P.MANAGE_NEEDS, community, f"{community.name}不在您的组织范围内，不能登记它的需求")
    if community.kind not in (OrgKind.COMMUNITY_COMMITTEE, OrgKind.STREET_COMMITTEE) or community.archived_at is not None:
        raise DomainError(f"“{community.name}”不是社区，需求应由社区登记", field="community")
    if need is not None and need.community_id != community.pk:
        raise DomainError("不能把需求改到另一个社区名下", field="community")
    alliance = need.alliance if need is not None else alliance_for(community)
    if alliance is None:
        raise DomainError(f"{community.name}不属于任何党建联盟", field="community")
    title = check_text(title, field="title", label="需求名称", max_len=80)
    description = check_text(description, field="description", label="需求说明", required=False)
    if quantity in (None, ""):
        raise DomainError("请填写需求数量（大于 0）", field="quantity")
    quantity = _int(quantity, field="quantity", label="需求数量", low=1, high=QUANTITY_MAX)
    if urgency not in Urgency.values:
        raise DomainError("紧急程度无效", field="urgency")
    area = _area(area, alliance)
    if category is not None and category != "":
        from tongxin.orders.models import Category

        if not isinstance(category, Category):
            category = Category.objects.filter(pk=category).first()
        if category is None or category.alliance_id != alliance.pk:
            raise DomainError("分类不属于本联盟", field="category")
    else:
        category = None
    if grid is not None and grid.organization_id and not grid.organization.path.startswith(community.path):
        raise DomainError(f"网格“{grid.name}”不属于{community.name}", field="grid")
    lng, lat = _point(lng, lat)
    windows = parse_windows(wanted_windows or [], field="wanted_windows")
    campaigns = _campaigns(campaigns, alliance)
    data = dict(title=title, description=description, beneficiaries=(beneficiaries or "").strip()[:120], quantity=quantity, urgency=urgency,
                area=area, category=category, grid=grid, address=(address or "").strip()[:200], lng=lng, lat=lat, wanted_windows=windows)
    created = need is None
    need = need or Need(alliance=alliance, community=community, created_by=_user(by))
    before = {} if created else events.changes(need, data)
    for key, value in data.items():
        setattr(need, key, value)
    need.tokens = _need_tokens(need)
    need.save()
    if campaigns is not None:
        need.campaigns.set(campaigns)
    events.record(actor=_user(by), verb="lists.need_registered" if created else "lists.need_updated", target=need, organization=community,
                  reason=reason, payload={"quantity": quantity, "urgency": urgency} if created else {"changes": before})
    return need


def _need_transition(*, by, need: Need, allowed: set, to: str, verb: str, reason: str = "", needs_reason: bool = False) -> Need:
    ensure_can(by, P.MANAGE_NEEDS, need.community, f"{need.community.name}不在您的组织范围内，不能处理它的需求")
    if need.status not in allowed:
        raise DomainError(f"需求当前状态为“{need.get_status_display()}”，不能执行此操作", field="status")
    if needs_reason and not (reason or "").strip():
        raise DomainError("请说明原因", field="reason")
    if Need.objects.filter(pk=need.pk, status=need.status).update(status=to, updated_at=timezone.now()) != 1:
        raise DomainError("需求状态已被他人修改，请刷新后重试", field="status")
    old, need.status = need.status, to
    events.record(actor=_user(by), verb=verb, target=need, organization=need.community, reason=reason, payload={"from": old, "to": to})
    return need


@transaction.atomic
def confirm_need(*, by, need: Need, reason: str = "") -> Need:
    """Staff confirm a need Tongxin proposed from requests: it joins the open need list."""
    return _need_transition(by=by, need=need, allowed={NeedStatus.PROPOSED}, to=NeedStatus.OPEN, verb="lists.need_confirmed", reason=reason)


@transaction.atomic
def dismiss_need(*, by, need: Need, reason: str) -> Need:
    return _need_transition(by=by, need=need, allowed={NeedStatus.PROPOSED, NeedStatus.OPEN}, to=NeedStatus.DISMISSED,
                            verb="lists.need_dismissed", reason=reason, needs_reason=True)


@transaction.atomic
def close_need(*, by, need: Need, reason: str = "") -> Need:
    return _need_transition(by=by, need=need, allowed={NeedStatus.OPEN, NeedStatus.MATCHED}, to=NeedStatus.CLOSED,
                            verb="lists.need_closed", reason=reason)


@transaction.atomic
def propose_needs_from_requests(*, by, alliance: Alliance, days: int = 30, threshold: int = 3, as_of=None) -> list[Need]:
    """When `threshold` or more residents asked for the same category in one community (and grid)
    within `days`, propose one need linking those requests, with the count of people behind it.

    Only requests in the caller's MANAGE_NEEDS scope and not yet linked to a need are counted;
    the proposals wait for staff to confirm (confirm_need) or dismiss them.
    """
    from django.db.models import Count

    from tongxin.orders.models import ServiceRequest
    from tongxin.orders.models import Status as RS

    ensure_alliance_perm(by, P.MANAGE_NEEDS, alliance, "您的角色不能登记需求")
    days = _int(days, field="days", label="统计天数", low=1, high=365)
    threshold = _int(threshold, field="threshold", label="人数门槛", low=2, high=10_000)
    now = as_of or timezone.now()
    linked = Need.requests.through.objects.values("servicerequest_id")
    qs = (ServiceRequest.objects.filter(scope_q(by, P.MANAGE_NEEDS, "community__path"), alliance=alliance, category__isnull=False,
                                        created_at__gte=now - dt.timedelta(days=days), created_at__lte=now)
          .exclude(status__in=[RS.CANCELLED, RS.MERGED]).exclude(pk__in=linked))
    groups = qs.values("category_id", "community_id", "grid_id").annotate(n=Count("id")).filter(n__gte=threshold).order_by("-n")
    out = []
    for g in groups:
        reqs = list(qs.filter(category_id=g["category_id"], community_id=g["community_id"], grid_id=g["grid_id"])
                    .select_related("category", "community", "grid"))
        first = reqs[0]
        people = len({r.contact_phone_hash or f"r{r.pk}" for r in reqs})
        place = first.grid.name if first.grid_id else first.community.name
        texts = "；".join(r.title or r.text[:30] for r in reqs[:5])
        need = Need(alliance=alliance, community=first.community, title=f"{place}：{first.category.name}（{people} 人反映）"[:80],
                    description=f"近 {days} 天 {len(reqs)} 件工单：{texts}"[:TEXT_MAX], quantity=people, category=first.category,
                    grid=first.grid, status=NeedStatus.PROPOSED, source=NeedSource.REQUESTS, request_count=people,
                    created_by=_user(by))
        need.tokens = _need_tokens(need)
        need.save()
        need.requests.set(reqs)
        events.record(actor=_user(by), verb="lists.need_proposed", target=need, organization=first.community,
                      payload={"requests": [r.pk for r in reqs], "people": people, "days": days, "threshold": threshold})
        out.append(need)
    return out


# --- projects ----------------------------------------------------------------------------------

def _can_manage_project(user, project: Project) -> bool:
    return has_perm(user, P.MANAGE_PROJECTS, project.lead_unit) or has_perm(user, P.MANAGE_PROJECTS, project.alliance.core_organization)


def ensure_manage_project(user, project: Project) -> None:
    if not _can_manage_project(user, project):
        raise PermissionDenied(f"只有牵头单位（{project.lead_unit.name}）或联盟管理员可以修改这个项目")


@transaction.atomic
def create_project(*, by, alliance, title, lead_unit, description="", area=None, source="community", origin=None, reason="") -> Project:
    """Propose a co-building project (contract for meetings, deliberation and pairing). Status starts at "proposed".

    Anyone holding lists.projects within the alliance may propose; approval is the street's (lists.approve).
    """
    if alliance is None:
        raise DomainError("请选择党建联盟", field="alliance")
    ensure_alliance_perm(by, P.MANAGE_PROJECTS, alliance, "您的角色不能提出共建项目")
    if lead_unit is None:
        raise DomainError("请选择牵头单位", field="lead_unit")
    if not in_alliance(lead_unit, alliance):
        raise DomainError(f"“{lead_unit.name}”不是本联盟的成员单位，不能牵头项目", field="lead_unit")
    title = check_text(title, field="title", label="项目名称", max_len=100)
    description = check_text(description, field="description", label="项目说明", required=False)
    if source not in ProjectSource.values:
        raise DomainError("项目来源无效（调研、街道党工委、在职党员、成员单位、社区）", field="source")
    area = _area(area, alliance)
    project = Project(alliance=alliance, title=title, description=description, source=source, area=area, lead_unit=lead_unit,
                      created_by=_user(by))
    if origin is not None:
        project.origin_type, project.origin_id, project.origin_label = _ct(origin), str(origin.pk), str(origin)[:200]
    project.save()
    events.record(actor=_user(by), verb="lists.project_proposed", target=project, organization=lead_unit, reason=reason,
                  payload={"source": source, "origin": project.origin_label})
    _notify_project(project, verb="lists.project_proposed", title=f"新的共建项目待审批：{project.title}",
                    recipients=_approvers(alliance))
    return project


def _approvers(alliance):
    from tongxin.orders.services import users_with_roles

    return users_with_roles(alliance.core_organization, [Role.ALLIANCE_ADMIN])


def _unit_liaisons(unit):
    from tongxin.orders.services import users_with_roles

    return users_with_roles(unit, [Role.LIAISON])


def _notify_project(project: Project, *, verb: str, title: str, recipients) -> None:
    from tongxin.notify.services import notify

    recipients = [u for u in recipients if u is not None]
    if recipients:
        notify(recipients=recipients, verb=verb, title=title[:200], url=f"/lists/projects/{project.pk}/", target=project,
               organization=project.lead_unit, dedupe_key=f"{verb}:{project.pk}:{project.status}")


@transaction.atomic
def update_project(*, by, project: Project, reason: str = "", **data) -> Project:
    """Change title, description, source, area, budget, brand flag, participants, needs, resources, campaigns."""
    ensure_manage_project(by, project)
    if project.status in (ProjectStatus.REJECTED, ProjectStatus.EVALUATED):
        raise DomainError(f"项目已{workflow.STATUS_ZH[project.status]}，不能再修改", field="status")
    alliance = project.alliance
    fields = {}
    if "title" in data:
        fields["title"] = check_text(data["title"], field="title", label="项目名称", max_len=100)
    if "description" in data:
        fields["description"] = check_text(data["description"], field="description", label="项目说明", required=False)
    if "source" in data:
        if data["source"] not in ProjectSource.values:
            raise DomainError("项目来源无效", field="source")
        fields["source"] = data["source"]
    if "area" in data:
        fields["area"] = _area(data["area"], alliance)
    if "budget" in data:
        fields["budget"] = _money(data["budget"])
    if "brand" in data:
        if data["brand"] and not has_perm(by, P.APPROVE_PROJECTS, alliance.core_organization):
            raise PermissionDenied("品牌项目由联盟管理员认定")
        fields["brand"] = bool(data["brand"])
    participants = data.get("participants")
    if participants is not None:
        for unit in participants:
            if not in_alliance(unit, alliance):
                raise DomainError(f"“{unit.name}”不是本联盟的成员单位", field="participants")
    needs_ = data.get("needs")
    if needs_ is not None and any(n.alliance_id != alliance.pk for n in needs_):
        raise DomainError("关联的需求不属于本联盟", field="needs")
    resources_ = data.get("resources")
    if resources_ is not None and any(r.alliance_id != alliance.pk for r in resources_):
        raise DomainError("关联的资源不属于本联盟", field="resources")
    campaigns = _campaigns(data.get("campaigns"), alliance)
    before = events.changes(project, fields)
    for key, value in fields.items():
        setattr(project, key, value)
    project.save()
    links = {}
    for name, value in (("participants", participants), ("needs", needs_), ("resources", resources_), ("campaigns", campaigns)):
        if value is not None:
            getattr(project, name).set(value)
            links[name] = [v.pk for v in value]
    events.record(actor=_user(by), verb="lists.project_updated", target=project, organization=project.lead_unit, reason=reason,
                  payload={"changes": before, **links})
    return project


def _money(value):
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise DomainError(f"预算“{value}”不是金额", field="budget") from None
    if amount < 0:
        raise DomainError("预算不能为负数", field="budget")
    if amount >= Decimal("1e10"):
        raise DomainError("预算过大", field="budget")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def add_milestone(*, by, project: Project, title: str, due_on, note: str = "") -> Milestone:
    ensure_manage_project(by, project)
    if project.status in (ProjectStatus.REJECTED, ProjectStatus.COMPLETED, ProjectStatus.EVALUATED):
        raise DomainError(f"项目已{workflow.STATUS_ZH[project.status]}，不能再添加节点", field="status")
    title = check_text(title, field="title", label="节点名称", max_len=100)
    if not isinstance(due_on, dt.date):
        try:
            due_on = dt.date.fromisoformat(str(due_on))
        except ValueError:
            raise DomainError("请填写节点截止日期（如 2026-12-31）", field="due_on") from None
    ms = Milestone.objects.create(project=project, title=title, due_on=due_on, note=(note or "").strip()[:200])
    from .tasks import schedule_milestone

    schedule_milestone(ms)
    events.record(actor=_user(by), verb="lists.milestone_added", target=project, organization=project.lead_unit,
                  payload={"milestone": ms.pk, "title": title, "due_on": due_on.isoformat()})
    return ms


@transaction.atomic
def complete_milestone(*, by, milestone: Milestone, done_on=None, note: str = "") -> Milestone:
    project = milestone.project
    ensure_manage_project(by, project)
    if milestone.done_on is not None:
        raise DomainError(f"节点“{milestone.title}”已完成", field="milestone")
    done_on = done_on or timezone.localdate()
    if Milestone.objects.filter(pk=milestone.pk, done_on__isnull=True).update(done_on=done_on, note=(note or milestone.note)[:200]) != 1:
        raise DomainError("节点已被他人标记完成", field="milestone")
    milestone.done_on = done_on
    from .tasks import cancel_milestone

    cancel_milestone(milestone)
    events.record(actor=_user(by), verb="lists.milestone_done", target=project, organization=project.lead_unit,
                  payload={"milestone": milestone.pk, "title": milestone.title, "late": done_on > milestone.due_on})
    return milestone


def _clean_photos(files):
    from tongxin.orders.images import check_count, clean_image

    return [clean_image(f) for f in check_count(files)]


def _save_photos(project, cleaned, by):
    for content, width, height in cleaned:
        photo = ProjectPhoto(project=project, width=width, height=height, uploaded_by=_user(by))
        photo.image.save(content.name, content, save=False)
        photo.save()


@transaction.atomic
def transition(*, by, project: Project, action: str, reason: str = "", outcome: str = "", beneficiaries=None, figures=None,
               photos=(), evaluation: str = "", rating=None) -> Project:
    """Move a project one step along workflow.TRANSITIONS (compare-and-set on the status).

    complete: needs the outcome text and the number of beneficiaries; figures {label: number}; photos checked
    like the orders photos. evaluate: an evaluation text and a 1–5 rating.
    """
    step = workflow.step_for(project.status, action)
    if action not in workflow.ACTION_ZH:
        raise DomainError(f"未知操作“{action}”", field="action")
    approver_action = action in ("approve", "reject", "evaluate")
    allowed = has_perm(by, P.APPROVE_PROJECTS, project.alliance.core_organization) if approver_action else _can_manage_project(by, project)
    if not allowed:
        who = workflow.WHO_ZH[workflow.APPROVER if approver_action else workflow.MANAGER]
        raise PermissionDenied(f"只有{who}可以{workflow.ACTION_ZH[action]}这个项目")
    if step is None:
        raise DomainError(workflow.wrong_state(project.status, action), field="status")
    reason = (reason or "").strip()
    if step.needs_reason and not reason:
        raise DomainError(f"{workflow.ACTION_ZH[action]}项目请说明原因", field="reason")
    now = timezone.now()
    extra: dict = {}
    cleaned = []
    if action == "approve":
        extra["approved_at"] = now
    elif action == "start":
        extra["started_at"] = now
    elif action == "complete":
        outcome = check_text(outcome, field="outcome", label="项目成效")
        if beneficiaries in (None, ""):
            raise DomainError("请填写受益人数", field="beneficiaries")
        extra["beneficiaries"] = _int(beneficiaries, field="beneficiaries", label="受益人数", low=0, high=10_000_000)
        extra["outcome"] = outcome
        extra["figures"] = _figures(figures)
        extra["completed_at"] = now
        cleaned = _clean_photos(photos)
    elif action == "evaluate":
        extra["evaluation"] = check_text(evaluation, field="evaluation", label="评估意见")
        extra["rating"] = _int(rating, field="rating", label="评分", low=1, high=5)
        extra["evaluated_at"] = now
    if reason:
        extra["last_reason"] = reason[:300]
    old = project.status
    if Project.objects.filter(pk=project.pk, status=old).update(status=step.to, updated_at=now, **extra) != 1:
        raise DomainError("项目状态已被他人修改，请刷新后重试", field="status")
    project.refresh_from_db()
    if cleaned:
        _save_photos(project, cleaned, by)
    events.record(actor=_user(by), verb=f"lists.project_{action}", target=project, organization=project.lead_unit, reason=reason,
                  payload={"from": old, "to": step.to, **({"beneficiaries": extra["beneficiaries"], "photos": len(cleaned)} if action == "complete" else {}),
                           **({"rating": extra["rating"]} if action == "evaluate" else {})})
    if action in ("approve", "reject"):
        _notify_project(project, verb=f"lists.project_{action}",
                        title=f"共建项目“{project.title}”{workflow.STATUS_ZH[step.to]}" + (f"：{reason}" if reason else ""),
                        recipients=_unit_liaisons(project.lead_unit) + ([project.created_by] if project.created_by_id else []))
    if action == "complete":
        for need in project.needs.filter(status__in=[NeedStatus.OPEN, NeedStatus.MATCHED]):
            Need.objects.filter(pk=need.pk).update(status=NeedStatus.CLOSED)
            events.record(actor=_user(by), verb="lists.need_closed", target=need, organization=need.community,
                          reason=f"项目“{project.title}”已完成", payload={"project": project.pk})
    return project


def _figures(figures) -> dict:
    if figures in (None, "", {}):
        return {}
    if isinstance(figures, str):
        out = {}
        for line in re.split(r"[\n;；]+", figures):
            line = line.strip()
            if not line:
                continue
            m = re.match(r"^(.+?)[:：=\s]\s*(-?\d+(?:\.\d+)?)\s*$", line)
            if not m:
                raise DomainError(f"成效数据“{line}”看不懂，请写成“服务人次：120”", field="figures")
            out[m.group(1).strip()[:40]] = float(m.group(2)) if "." in m.group(2) else int(m.group(2))
        return out
    if not isinstance(figures, dict):
        raise DomainError("成效数据应为“名称：数字”", field="figures")
    out = {}
    for key, value in figures.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise DomainError(f"成效数据“{key}”应为数字", field="figures")
        out[str(key).strip()[:40]] = value
    return out


@transaction.atomic
def add_project_photos(*, by, project: Project, photos) -> int:
    ensure_manage_project(by, project)
    cleaned = _clean_photos(photos)
    if not cleaned:
        raise DomainError("请选择要上传的照片", field="photos")
    if project.photos.count() + len(cleaned) > 12:
        raise DomainError("每个项目最多 12 张照片", field="photos")
    _save_photos(project, cleaned, by)
    events.record(actor=_user(by), verb="lists.project_photos", target=project, organization=project.lead_unit, payload={"photos": len(cleaned)})
    return len(cleaned)


# --- matching and pairing sessions ------------------------------------------------------------

def unit_records(unit_ids) -> dict[int, tuple[int, int]]:
    """(completed projects led or joined, finished requests) per unit: the "past record" part of the score."""
    from django.db.models import Count

    from tongxin.orders.models import CLOSED_STATUSES, ServiceRequest

    unit_ids = list(set(unit_ids))
    led = dict(Project.objects.filter(lead_unit_id__in=unit_ids, status__in=workflow.DONE).values_list("lead_unit_id").annotate(n=Count("id")))
    joined = dict(Project.participants.through.objects.filter(organization_id__in=unit_ids, project__status__in=workflow.DONE)
                  .values_list("organization_id").annotate(n=Count("id")))
    done = dict(ServiceRequest.objects.filter(assigned_unit_id__in=unit_ids, status__in=list(CLOSED_STATUSES))
                .values_list("assigned_unit_id").annotate(n=Count("id")))
    return {u: (led.get(u, 0) + joined.get(u, 0), done.get(u, 0)) for u in unit_ids}


def need_side(needs) -> matching.Side:
    return matching.Side.build(ids=[n.pk for n in needs], docs=[n.tokens for n in needs], area=[n.area_id for n in needs],
                               lng=[n.lng for n in needs], lat=[n.lat for n in needs], amount=[n.quantity for n in needs],
                               windows=[n.wanted_windows for n in needs])


def resource_side(resources) -> matching.Side:
    records = unit_records(r.unit_id for r in resources)
    return matching.Side.build(ids=[r.pk for r in resources], docs=[r.tokens for r in resources], area=[r.area_id for r in resources],
                               lng=[r.lng for r in resources], lat=[r.lat for r in resources], amount=[r.capacity for r in resources],
                               windows=[r.availability for r in resources], record_counts=[records[r.unit_id] for r in resources])


def explain_pair(need: Need, resource: Resource, ns: matching.Side, rs: matching.Side, parts, i: int, j: int) -> dict:
    area_name = need.area.name if need.area_id else None
    return matching.explain(ns.docs[0] if len(ns) == 1 else need.tokens, resource.tokens, parts, i, need_amount=need.quantity,
                            resource_amount=resource.capacity, area_name=area_name, record_counts=rs.record_counts[j],
                            resource_windows=resource.availability, need_windows=need.wanted_windows)


def score_pair(need: Need, resource: Resource, resources_pool=None) -> dict:
    """The score and explanation of one pair, against the pool's vocabulary (all active resources of the alliance)."""
    pool = list(resources_pool) if resources_pool is not None else list(
        Resource.objects.filter(alliance=need.alliance, status=ResourceStatus.ACTIVE).select_related("area"))
    if resource.pk not in {r.pk for r in pool}:
        pool.append(resource)
    ns, rs = need_side([need]), resource_side(pool)
    Xn, Xr = matching.vectorise(ns, rs)
    j = [r.pk for r in pool].index(resource.pk)
    text = (Xn @ Xr[j].T).toarray().ravel()
    parts = matching.pair_parts(ns, rs, np.zeros(1, dtype=np.int64), np.array([j]), text)
    return explain_pair(need, resource, ns, rs, parts, 0, j)


@transaction.atomic
def run_pairing_session(*, by, alliance: Alliance, title: str = "", k: int = 5) -> PairingSession:
    """供需配对会: every open need in the caller's scope × every active resource of the alliance; the optimal
    assignment (matching.assign) over each need's k best candidates becomes the proposed pairs."""
    ensure_alliance_perm(by, P.RUN_MATCHING, alliance, "您的角色不能召开供需配对会")
    k = _int(k, field="k", label="每个需求的候选数", low=1, high=50)
    needs = list(Need.objects.filter(scope_q(by, P.RUN_MATCHING, "community__path"), alliance=alliance, status=NeedStatus.OPEN)
                 .select_related("area").order_by("id"))
    resources = list(Resource.objects.filter(alliance=alliance, status=ResourceStatus.ACTIVE).select_related("area", "unit").order_by("id"))
    if not needs:
        raise DomainError("没有待配对的需求（状态为“待对接”的需求）", field="needs")
    if not resources:
        raise DomainError("资源清单里没有可用的资源", field="resources")
    ns, rs = need_side(needs), resource_side(resources)
    rows, cols, parts, score = matching.top_k(ns, rs, k=k)
    keep = score >= matching.MIN_SCORE
    rows, cols, score = rows[keep], cols[keep], score[keep]
    parts = {key: v[keep] for key, v in parts.items()}
    x, total_score = matching.assign(rows, cols, score, ns.amount, rs.amount)
    session = PairingSession.objects.create(alliance=alliance, title=(title or "").strip()[:100] or f"供需配对会 {timezone.localdate():%Y-%m-%d}",
                                            created_by=_user(by), needs_count=len(needs), resources_count=len(resources),
                                            total_score=round(total_score, 4))
    pairs = []
    for e in np.flatnonzero(x > 0):
        need, resource = needs[rows[e]], resources[cols[e]]
        exp = explain_pair(need, resource, ns, rs, parts, e, cols[e])
        pairs.append(Pair(session=session, need=need, resource=resource, units=int(x[e]), score=round(float(score[e]), 4), explanation=exp))
    Pair.objects.bulk_create(pairs)
    covered = {p.need_id for p in pairs}
    session.stats = {"candidates": int(len(rows)), "pairs": len(pairs), "needs_covered": len(covered),
                     "units": int(x.sum()), "units_wanted": int(ns.amount.sum()), "k": k}
    session.save(update_fields=["stats"])
    events.record(actor=_user(by), verb="lists.pairing_session_run", target=session, organization=alliance.core_organization,
                  payload=session.stats | {"total_score": session.total_score})
    return session


def _ensure_pair(by, pair: Pair) -> None:
    ensure_can(by, P.RUN_MATCHING, pair.need.community, f"{pair.need.community.name}不在您的组织范围内，不能决定这个配对")
    if pair.status != PairStatus.PROPOSED:
        raise DomainError(f"这个配对已{pair.get_status_display()}，不能再改", field="status")


@transaction.atomic
def change_pair(*, by, pair: Pair, resource: Resource, reason: str = "") -> Pair:
    """Staff put another resource against the need; the score and explanation are recomputed."""
    _ensure_pair(by, pair)
    if resource.alliance_id != pair.need.alliance_id:
        raise DomainError("资源不属于本联盟", field="resource")
    if resource.status != ResourceStatus.ACTIVE:
        raise DomainError(f"资源“{resource.title}”当前不可用", field="resource")
    if resource.pk == pair.resource_id:
        raise DomainError("这就是当前配对的资源", field="resource")
    if Pair.objects.filter(session=pair.session, need=pair.need, resource=resource).exclude(pk=pair.pk).exists():
        raise DomainError("本次配对会里这个需求已和该资源配对", field="resource")
    old = pair.resource
    exp = score_pair(pair.need, resource)
    pair.proposed_resource = pair.proposed_resource or old
    pair.resource, pair.score, pair.explanation = resource, exp["score"], exp
    pair.units = max(1, min(pair.units, resource.capacity))
    pair.save()
    events.record(actor=_user(by), verb="lists.pair_changed", target=pair.need, organization=pair.need.community, reason=reason,
                  payload={"session": pair.session_id, "from": old.pk, "to": resource.pk, "score": pair.score})
    return pair


@transaction.atomic
def reject_pair(*, by, pair: Pair, reason: str = "") -> Pair:
    _ensure_pair(by, pair)
    if Pair.objects.filter(pk=pair.pk, status=PairStatus.PROPOSED).update(status=PairStatus.REJECTED, decided_by=_user(by),
                                                                           decided_at=timezone.now()) != 1:
        raise DomainError("这个配对已被他人处理", field="status")
    pair.status = PairStatus.REJECTED
    events.record(actor=_user(by), verb="lists.pair_rejected", target=pair.need, organization=pair.need.community, reason=reason,
                  payload={"session": pair.session_id, "resource": pair.resource_id})
    return pair


@transaction.atomic
def accept_pair(*, by, pair: Pair, into: str = "project", reason: str = ""):
    """Accept a pair and turn it into a co-building project (create_project, led by the resource's unit)
    or a request on the community's behalf (orders.submit_request, dispatched to that unit). Both sides link to it."""
    _ensure_pair(by, pair)
    if into not in ("project", "request"):
        raise DomainError("请选择转为共建项目或工单", field="into")
    if Pair.objects.filter(pk=pair.pk, status=PairStatus.PROPOSED).update(status=PairStatus.ACCEPTED, decided_by=_user(by),
                                                                           decided_at=timezone.now()) != 1:
        raise DomainError("这个配对已被他人处理", field="status")
    pair.status = PairStatus.ACCEPTED
    need, resource = pair.need, pair.resource
    if into == "project":
        outcome = create_project(by=by, alliance=need.alliance, title=need.title, lead_unit=resource.unit,
                                 description=f"{need.description}\n\n配对资源：{resource.title}（{resource.unit.name}）".strip(),
                                 area=need.area or resource.area, source=ProjectSource.COMMUNITY, origin=pair, reason=reason)
        outcome.needs.add(need)
        outcome.resources.add(resource)
        outcome.campaigns.add(*need.campaigns.all(), *resource.campaigns.all())
    else:
        outcome = _request_for_pair(by=by, pair=pair)
    Pair.objects.filter(pk=pair.pk).update(outcome_type=_ct(outcome), outcome_id=str(outcome.pk))
    pair.outcome_type, pair.outcome_id = _ct(outcome), str(outcome.pk)
    accepted = Pair.objects.filter(need=need, status=PairStatus.ACCEPTED).aggregate(u=Sum("units"))["u"] or 0
    if need.status == NeedStatus.OPEN and accepted >= need.quantity:
        Need.objects.filter(pk=need.pk, status=NeedStatus.OPEN).update(status=NeedStatus.MATCHED)
        need.status = NeedStatus.MATCHED
    label = "共建项目" if into == "project" else "工单"
    for target, org in ((need, need.community), (resource, resource.unit)):
        events.record(actor=_user(by), verb="lists.pair_accepted", target=target, organization=org, reason=reason,
                      payload={"session": pair.session_id, "need": need.pk, "resource": resource.pk, "units": pair.units,
                               "into": into, "outcome": outcome.pk, "label": f"{label}：{outcome}"})
    return outcome


def _request_for_pair(*, by, pair: Pair):
    from tongxin.orders import services as orders
    from tongxin.orders.models import Channel, Kind

    need, resource = pair.need, pair.resource
    text = f"{need.title}。{need.description}".strip("。 ") + f"。配对资源：{resource.title}（{resource.unit.name}），数量 {pair.units}。"
    req = orders.submit_request(by=by, text=text[:orders.TEXT_MAX], kind=Kind.PRACTICAL, community=need.community, category=need.category,
                                title=need.title[:80], grid=need.grid, address=need.address, channel=Channel.VISIT)
    try:
        with transaction.atomic():
            orders.dispatch(req=req, by=by, unit=resource.unit, note=f"供需配对会：{pair.session}")
    except DomainError:
        pass  # e.g. no category could be found: the request waits in the dispatcher's inbox
    req.refresh_from_db()
    return req
