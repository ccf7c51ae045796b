"""Writes of the service loop. Every status change goes through transition(), which checks the
one transition table (workflow.py), changes the status with a compare-and-set UPDATE, and
writes both the timeline row (RequestEvent) and the audit Event.

Services take keyword-only arguments, run inside transaction.atomic and raise DomainError with
a Chinese message naming the field at fault.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.models import Role, User
from tongxin.accounts.scope import ensure_can, has_perm
from tongxin.audit import events
from tongxin.audit.models import SensitiveRead
from tongxin.core import crypto
from tongxin.core.db import insert_linked
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.core.text import search_blob
from tongxin.core.validators import mask_phone, validate_phone
from tongxin.notify.services import inbox_rows
from tongxin.orgs.models import Alliance, AllianceMembership, Organization, OrgKind

from . import memo, workflow
from .defaults import DEFAULT_CATEGORIES
from .images import check_count, clean_image
from .models import Category, Channel, Kind, RequestEvent, RequestPhoto, ServiceRequest, Stage, Status
from .suggest import community_of, suggest

TEXT_MAX = 2000
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# Choices.values builds a new list on every access; submission checks these on the hot path.
logger = logging.getLogger(__name__)
_KINDS, _CHANNELS = frozenset(Kind.values), frozenset(Channel.values)
# Stored notification titles are Chinese whatever the submitter's page language.
_NEW_TITLES = {Kind.SERVICE: "新点单", Kind.WISH: "新微心愿", Kind.GRID_REPORT: "新网格上报", Kind.PRACTICAL: "新办实事任务"}
# How staff entered a request, on its timeline (stored text: Chinese).
_ENTERED_AS = {Channel.PHONE: "电话受理", Channel.VISIT: "来访受理", Channel.PATROL: "巡查上报"}
UNSATISFIED = 2  # a rating at or below this is "unsatisfied"
SATISFIED = 4  # a rating at or above this counts as satisfied in the figures


# --- helpers -----------------------------------------------------------------------------------

def alliance_for(org: Organization | None) -> Alliance | None:
    """The alliance an organisation works in: its active membership, else the alliance whose core is above it."""
    if org is None:
        return None
    return memo.get(("alliance_for", org.pk, org.path), lambda: _alliance_for(org))


def _alliance_for(org: Organization) -> Alliance | None:
    ms = AllianceMembership.objects.filter(organization=org, left_on__isnull=True).select_related("alliance").first()
    if ms is not None:
        return ms.alliance
    for alliance in Alliance.objects.select_related("core_organization").order_by("id"):
        if org.path.startswith(alliance.core_organization.path):
            return alliance
    return None


def _tracking_number() -> str:
    return "TX" + timezone.localdate().strftime("%y%m%d") + "".join(secrets.choice(_ALPHABET) for _ in range(5))


def _idem_key(user, key: str) -> str | None:
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > 200:
        raise DomainError("幂等键过长（最多 200 个字符）", field="idempotency_key")
    owner = f"u{user.pk}" if user is not None else "anon"
    return hashlib.sha256(f"{owner}:{key}".encode()).hexdigest()


def _user(by):
    return by if by is not None and getattr(by, "is_authenticated", False) and by.pk else None


def actor_label(by, actors: set[str] | None = None) -> str:
    """The name on the timeline; the resident appears as "提交人", never by name (units read the timeline)."""
    if actors and set(actors) == {workflow.RESIDENT}:
        return "提交人"
    if by is None or not getattr(by, "pk", None):
        return "系统"
    name = by.person.name if getattr(by, "person_id", None) else by.username
    return name[:80]


def users_with_roles(org: Organization, roles, *, cached: bool = False) -> list[User]:
    """Active users holding one of `roles` at `org` itself (cached: memoised briefly, for notifications)."""
    if cached:
        return memo.get(("roles", org.pk, tuple(sorted(roles))), lambda: users_with_roles(org, roles))
    return list(User.objects.filter(role_assignments__organization=org, role_assignments__role__in=list(roles),
                                    is_active=True).distinct())


def _notify(*, recipients, title: str, body: str = "", req: ServiceRequest, verb: str, dedupe_key: str = "",
            resident: bool = False) -> None:
    """In-app notification; the resident's link is the tracking page, staff get the work page."""
    from tongxin.notify.services import notify

    recipients = [u for u in recipients if u is not None]
    if recipients:
        url = f"/orders/t/{req.tracking_number}/" if resident else f"/orders/{req.pk}/"
        notify(recipients=recipients, verb=verb, title=title, body=body, url=url, target=req,
               organization=req.community, dedupe_key=dedupe_key)
    if resident and req.kind == Kind.GRID_REPORT and req.entered_by_id:
        # The grid worker who reported it follows it like a resident does, on the work page.
        notify(recipients=[req.entered_by], verb=verb, title=title, body=body, url=f"/orders/{req.pk}/", target=req,
               organization=req.community, dedupe_key=dedupe_key)


def _schedule(kind: str, due_at, req: ServiceRequest, suffix: str) -> None:
    from tongxin.notify import scheduler

    if due_at is not None:
        scheduler.schedule(kind=kind, due_at=due_at, target=req, dedupe_key=f"order:{req.pk}:{suffix}")


def _unschedule(kind: str, req: ServiceRequest) -> None:
    from tongxin.notify import scheduler

    scheduler.cancel(kind=kind, target=req)


def deadlines(category: Category, start) -> tuple:
    from tongxin.core import workcalendar

    return workcalendar.add_working_hours(start, category.accept_hours), workcalendar.add_working_days(start, category.finish_days)


def _save_photos(req: ServiceRequest, cleaned, *, stage: str, by, event: RequestEvent | None = None) -> list[RequestPhoto]:
    out = []
    for content, width, height in cleaned:
        photo = RequestPhoto(request=req, event=event, stage=stage, width=width, height=height, uploaded_by=_user(by))
        photo.image.save(content.name, content, save=False)
        photo.save()
        out.append(photo)
    return out


def _clean_photos(files) -> list:
    return [clean_image(f) for f in check_count(files)]


# --- categories --------------------------------------------------------------------------------

@transaction.atomic
def seed_categories(*, alliance: Alliance, by=None) -> list[Category]:
    """Create the default category set for an alliance; existing codes are left as they are."""
    existing = set(Category.objects.filter(alliance=alliance).values_list("code", flat=True))
    created = []
    for sort, (code, name, hours, days, keywords) in enumerate(DEFAULT_CATEGORIES):
        if code in existing:
            continue
        created.append(Category.objects.create(alliance=alliance, code=code, name=name, accept_hours=hours, finish_days=days,
                                               keywords=keywords, sort=(sort + 1) * 10))
    if created:
        events.record(actor=_user(by), verb="order_categories.seeded", target=alliance, organization=alliance.core_organization,
                      payload={"codes": [c.code for c in created]})
    return created


def ensure_categories(alliance: Alliance | None) -> None:
    if alliance is not None and not active_categories(alliance) and not Category.objects.filter(alliance=alliance).exists():
        seed_categories(alliance=alliance)
        memo.clear()


def active_categories(alliance: Alliance) -> list[Category]:
    """The alliance's active categories with their default units (memoised briefly: read on every submission)."""
    return memo.get(("categories", alliance.pk), lambda: list(
        Category.objects.filter(alliance=alliance, active=True).select_related("default_unit").order_by("sort", "id")))


@transaction.atomic
def save_category(*, alliance: Alliance, by, category: Category | None = None, reason: str = "", **data) -> Category:
    ensure_can(by, P.MANAGE_CATEGORIES, alliance.core_organization, "只有联盟管理员可以设置分类")
    name = (data.get("name") or (category.name if category else "")).strip()
    if not name:
        raise DomainError("请填写分类名称", field="name")
    code = (data.get("code") or (category.code if category else "")).strip()
    if category is not None and category.pk and code != category.code:
        # The code is the Open311 service_code that integrations keep: it stays as first saved.
        raise DomainError(f"分类代码保存后不能修改（现为“{category.code}”，对接系统用它识别分类）", field="code")
    if not re.fullmatch(r"[a-z0-9_\-]{1,40}", code):
        raise DomainError("分类代码只能包含小写字母、数字、下划线和连字符", field="code")
    for fld, label, top in (("accept_hours", "接单时限（工作小时）", 720), ("finish_days", "办结时限（工作日）", 365)):
        if fld in data:
            try:
                value = int(data[fld])
            except (TypeError, ValueError):
                raise DomainError(f"{label}应为整数", field=fld) from None
            if not 1 <= value <= top:
                raise DomainError(f"{label}应在 1 到 {top} 之间", field=fld)
            data[fld] = value
    unit = data.get("default_unit")
    if unit is not None and not takes_orders(unit, alliance):
        raise DomainError(f"“{unit.name}”不能承办工单：请选择本联盟的成员单位或社区", field="default_unit")
    if Category.objects.filter(alliance=alliance, code=code).exclude(pk=getattr(category, "pk", None)).exists():
        raise DomainError(f"分类代码“{code}”已被使用", field="code")
    category = category or Category(alliance=alliance)
    before = events.changes(category, data) if category.pk else {}
    category.name, category.code = name[:40], code
    for key in ("description", "accept_hours", "finish_days", "default_unit", "keywords", "active", "sort"):
        if key in data:
            setattr(category, key, data[key])
    category.save()
    events.record(actor=by, verb="order_category.saved", target=category, organization=alliance.core_organization,
                  reason=reason, payload=before)
    return category


def in_alliance(unit: Organization, alliance: Alliance | None) -> bool:
    """Is `unit` part of the alliance: a member, or one of the core organisation's own teams and
    committees? (Agreements, projects and deliberation ask this too.)"""
    if alliance is None or unit.archived_at is not None:
        return False
    if AllianceMembership.objects.filter(alliance=alliance, organization=unit, left_on__isnull=True).exists():
        return True
    # Internal teams and committees: anything in the core organisation's own tree.
    return unit.path.startswith(alliance.core_organization.path) and unit.kind in (
        OrgKind.VOLUNTEER_TEAM, OrgKind.COMMUNITY_COMMITTEE, OrgKind.STREET_COMMITTEE, OrgKind.JOINT_COMMITTEE,
    )


def takes_orders(unit: Organization, alliance: Alliance | None) -> bool:
    """May `unit` be sent the alliance's requests? Part of the alliance, and not a joint committee:
    it convenes the alliance, nobody there accepts or handles a request, so one sent there waited for ever."""
    return unit.kind != OrgKind.JOINT_COMMITTEE and in_alliance(unit, alliance)


# --- intake ------------------------------------------------------------------------------------

def _resolve_place(*, community, grid, lng, lat, user):
    from tongxin.grids.selectors import locate, parse_point

    has_lng, has_lat = lng not in (None, ""), lat not in (None, "")
    if has_lng != has_lat:
        raise DomainError("请同时提供经度和纬度", field="lat" if has_lng else "lng")
    if has_lng:
        lng, lat = parse_point(lng, lat)
        if grid is None:
            grid = locate(lng, lat)
    else:
        lng = lat = None
    if grid is not None:
        grid_community = community_of(grid.organization)
        if community is not None and grid_community is not None and grid_community.pk != community.pk:
            raise DomainError(f"网格“{grid.name}”不属于{community.name}", field="grid")
        community = community or grid_community
    if community is None and user is not None and getattr(user, "person_id", None) and user.person.community_id:
        community = user.person.community
    if community is None:
        raise DomainError("请选择所在社区，或在地图上标出位置", field="community")
    if community.kind not in (OrgKind.COMMUNITY_COMMITTEE, OrgKind.STREET_COMMITTEE) or community.archived_at is not None:
        raise DomainError(f"“{community.name}”不是社区，请选择所在社区", field="community")
    return community, grid, lng, lat


def submit_request(*, by=None, text: str, kind: str = Kind.SERVICE, community: Organization | None = None,
                   category: Category | None = None, title: str = "", lng=None, lat=None, grid=None, address: str = "",
                   contact_name: str = "", contact_phone: str = "", photos=(), idempotency_key: str = "",
                   channel: str = Channel.WEB) -> ServiceRequest:
    """Place a request (点单), a micro-wish, a grid report or a practical task.

    A retried call with the same idempotency key (from the same user) returns the first request.
    Staff entering on a resident's behalf use channel "phone" or "visit"; grid reports and
    practical tasks need the orders.enter permission over the community.
    """
    user = _user(by)
    key = _idem_key(user, idempotency_key)
    # A retried key is found by the unique index when the insert below fails, not by a read
    # here: retries are rare, and the read cost every first submission a query.
    if kind not in _KINDS:
        raise DomainError(f"类型“{kind}”无效", field="kind")
    if channel not in _CHANNELS:
        raise DomainError(f"渠道“{channel}”无效", field="channel")
    text = (text or "").strip()
    if len(text) < 2:
        raise DomainError("请描述您的诉求（至少 2 个字）", field="text")
    if len(text) > TEXT_MAX:
        raise DomainError(f"描述不能超过 {TEXT_MAX} 字，现在是 {len(text)} 字", field="text")
    community, grid, lng, lat = _resolve_place(community=community, grid=grid, lng=lng, lat=lat, user=user)
    on_behalf = channel in (Channel.PHONE, Channel.VISIT, Channel.PATROL) or kind in (Kind.GRID_REPORT, Kind.PRACTICAL)
    if on_behalf:
        if user is None:
            raise PermissionDenied("请先登录：代居民登记、网格上报和办实事任务只能由工作人员提交")
        if not has_perm(user, P.ENTER_ORDERS, community):
            if has_perm(user, P.ENTER_ORDERS):
                raise PermissionDenied(f"{community.name}不在您的组织范围内，不能为其登记工单")
            raise PermissionDenied("您的角色不能代居民登记或网格上报")
    alliance = alliance_for(community)
    ensure_categories(alliance)
    if category is not None and category.alliance_id != getattr(alliance, "pk", None):
        raise DomainError(f"分类“{category.name}”不属于本联盟", field="category")
    if category is not None and not category.active:
        raise DomainError(f"分类“{category.name}”已停用", field="category")
    contact_name = (contact_name or "").strip()[:40]
    contact_phone = (contact_phone or "").strip()
    if not on_behalf and user is not None and getattr(user, "person_id", None) and not contact_phone:
        contact_name = contact_name or user.person.name
        contact_phone = crypto.decrypt(user.person.phone_enc)
    if contact_phone:
        contact_phone = validate_phone(contact_phone, field="contact_phone")
    elif kind in (Kind.SERVICE, Kind.WISH) and (user is None or on_behalf):
        raise DomainError("请留下联系电话，以便承办单位联系您", field="contact_phone")
    cleaned = _clean_photos(photos)
    hint = suggest(text=f"{title} {text}", alliance=alliance, community=community, grid=grid, lng=lng, lat=lat)

    fields = dict(
        kind=kind, access_key=secrets.token_urlsafe(16)[:22], alliance=alliance, category=category,
        suggested_category=hint["category"], title=(title or "").strip()[:80], text=text, channel=channel,
        lng=lng, lat=lat, grid=grid, address=(address or "").strip()[:200], contact_name=contact_name,
        contact_phone_enc=crypto.encrypt(contact_phone), contact_phone_hash=crypto.lookup_hash(contact_phone),
        contact_phone_masked=mask_phone(contact_phone) if contact_phone else "",
        submitter=user if not on_behalf else None, entered_by=user if on_behalf else None,
        community=community, idempotency_key=key,
        suggestion={"category_id": getattr(hint["category"], "pk", None), "unit_id": getattr(hint["unit"], "pk", None),
                    "reasons": hint["reasons"]},
    )
    # The request's INSERT is the first statement, so a clash on the tracking number or the
    # idempotency key rolls back nothing else; the whole transaction is retried without a savepoint.
    for _attempt in range(5):
        try:
            with transaction.atomic():
                number = _tracking_number()
                req = ServiceRequest(tracking_number=number, search_text=search_blob(number, fields["title"], text), **fields)
                # A resident is "提交人" on the timeline; staff entering for someone are named, with the channel.
                label = (f"{actor_label(user)}（{_ENTERED_AS.get(channel, '代为登记')}）" if on_behalf and user is not None
                         else actor_label(user, {workflow.RESIDENT}))
                ev = RequestEvent(actor=user, actor_label=label[:80], verb="submitted",
                                  to_status=Status.SUBMITTED, payload={"channel": channel, "kind": kind})
                audit = events.build(actor=user, verb="order.submitted", target=req, organization=community,
                                     payload={"kind": kind, "channel": channel, "tracking_number": number})
                # The community's dispatchers are told in the same statement, so their link goes by
                # the tracking number: the request has no id yet (decisions #17).
                notes = inbox_rows(recipients=users_with_roles(community, [Role.DISPATCHER], cached=True),
                                   verb="order.submitted", title=f"{_NEW_TITLES.get(kind, '新工单')}：{req.display_title}",
                                   body=f"编号 {number}，请及时派单。", url=f"/orders/go/{number}/", target=req,
                                   organization=community)
                # One statement for all the rows on PostgreSQL: the hot write of the loop (decisions #15).
                insert_linked(req, (ev, "request"), (audit, "target_id"), *((n, "target_id") for n in notes))
                _save_photos(req, cleaned, stage=Stage.REPORT, by=user, event=ev)
            return req
        except IntegrityError as exc:
            if key:
                existing = ServiceRequest.objects.filter(idempotency_key=key).first()
                if existing is not None:
                    return existing  # a retry (or a concurrent twin) of the same submission won
            clash = exc
    # Five clashes in a row are not bad luck with tracking numbers: say what the database said.
    logger.error("submission refused after five integrity errors, the last: %s", clash)  # pragma: no cover
    raise DomainError("系统繁忙，请稍后重试", code="busy")  # pragma: no cover


# --- the one writer of status -------------------------------------------------------------------

def transition(req: ServiceRequest, *, action: str, by, key: str = "", note: str = "", to: str | None = None,
               fields: dict | None = None, payload: dict | None = None, verb: str | None = None, public: bool = True,
               conflict_message: str | None = None) -> RequestEvent:
    step = workflow.step_for(req.status, action, req.kind)
    if step is None:
        raise DomainError(workflow.wrong_state(req.status, action), code="wrong_state")
    actors = workflow.actors_of(by, req, key) & step.who
    if not actors:
        raise PermissionDenied(workflow.refusal(by, step, action))
    note = (note or "").strip()
    if step.needs_reason and not note:
        raise DomainError(f"请填写{workflow.ACTION_ZH.get(action, '')}原因", field="reason")
    target = to or step.to
    if target not in step.targets:  # pragma: no cover - a programming error, not user input
        raise ValueError(f"{action} cannot lead to {target}")
    now = timezone.now()
    fields = dict(fields or {})
    claimed = ServiceRequest.objects.filter(pk=req.pk, status=req.status).update(status=target, updated_at=now, **fields)
    if claimed != 1:
        current = ServiceRequest.objects.filter(pk=req.pk).values_list("status", flat=True).first()
        raise DomainError(conflict_message or f"工单刚刚已被他人处理（当前状态：{workflow.STATUS_ZH.get(current, current)}），请刷新后重试",
                          code="conflict")
    from_status = req.status
    for name, value in fields.items():
        setattr(req, name, value)
    req.status, req.updated_at = target, now
    user = _user(by)
    ev = RequestEvent.objects.create(request=req, actor=user, actor_label=actor_label(user, actors), verb=verb or action,
                                     from_status=from_status, to_status=target, note=note, public=public, payload=payload or {})
    events.record(actor=user, verb=f"order.{verb or action}", target=req, organization=req.community, reason=note,
                  payload={"from": from_status, "to": target, "as": sorted(actors), **(payload or {})})
    return ev


# --- dispatcher ----------------------------------------------------------------------------------

@transaction.atomic
def inquire(*, req: ServiceRequest, by, note: str = "") -> ServiceRequest:
    transition(req, action="inquire", by=by, note=note)
    return req


@transaction.atomic
def dispatch(*, req: ServiceRequest, by, unit: Organization | None = None, category: Category | None = None,
             note: str = "", use_suggestion: bool = False) -> ServiceRequest:
    """Send to a member unit or an internal team; sets the deadlines from the category."""
    if use_suggestion:
        category = category or req.suggested_category
        if unit is None and req.suggestion.get("unit_id"):
            unit = Organization.objects.filter(pk=req.suggestion["unit_id"]).first()
    category = category or req.category or req.suggested_category
    if category is None:
        raise DomainError("请选择分类", field="category")
    if category.alliance_id != req.alliance_id:
        raise DomainError(f"分类“{category.name}”不属于本联盟", field="category")
    if unit is None:
        raise DomainError("请选择承办单位或团队", field="unit")
    if unit.kind == OrgKind.JOINT_COMMITTEE:
        raise DomainError(f"“{unit.name}”是联盟的议事协调机构，不承办工单：请选择成员单位或社区", field="unit")
    if not takes_orders(unit, req.alliance):
        raise DomainError(f"“{unit.name}”不是本联盟的成员单位或内部团队", field="unit")
    now = timezone.now()
    accept_due, finish_due = deadlines(category, now)
    transition(req, action="dispatch", by=by, note=note,
               fields={"category": category, "assigned_unit": unit, "dispatched_at": now, "accept_due_at": accept_due,
                       "finish_due_at": finish_due, "accepted_at": None, "escalation_level": 0},
               payload={"unit": unit.name, "unit_id": unit.pk, "category": category.name,
                        "followed_suggestion": bool(use_suggestion)})
    # A re-dispatch starts the clocks again: the previous unit's pending escalations (":2") go.
    _unschedule("orders.accept_overdue", req)
    _unschedule("orders.finish_overdue", req)
    _schedule("orders.accept_overdue", accept_due, req, "accept")
    _schedule("orders.finish_overdue", finish_due, req, "finish")
    recipients = users_with_roles(unit, [Role.LIAISON]) or (
        users_with_roles(unit, [Role.DISPATCHER]) if unit.kind in workflow.INTERNAL_KINDS else [])
    _notify(recipients=recipients, req=req, verb="order.dispatched", title=f"新派单：{req.display_title}",
            body=f"编号 {req.tracking_number}，请在 {timezone.localtime(accept_due):%m月%d日 %H:%M} 前接单。")
    return req


@transaction.atomic
def post_wish(*, req: ServiceRequest, by, note: str = "") -> ServiceRequest:
    transition(req, action="post", by=by, note=note)
    return req


@transaction.atomic
def cancel(*, req: ServiceRequest, by, reason: str, key: str = "") -> ServiceRequest:
    was = req.status
    transition(req, action="cancel", by=by, key=key, note=reason, fields={"last_reason": (reason or "").strip()[:300]})
    _unschedule("orders.accept_overdue", req)
    _unschedule("orders.finish_overdue", req)
    # Whoever waits on it hears: the resident (unless they cancelled it) and a unit that had it.
    actor = _user(by)
    if req.submitter_id and (actor is None or actor.pk != req.submitter_id) and not key:
        _notify(recipients=[req.submitter], req=req, verb="order.cancelled", resident=True,
                title=f"您的诉求已撤销：{req.display_title}", body=f"原因：{reason}")
    if req.assigned_unit_id and was in (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS, Status.REOPENED):
        _notify(recipients=users_with_roles(req.assigned_unit, [Role.LIAISON]), req=req, verb="order.cancelled",
                title=f"工单已撤销，无需再办：{req.display_title}", body=f"原因：{reason}")
    return req


@transaction.atomic
def merge(*, req: ServiceRequest, into: ServiceRequest, by, note: str = "") -> ServiceRequest:
    if into.pk == req.pk:
        raise DomainError("不能把工单合并到它自己", field="into")
    if into.status in (Status.CANCELLED, Status.MERGED):
        raise DomainError(f"目标工单 {into.tracking_number} 已{workflow.STATUS_ZH[into.status]}，不能合并到它", field="into")
    if not workflow.is_dispatcher(by, into):
        raise DomainError(f"目标工单 {into.tracking_number} 不在您的组织范围内", field="into")
    transition(req, action="merge", by=by, note=note or f"与 {into.tracking_number} 重复",
               fields={"merged_into": into}, payload={"into": into.tracking_number})
    RequestEvent.objects.create(request=into, actor=_user(by), actor_label=actor_label(by), verb="duplicate_merged",
                                from_status=into.status, to_status=into.status, note=f"合并了重复工单 {req.tracking_number}")
    _notify(recipients=[req.submitter], req=req, verb="order.merged", resident=True,
            title=f"您的诉求已合并办理：{req.display_title}",
            body=f"与工单 {into.tracking_number} 反映的是同一件事，将一并办理，进度请查看该工单。")
    return req


# --- unit / handler ------------------------------------------------------------------------------

@transaction.atomic
def accept(*, req: ServiceRequest, by, note: str = "") -> ServiceRequest:
    transition(req, action="accept", by=by, note=note, fields={"accepted_at": timezone.now()})
    _unschedule("orders.accept_overdue", req)
    unit = getattr(req.assigned_unit, "name", "")
    _notify(recipients=[req.submitter], req=req, verb="order.accepted", resident=True, title=f"您的诉求已被接单：{req.display_title}",
            body=f"{unit}已接单，将在 {timezone.localtime(req.finish_due_at):%m月%d日} 前办结。" if req.finish_due_at else f"{unit}已接单。")
    return req


@transaction.atomic
def decline(*, req: ServiceRequest, by, reason: str) -> ServiceRequest:
    unit = req.assigned_unit
    transition(req, action="decline", by=by, note=reason,
               fields={"assigned_unit": None, "accept_due_at": None, "finish_due_at": None,
                       "last_reason": (reason or "").strip()[:300], "suggestion": _suggestion_after_decline(req, unit)},
               payload={"unit": getattr(unit, "name", ""), "unit_id": getattr(unit, "pk", None)})
    _unschedule("orders.accept_overdue", req)
    _unschedule("orders.finish_overdue", req)
    _notify(recipients=users_with_roles(req.community, [Role.DISPATCHER]), req=req, verb="order.declined",
            title=f"工单被退回：{req.display_title}", body=f"{getattr(unit, 'name', '')}退回，原因：{reason}")
    return req


def _suggestion_after_decline(req: ServiceRequest, unit) -> dict:
    """The suggestion again, passing over every unit that declined this request: a one-click
    dispatch must not send it straight back to the unit that just refused it."""
    declined = set((req.suggestion or {}).get("declined_unit_ids") or [])
    if unit is not None:
        declined.add(unit.pk)
    hint = suggest(text=f"{req.title} {req.text}", alliance=req.alliance, community=req.community, grid=req.grid,
                   lng=req.lng, lat=req.lat, exclude_units=declined)
    reasons = [f"{getattr(unit, 'name', '承办单位')}已退回，不再建议退回过的单位", *hint["reasons"]]
    return {"category_id": getattr(hint["category"], "pk", None), "unit_id": getattr(hint["unit"], "pk", None),
            "reasons": reasons, "declined_unit_ids": sorted(declined)}


@transaction.atomic
def update_progress(*, req: ServiceRequest, by, note: str, photos=()) -> ServiceRequest:
    cleaned = _clean_photos(photos)
    if not (note or "").strip() and not cleaned:
        raise DomainError("请填写进度说明或上传照片", field="note")
    ev = transition(req, action="progress", by=by, note=note, payload={"photos": len(cleaned)})
    _save_photos(req, cleaned, stage=Stage.PROGRESS, by=by, event=ev)
    return req


@transaction.atomic
def complete(*, req: ServiceRequest, by, result: str, photos=()) -> ServiceRequest:
    """Done, with the result written down and optional proof photos (photos are evidence, never a quota)."""
    result = (result or "").strip()
    if not result:
        raise DomainError("请填写办理结果", field="result")
    cleaned = _clean_photos(photos)
    now = timezone.now()
    ev = transition(req, action="complete", by=by, note=result, fields={"done_at": now, "result_text": result[:2000]},
                    payload={"photos": len(cleaned)})
    _save_photos(req, cleaned, stage=Stage.PROOF, by=by, event=ev)
    _unschedule("orders.finish_overdue", req)
    from tongxin.core import workcalendar

    _schedule("orders.rating_reminder", workcalendar.add_working_days(now, 2), req, "rating")
    _notify(recipients=[req.submitter], req=req, verb="order.done", resident=True, title=f"您的诉求已办结：{req.display_title}",
            body="请对办理结果进行评价。")
    return req


# --- micro-wishes --------------------------------------------------------------------------------

@transaction.atomic
def claim_wish(*, req: ServiceRequest, by, unit: Organization | None = None, note: str = "") -> ServiceRequest:
    """Exactly one claim wins: the status changes from "open" with a conditional UPDATE."""
    if req.kind != Kind.WISH:
        raise DomainError("只有微心愿可以认领", field="kind")
    if req.claimed_by_id or req.status in (Status.ACCEPTED, Status.IN_PROGRESS, Status.DONE, Status.RATED, Status.PUBLISHED):
        raise DomainError("该心愿已被认领", code="conflict")
    if unit is not None and not has_perm(by, P.HANDLE_ORDERS, unit):
        raise PermissionDenied(f"您不是{unit.name}的联络员，不能以该单位名义认领")
    transition(req, action="claim", by=by, note=note, conflict_message="该心愿已被认领",
               fields={"claimed_by": by, "assigned_unit": unit, "accepted_at": timezone.now()},
               payload={"unit": getattr(unit, "name", "")})
    _notify(recipients=[req.submitter], req=req, verb="order.claimed", resident=True, title=f"您的心愿已被认领：{req.display_title}")
    return req


# --- resident --------------------------------------------------------------------------------------

@transaction.atomic
def rate(*, req: ServiceRequest, by, rating, comment: str = "", key: str = "") -> ServiceRequest:
    """1–5 and a comment. Unsatisfied (1–2) reopens once; the second time it stays rated and escalates to the street.

    A micro-wish is thanked instead: the rating is optional there.
    """
    comment = (comment or "").strip()[:300]
    if rating in (None, "") and req.kind == Kind.WISH:
        rating = None
    else:
        try:
            rating = int(rating)
        except (TypeError, ValueError):
            raise DomainError("请选择 1 到 5 颗星进行评价", field="rating") from None
        if not 1 <= rating <= 5:
            raise DomainError("评分应为 1 到 5 之间的整数", field="rating")
    now = timezone.now()
    unsatisfied = rating is not None and rating <= UNSATISFIED
    if unsatisfied and req.reopen_count == 0 and req.kind != Kind.WISH:
        category = req.category
        finish_due = deadlines(category, now)[1] if category else None
        transition(req, action="rate", by=by, key=key, note=comment, to=Status.REOPENED, verb="reopened",
                   fields={"reopen_count": 1, "done_at": None, "finish_due_at": finish_due, "rating": None},
                   payload={"rating": rating})
        _unschedule("orders.rating_reminder", req)
        _schedule("orders.finish_overdue", finish_due, req, "finish")
        unit = req.assigned_unit
        recipients = users_with_roles(unit, [Role.LIAISON]) if unit else []
        _notify(recipients=recipients + users_with_roles(req.community, [Role.DISPATCHER]), req=req,
                verb="order.reopened", title=f"居民不满意，工单重新办理：{req.display_title}", body=comment)
        return req
    transition(req, action="rate", by=by, key=key, note=comment, verb="thanked" if req.kind == Kind.WISH else "rated",
               fields={"rating": rating, "rating_comment": comment, "rated_at": now}, payload={"rating": rating})
    _unschedule("orders.rating_reminder", req)
    if unsatisfied and req.kind != Kind.WISH:  # a wish's thanks is not a complaint
        escalate(req=req, level=2, reason=f"第二次评价仍不满意（{rating} 星）" + (f"：{comment}" if comment else ""))
    return req


def thank(*, req: ServiceRequest, by, message: str = "", key: str = "", rating=None) -> ServiceRequest:
    return rate(req=req, by=by, rating=rating, comment=message, key=key)


_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)")
_ID_RE = re.compile(r"(?<![0-9])\d{17}[\dXx](?![0-9])")
_LANDLINE_RE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
# A building marker and the numbers after it: 6栋502, 3号楼2单元501室 (the room is the household).
_DOOR_RE = re.compile(r"\d+\s*(?:号楼|栋|幢|单元|室|号院|号)(?:\s*-?\s*\d+(?:\s*(?:单元|室|号))?)*")


def is_chinese_name(text: str) -> bool:
    """Only Chinese (CJK) characters, with the middle dot of transliterated names (阿依·买买提)."""
    return bool(text) and all("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch in "·•" for ch in text)


def name_variants(name: str) -> list[str]:
    """The ways a stored contact name may be written in a text, longest first.

    A Chinese name is written family name first, with or without a space (张三, 张 三; a name
    stored as "张 三" by an older Open311 client is joined too). A Latin name may come in either
    order (John Smith, Smith John). The swapped order is not tried for Chinese names: 三张 is
    more often "three sheets" than a name.
    """
    name = " ".join((name or "").split())
    if not name:
        return []
    parts = name.split(" ")
    if len(parts) == 1 and is_chinese_name(name) and len(name) >= 2:
        parts = [name[0], name[1:]]  # 张三 is also written 张 三 (a one-character family name, the common case)
    if len(parts) == 1:
        return [name]
    first, rest = parts[0], " ".join(parts[1:])
    variants = {name, " ".join(parts), "".join(parts)}
    if not is_chinese_name("".join(parts)):
        variants |= {f"{rest} {first}", f"{rest}{first}".replace(" ", "")}
    return sorted(variants, key=lambda v: (-len(v), v))


def redact(text: str, *, names=(), doors: bool = True) -> str:
    """Text fit for the public wall: phone and ID numbers, door numbers and the given names
    (as they may be written, see name_variants) removed. `doors=False` keeps building numbers:
    a practical task for the masses is written by staff about a building, not a household."""
    out = _ID_RE.sub("[已隐藏]", text or "")
    out = _PHONE_RE.sub("[已隐藏]", out)
    out = _LANDLINE_RE.sub("[已隐藏]", out)
    if doors:
        out = _DOOR_RE.sub("**", out)
    for variant in sorted({v for name in names for v in name_variants(name)}, key=lambda v: (-len(v), v)):
        if len(variant) >= 2:
            out = out.replace(variant, variant[0] + "*" * (len(variant) - 1))
    return out


def public_summary(req: ServiceRequest) -> str:
    names = [req.contact_name]
    if req.submitter_id and req.submitter.person_id:
        names.append(req.submitter.person.name)
    doors = req.kind != Kind.PRACTICAL
    parts = [redact(req.display_title if req.title else req.text, names=names, doors=doors)]
    if req.result_text:
        parts.append("办理结果：" + redact(req.result_text, names=names, doors=doors))
    return "\n".join(parts)


@transaction.atomic
def publish(*, req: ServiceRequest, by, public_text: str = "") -> ServiceRequest:
    """On the results wall (晒单): the text is redacted again even when the dispatcher wrote it."""
    names = [req.contact_name]
    text = (redact(public_text.strip(), names=names, doors=req.kind != Kind.PRACTICAL) if (public_text or "").strip()
            else public_summary(req))
    transition(req, action="publish", by=by, fields={"published": True, "published_at": timezone.now(), "public_text": text[:2000]})
    return req


# --- personal data -------------------------------------------------------------------------------

REVEAL_STATUSES = {Status.ACCEPTED, Status.IN_PROGRESS, Status.REOPENED, Status.DONE, Status.RATED}


def can_reveal(user, req: ServiceRequest) -> bool:
    if not req.contact_phone_enc:
        return False
    if workflow.is_dispatcher(user, req):
        return True
    return workflow.is_handler(user, req) and req.accepted_at is not None and req.status in REVEAL_STATUSES


@transaction.atomic
def reveal_contact(*, req: ServiceRequest, by, purpose: str = "", channel: str = "web") -> str:
    """The resident's full phone number; the unit sees it only after accepting. Every read is logged."""
    if not req.contact_phone_enc:
        raise DomainError("该工单没有留联系电话", field="contact_phone")
    if not can_reveal(by, req):
        if workflow.is_handler(by, req):
            raise PermissionDenied("接单后才能查看居民的完整联系电话")
        raise PermissionDenied("您无权查看该工单的联系电话")
    events.record(actor=by, verb="order.contact_revealed", target=req, organization=req.community,
                  reason=purpose, payload={"field": "contact_phone", "channel": channel})
    RequestEvent.objects.create(request=req, actor=by, actor_label=actor_label(by), verb="contact_revealed",
                                from_status=req.status, to_status=req.status, note=purpose, public=False)
    if req.submitter_id and req.submitter.person_id:
        SensitiveRead.objects.create(actor=by, person=req.submitter.person, field="phone",
                                     purpose=f"工单 {req.tracking_number} {purpose}"[:200], channel=channel)
    return crypto.decrypt(req.contact_phone_enc)


# --- escalation (scheduler) ----------------------------------------------------------------------

def street_of(org: Organization) -> Organization | None:
    node = org
    while node is not None:
        if node.kind == OrgKind.STREET_COMMITTEE:
            return node
        node = node.parent
    return None


@transaction.atomic
def escalate(*, req: ServiceRequest, level: int, reason: str) -> bool:
    """Raise the escalation level (1 community, 2 street); compare-and-set so it happens once per level."""
    level = max(1, min(2, level))
    if ServiceRequest.objects.filter(pk=req.pk, escalation_level__lt=level).update(escalation_level=level) != 1:
        return False
    req.escalation_level = level
    to = req.community if level == 1 else (street_of(req.community) or req.community)
    RequestEvent.objects.create(request=req, actor=None, actor_label="系统", verb="escalated", from_status=req.status,
                                to_status=req.status, note=reason, payload={"level": level, "to": to.name})
    events.record(actor=None, verb="order.escalated", target=req, organization=req.community, reason=reason,
                  payload={"level": level, "to": to.name})
    roles = [Role.DISPATCHER] if level == 1 else [Role.ALLIANCE_ADMIN, Role.DISPATCHER]
    # Once per level and dispatch: after a re-dispatch the new unit's lateness is news again.
    dedupe = f"order:{req.pk}:escalated:{level}:{req.dispatched_at.isoformat() if req.dispatched_at else ''}"
    _notify(recipients=users_with_roles(to, roles), req=req, verb="order.escalated",
            title=f"工单督办（{'社区' if level == 1 else '街道'}）：{req.display_title}", body=reason, dedupe_key=dedupe)
    from tongxin.notify.services import notify_group

    notify_group(organization=to, title=f"工单督办：{req.display_title}", body=f"编号 {req.tracking_number}。{reason}",
                 url=f"/orders/{req.pk}/", dedupe_key=dedupe, verb="order.escalated", target=req)
    return True


# --- integrations --------------------------------------------------------------------------------

@transaction.atomic
def create_integration(*, name: str, organization: Organization, by) -> tuple:
    """An API key for an outside system: a dedicated service user holding the token.

    Returns (IntegrationClient, key); the key is shown only this once.
    """
    from tongxin.accounts.services import create_api_token

    from .models import IntegrationClient

    name = (name or "").strip()
    if not name:
        raise DomainError("请填写接入系统的名称", field="name")
    if IntegrationClient.objects.filter(name=name).exists():
        raise DomainError(f"名称“{name}”已被使用", field="name")
    ensure_can(by, P.MANAGE_TOKENS, organization, "您不能为该组织创建接口密钥")
    base = "api-" + hashlib.sha1(name.encode()).hexdigest()[:10]
    user = User.objects.create(username=base, first_name=name[:150], is_active=True)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    client = IntegrationClient.objects.create(name=name[:80], organization=organization, user=user)
    system = by if by.is_superuser else User.objects.filter(is_superuser=True).first()
    _token, key = create_api_token(user=user, name=name, by=system)
    events.record(actor=by, verb="integration.created", target=client, organization=organization, payload={"name": name})
    return client, key
