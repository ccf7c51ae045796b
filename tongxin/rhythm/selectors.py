"""Reads of the rhythm: what goes into a unit's monthly prompt, the quarterly review figures, and
who may see prompts and reviews.

Every figure is an aggregate over recorded work (GROUP BY unit in the database), never a Python
loop over the requests; the other apps are read only through their contract selectors.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.models import Role, User
from tongxin.accounts.scope import ALL, has_perm, scope_paths, scope_q
from tongxin.core.errors import NotFound
from tongxin.governance.selectors import obligations_due_by_debtor, obligations_due_for
from tongxin.lists.selectors import projects_for_review
from tongxin.meetings.models import ActionStatus
from tongxin.meetings.selectors import action_items_for_review, upcoming_meetings_for, visible_action_items
from tongxin.orders.models import Kind, ServiceRequest, Status
from tongxin.orders.selectors import DONE_STATUSES, UNIT_STATUSES, visible_requests
from tongxin.orgs.models import Alliance, AllianceMembership, MembershipRole, Organization

from . import periods
from .models import Prompt, Review, RhythmSettings

MAX_LINES = 10  # lines per section in the message; the rest is counted ("另有 N 项")

SECTION_TITLES = {
    "action_items": "未完成的会议决定事项",
    "to_accept": "待接单的工单",
    "in_progress": "已接单、未办结的工单",
    "obligations": "本月到期或已逾期的责任事项",
    "meetings": "本月的会议",
}

# The quarter's figures count each request once, for the unit that holds it at the quarter's end.
# The monthly figures of the service loop (orders.selectors.figure_definitions) count every
# dispatch for the unit it went to; the review is a snapshot of where the work ended up.
REVIEW_DEFINITIONS = {
    "response_rate": "响应率 = 在接单时限内接单的工单数 ÷ 本季度派出的工单数（按工单计，计入季末的承办单位）",
    "resolution_rate": "解决率 = 已办结（含已评价、已晒单）的工单数 ÷ 本季度派出的工单数",
    "satisfaction_rate": "满意率 = 评分 4 星及以上的工单数 ÷ 已评价的工单数",
    "on_time_rate": "按时办结率 = 在办结时限内办结的工单数 ÷ 已办结的工单数",
    "dispatched": "本季度派出的工单数（按最近一次派单时间计；不含微心愿、已撤销和已合并的工单）",
    "overdue_requests": "逾期未办结 = 本季度派出、到季末（或今天，取较早者）仍未办结且已过办结时限的工单数",
    "action_items": "会议决定事项：本季度新建、本季度办结、到季末已过期限仍未办结的事项数（按责任单位）",
    "obligations": "责任事项：本季度应履行的次数与其中逾期的次数（按承担单位，来自协议的责任清单）",
    "projects": "项目：里程碑总数、已完成数与逾期数（按牵头单位，来自项目清单）",
}

ORDER_FIGURES = ("dispatched", "responded", "resolved", "rated", "satisfied", "on_time", "overdue_requests")


# --- settings and members ---------------------------------------------------------------------------

def settings_for(alliance: Alliance) -> RhythmSettings:
    obj = RhythmSettings.objects.filter(alliance=alliance).first()
    if obj is None:
        obj, _ = RhythmSettings.objects.get_or_create(alliance=alliance)
    return obj


def member_units(alliance: Alliance) -> list[AllianceMembership]:
    """The active member-unit memberships (成员单位), with their organisation and liaison."""
    return list(AllianceMembership.objects.filter(alliance=alliance, role=MembershipRole.MEMBER_UNIT, left_on__isnull=True,
                                                  organization__archived_at__isnull=True)
                .select_related("organization", "liaison").order_by("organization__path"))


def liaisons_by_unit(memberships: list[AllianceMembership]) -> dict[int, list[User]]:
    """unit id -> the active users who receive its prompt: the users holding the liaison role at the
    unit (as tongxin.orders.services.users_with_roles) and the membership's liaison person's account.
    Two queries for all units."""
    unit_ids = [m.organization_id for m in memberships]
    out: dict[int, dict[int, User]] = {uid: {} for uid in unit_ids}
    rows = (User.objects.filter(role_assignments__organization_id__in=unit_ids, role_assignments__role=Role.LIAISON, is_active=True)
            .annotate(unit_id=F("role_assignments__organization_id")))
    for u in rows:
        out[u.unit_id].setdefault(u.pk, u)
    person_to_unit = {m.liaison_id: m.organization_id for m in memberships if m.liaison_id}
    if person_to_unit:
        for u in User.objects.filter(person_id__in=list(person_to_unit), is_active=True):
            out[person_to_unit[u.person_id]].setdefault(u.pk, u)
    return {uid: list(users.values()) for uid, users in out.items()}


# --- what goes into a prompt ---------------------------------------------------------------------

def _item(label: str, url: str = "", due=None, overdue: bool = False) -> dict:
    if isinstance(due, dt.datetime):
        due = timezone.localtime(due).date()
    return {"label": label[:120], "url": url, "due": due.isoformat() if due else "", "overdue": bool(overdue)}


def _link(name: str, pk) -> str:
    """The page of another app's record (meetings:action_item, meetings:meeting, governance:detail, lists:project)."""
    return reverse(name, args=[pk])


def waiting_requests(unit_ids: list[int], *, as_of: dt.datetime) -> dict[int, dict[str, list[dict]]]:
    """unit id -> {"to_accept": [...], "in_progress": [...]}: requests dispatched to the unit and
    not yet accepted, and accepted but not done. One query for all units."""
    out: dict[int, dict[str, list[dict]]] = {}
    if not unit_ids:
        return out
    rows = (ServiceRequest.objects.filter(assigned_unit_id__in=unit_ids, status__in=UNIT_STATUSES)
            .values_list("id", "assigned_unit_id", "status", "tracking_number", "title", "text", "accept_due_at", "finish_due_at")
            .order_by("assigned_unit_id", "accept_due_at", "id"))
    for pk, unit_id, status, number, title, text, accept_due, finish_due in rows.iterator(chunk_size=2000):
        short = (title or text or "").replace("\n", " ")[:40]
        if status == Status.DISPATCHED:
            key, due = "to_accept", accept_due
        else:
            key, due = "in_progress", finish_due
        out.setdefault(unit_id, {}).setdefault(key, []).append(
            _item(f"{number} {short}", f"/orders/{pk}/", due, bool(due and due < as_of)))
    return out


def alliance_context(alliance: Alliance | None, *, period: str, as_of: dt.datetime) -> dict:
    """What a month's prompts share, read once per alliance instead of once per unit: the open action
    items by owner (meetings.selectors.action_items_for_review for today, the items open now) and the
    alliance's meetings in the rest of the month (meetings.selectors.upcoming_meetings_for the core
    organisation: the meetings every member unit is concerned by)."""
    if alliance is None:
        return {"actions": {}, "meetings": [], "obligations": None}
    start, end = periods.month_bounds(period)
    today = timezone.localtime(as_of).date()
    actions: dict[int, list[dict]] = {}
    for a in action_items_for_review(alliance, start=today, end=today):
        if a.status == ActionStatus.OPEN:
            actions.setdefault(a.owner_id, []).append(_item(a.title, _link("meetings:action_item", a.pk), a.due_on, a.due_on < today))
    meetings = [_item(f"{timezone.localtime(m.starts_at):%m-%d %H:%M} {m.title}", _link("meetings:meeting", m.pk))
                for m in upcoming_meetings_for(alliance.core_organization, start=max(start, today), end=end)]
    # Obligations of every member unit in one query (governance.selectors.obligations_due_by_debtor).
    units = [m.organization_id for m in member_units(alliance)]
    obligations = obligations_due_by_debtor(units, start=start, end=end, today=today)
    return {"actions": actions, "meetings": meetings, "obligations": {"units": set(units), "rows": obligations}}


def _obligations(unit: Organization, context: dict, *, start, end, today) -> list[dict]:
    known = context.get("obligations")
    if known and unit.pk in known["units"]:
        return known["rows"].get(unit.pk, [])
    return obligations_due_for(unit, start=start, end=end, today=today)


def prompt_sections(unit: Organization, *, period: str, context: dict, waiting: dict[str, list[dict]] | None = None,
                    as_of: dt.datetime | None = None) -> list[dict]:
    """The sections of one unit's prompt for `period`, in display order; empty sections left out.
    A unit with nothing of its own open gets no sections, even when the alliance has meetings."""
    start, end = periods.month_bounds(period)
    as_of = as_of or timezone.now()
    if waiting is None:
        waiting = waiting_requests([unit.pk], as_of=as_of).get(unit.pk, {})
    today = timezone.localtime(as_of).date()
    sections = {
        "action_items": context["actions"].get(unit.pk, []),
        "to_accept": waiting.get("to_accept", []),
        "in_progress": waiting.get("in_progress", []),
        "obligations": [_item(f"{row['obligation'].title}（{row['agreement'].title}）", _link("governance:detail", row["agreement"].pk),
                              row["due_on"], row["overdue"])
                        for row in _obligations(unit, context, start=start, end=end, today=today)],
    }
    if not any(sections.values()):
        return []
    sections["meetings"] = context["meetings"]
    return [{"key": key, "title": SECTION_TITLES[key], "count": len(items), "items": items}
            for key, items in ((k, sections.get(k, [])) for k in SECTION_TITLES) if items]


def render_prompt(unit: Organization, period: str, sections: list[dict]) -> tuple[str, str]:
    """(title, plain-text body) of the one message a unit gets for the month."""
    total = sum(s["count"] for s in sections)
    year, month = period.split("-")
    title = f"{int(year)}年{int(month)}月工作提示：{unit.name}有 {total} 项待办"
    lines = [f"{unit.name}，以下是本月需要贵单位关注的事项（共 {total} 项）："]
    for s in sections:
        lines.append("")
        lines.append(f"【{s['title']}】{s['count']} 项")
        for it in s["items"][:MAX_LINES]:
            due = f"（期限 {it['due']}{'，已逾期' if it['overdue'] else ''}）" if it["due"] else ""
            lines.append(f"· {it['label']}{due}")
        if s["count"] > MAX_LINES:
            lines.append(f"…… 另有 {s['count'] - MAX_LINES} 项")
    return title, "\n".join(lines)


# --- visibility ---------------------------------------------------------------------------------------

def visible_prompts(user) -> QuerySet[Prompt]:
    """Prompts of the units in the user's review scope, and of the units whose requests the user handles
    (a liaison sees the prompts of their own unit)."""
    if not user or not user.is_authenticated:
        return Prompt.objects.none()
    q = Q(pk__in=[])
    if has_perm(user, P.VIEW_REVIEW):
        q |= scope_q(user, P.VIEW_REVIEW, "unit__path")
    if has_perm(user, P.HANDLE_ORDERS):
        q |= scope_q(user, P.HANDLE_ORDERS, "unit__path")
    return Prompt.objects.filter(q).select_related("unit", "alliance").order_by("-period", "unit__name")


def can_see_unit(user, unit: Organization) -> bool:
    return has_perm(user, P.VIEW_REVIEW, unit) or has_perm(user, P.HANDLE_ORDERS, unit)


def review_alliances(user) -> list[Alliance]:
    """Alliances whose review the user may open (VIEW_REVIEW at the core organisation, above it or below it)."""
    paths = scope_paths(user, P.VIEW_REVIEW)
    if not paths:
        return []
    alliances = list(Alliance.objects.select_related("core_organization").order_by("id"))
    if paths == ALL:
        return alliances
    return [a for a in alliances
            if any(a.core_organization.path.startswith(p) or p.startswith(a.core_organization.path) for p in paths)]


def sees_whole_alliance(user, alliance: Alliance) -> bool:
    return has_perm(user, P.VIEW_REVIEW, alliance.core_organization)


def visible_reviews(user) -> QuerySet[Review]:
    ids = [a.pk for a in review_alliances(user)]
    return Review.objects.filter(alliance_id__in=ids).select_related("alliance", "generated_by")


def get_review(user, pk) -> Review:
    review = visible_reviews(user).filter(pk=pk).first()
    if review is None:
        raise NotFound("调度报告不存在或不在您的权限范围内")
    return review


def scoped_figures(user, review: Review) -> dict:
    """The review's snapshot cut to what the user may see: the whole alliance for VIEW_REVIEW at the
    core organisation, else only the unit and project rows under the user's scope (no totals)."""
    figures = dict(review.figures)
    if sees_whole_alliance(user, review.alliance):
        return figures
    paths = scope_paths(user, P.VIEW_REVIEW)
    paths = [] if paths == ALL else paths

    def inside(path):
        return any((path or "").startswith(p) for p in paths)

    figures["units"] = [u for u in figures.get("units", []) if inside(u.get("path"))]
    figures["projects"] = [p for p in figures.get("projects", []) if inside(p.get("lead_unit_path"))]
    figures["totals"] = {}
    figures["scoped"] = True
    return figures


# --- the quarterly review ---------------------------------------------------------------------------

def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def _quarter_requests(alliance: Alliance, start: dt.date, end: dt.date) -> QuerySet[ServiceRequest]:
    return (ServiceRequest.objects.filter(alliance=alliance, assigned_unit__isnull=False,
                                          dispatched_at__gte=periods.local_start(start), dispatched_at__lt=periods.local_end(end))
            .exclude(kind=Kind.WISH).exclude(status__in=[Status.CANCELLED, Status.MERGED]))


def _as_of(end: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    return min(now or timezone.now(), periods.local_end(end))


def figure_q(figure: str, *, as_of: dt.datetime) -> Q:
    """The condition that puts a request of the quarter into one of the order figures."""
    return {
        "dispatched": Q(),
        "responded": Q(accepted_at__isnull=False, accepted_at__lte=F("accept_due_at")),
        "resolved": Q(status__in=DONE_STATUSES),
        "rated": Q(rating__isnull=False),
        "satisfied": Q(rating__gte=4),
        "on_time": Q(status__in=DONE_STATUSES, done_at__lte=F("finish_due_at")),
        "overdue_requests": Q(status__in=UNIT_STATUSES, finish_due_at__lt=as_of),
    }[figure]


def order_figures(alliance: Alliance, *, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> dict[int, dict]:
    """unit id -> the service-loop figures of the quarter: counts, the three rates and the on-time rate.
    One GROUP BY assigned_unit query."""
    as_of = _as_of(end, now)
    rows = (_quarter_requests(alliance, start, end).values("assigned_unit_id")
            .annotate(**{name: Count("id", filter=figure_q(name, as_of=as_of)) for name in ORDER_FIGURES})
            .order_by())
    out = {}
    for r in rows:
        out[r["assigned_unit_id"]] = {
            **{name: r[name] for name in ORDER_FIGURES},
            "response_rate": _rate(r["responded"], r["dispatched"]),
            "resolution_rate": _rate(r["resolved"], r["dispatched"]),
            "satisfaction_rate": _rate(r["satisfied"], r["rated"]),
            "on_time_rate": _rate(r["on_time"], r["resolved"]),
        }
    return out


ACTION_FIGURES = ("opened", "closed", "open_at_end", "overdue")


def action_q(figure: str, *, start: dt.date, end: dt.date, cutoff: dt.date) -> Q:
    """The condition that puts an action item of the quarter into one of the action-item figures."""
    lo, hi = periods.local_start(start), periods.local_end(end)
    still_open = Q(status=ActionStatus.OPEN) | Q(closed_at__gte=hi)
    return {
        "opened": Q(created_at__gte=lo),
        "closed": Q(status=ActionStatus.DONE, closed_at__gte=lo, closed_at__lt=hi),
        "open_at_end": still_open,
        "overdue": still_open & Q(due_on__lt=cutoff),
    }[figure]


def action_figures(alliance: Alliance, *, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> dict[int, dict]:
    """owner id -> action items opened, closed, open at the quarter's end and overdue. One GROUP BY owner query
    over meetings.selectors.action_items_for_review."""
    cutoff = min(end + dt.timedelta(days=1), timezone.localtime(now or timezone.now()).date())
    rows = (action_items_for_review(alliance, start=start, end=end).order_by().values("owner_id")
            .annotate(**{f: Count("id", filter=action_q(f, start=start, end=end, cutoff=cutoff)) for f in ACTION_FIGURES}))
    return {r["owner_id"]: {f: r[f] for f in ACTION_FIGURES} for r in rows}


def obligation_figures(unit_ids: list[int], *, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> dict[int, dict]:
    """unit id -> obligations still open that fell due by the quarter's end, and how many of them are overdue
    (governance.selectors.obligations_due_by_debtor, one query)."""
    today = min(end + dt.timedelta(days=1), timezone.localtime(now or timezone.now()).date())
    return {pk: {"open": len(rows), "overdue": sum(1 for r in rows if r["overdue"])}
            for pk, rows in obligations_due_by_debtor(unit_ids, start=start, end=end, today=today).items()}


def project_rows(alliance: Alliance, *, start: dt.date, end: dt.date) -> list[dict]:
    out = []
    for row in projects_for_review(alliance, start=start, end=end):
        p, lead = row["project"], row["lead_unit"]
        get_status = getattr(p, "get_status_display", None)
        out.append({"id": p.pk, "title": p.title, "url": _link("lists:project", p.pk), "status": row["status"],
                    "status_label": str(get_status()) if get_status else row["status"],
                    "lead_unit_id": getattr(lead, "pk", None), "lead_unit": getattr(lead, "name", ""),
                    "lead_unit_path": getattr(lead, "path", ""),
                    "milestones_total": row["milestones_total"], "milestones_done": row["milestones_done"],
                    "overdue_milestones": row["overdue_milestones"]})
    return out


def records_behind(user, review: Review, *, source: str, figure: str, unit_id: int | None) -> tuple[str, QuerySet]:
    """("orders" | "actions", the records behind one figure of a review) as they are now, cut to what the user may see."""
    start, end = review.starts_on, review.ends_on
    if source == "orders" and figure in ORDER_FIGURES:
        as_of = _as_of(end, review.generated_at)
        qs = _quarter_requests(review.alliance, start, end).filter(figure_q(figure, as_of=as_of))
        if unit_id:
            qs = qs.filter(assigned_unit_id=unit_id)
        visible = visible_requests(user).values("pk")
        return "orders", qs.filter(pk__in=visible).select_related("assigned_unit", "community", "category").order_by("dispatched_at", "id")
    if source == "actions" and figure in ACTION_FIGURES:
        cutoff = min(end + dt.timedelta(days=1), timezone.localtime(review.generated_at).date())
        qs = action_items_for_review(review.alliance, start=start, end=end).filter(
            action_q(figure, start=start, end=end, cutoff=cutoff))
        if unit_id:
            qs = qs.filter(owner_id=unit_id)
        visible = visible_action_items(user).values("pk")
        return "actions", qs.filter(pk__in=visible).order_by("due_on", "id")
    raise NotFound("没有这项数字")


def review_figures(alliance: Alliance, *, quarter: str, now: dt.datetime | None = None) -> dict:
    """The whole quarterly review as plain data (stored as the review's JSON snapshot)."""
    start, end = periods.quarter_bounds(quarter)
    now = now or timezone.now()
    memberships = member_units(alliance)
    unit_ids = [m.organization_id for m in memberships]
    members = set(unit_ids)
    orders = order_figures(alliance, start=start, end=end, now=now)
    actions = action_figures(alliance, start=start, end=end, now=now)
    obligations = obligation_figures(unit_ids, start=start, end=end, now=now)
    projects = project_rows(alliance, start=start, end=end)
    led: dict[int, dict] = {}
    for p in projects:
        agg = led.setdefault(p["lead_unit_id"], {"projects": 0, "milestones_total": 0, "milestones_done": 0, "overdue_milestones": 0})
        agg["projects"] += 1
        for k in ("milestones_total", "milestones_done", "overdue_milestones"):
            agg[k] += p[k]
    others = {uid for uid in list(orders) + list(actions) + list(led) if uid and uid not in members}
    names = {o.pk: o for o in Organization.objects.filter(pk__in=unit_ids + list(others))}
    empty_orders = {**{name: 0 for name in ORDER_FIGURES}, "response_rate": None, "resolution_rate": None,
                    "satisfaction_rate": None, "on_time_rate": None}
    units = []
    for uid in unit_ids + sorted(others, key=lambda i: names[i].path if i in names else ""):
        org = names.get(uid)
        if org is None:
            continue
        units.append({"id": uid, "name": org.name, "path": org.path, "member": uid in members,
                      "orders": orders.get(uid) or empty_orders,
                      "actions": actions.get(uid) or {f: 0 for f in ACTION_FIGURES},
                      "obligations": obligations.get(uid) or {"open": 0, "overdue": 0},
                      "projects": led.get(uid) or {"projects": 0, "milestones_total": 0, "milestones_done": 0, "overdue_milestones": 0}})
    counts = {name: sum(u["orders"][name] for u in units) for name in ORDER_FIGURES}
    totals = {
        "orders": {**counts,
                   "response_rate": _rate(counts["responded"], counts["dispatched"]),
                   "resolution_rate": _rate(counts["resolved"], counts["dispatched"]),
                   "satisfaction_rate": _rate(counts["satisfied"], counts["rated"]),
                   "on_time_rate": _rate(counts["on_time"], counts["resolved"])},
        "actions": {f: sum(u["actions"][f] for u in units) for f in ACTION_FIGURES},
        "obligations": {k: sum(u["obligations"][k] for u in units) for k in ("open", "overdue")},
        "projects": {"projects": len(projects), "milestones_total": sum(p["milestones_total"] for p in projects),
                     "milestones_done": sum(p["milestones_done"] for p in projects),
                     "overdue_milestones": sum(p["overdue_milestones"] for p in projects)},
        "member_units": len(unit_ids),
    }
    return {
        "version": 1,
        "alliance": {"id": alliance.pk, "name": alliance.name},
        "quarter": quarter, "starts_on": start.isoformat(), "ends_on": end.isoformat(),
        "as_of": _as_of(end, now).isoformat(),
        "definitions": REVIEW_DEFINITIONS,
        "units": units,
        "projects": projects,
        "totals": totals,
        "sources": ["orders", "meetings", "governance", "lists"],
    }
