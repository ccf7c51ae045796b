"""Reads of the service loop, always scoped.

Who sees a request:
- staff holding orders.view over its community (community dispatchers, grid workers, street admins);
- the assigned unit's liaisons (orders.handle over the unit), and whoever claimed a micro-wish;
- the person who submitted it.
The public sees only the results wall, the wish wall and the tracking page (no personal data).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm, scope_q
from tongxin.core.errors import NotFound
from tongxin.core.search import filter_words
from tongxin.orgs.models import Organization

from . import workflow
from .models import Category, Kind, RequestEvent, ServiceRequest, Status

INBOX_STATUSES = [Status.SUBMITTED, Status.INQUIRY, Status.DECLINED]
UNIT_STATUSES = [Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS, Status.REOPENED]
DONE_STATUSES = [Status.DONE, Status.RATED, Status.PUBLISHED]
SEARCH_INDEX = "orders_search_bigrams_idx"  # migration 0006, PostgreSQL only


# Columns no list or detail page shows: not read, so a page of rows costs less to fetch and build.
_UNSHOWN = ("search_text", "community__search_text", "community__description", "assigned_unit__search_text",
            "assigned_unit__description", "grid__geometry", "grid__search_text", "category__keywords",
            "suggested_category__keywords")


def _base() -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.select_related("community", "assigned_unit", "category", "grid", "suggested_category").defer(*_UNSHOWN)


def staff_q(user) -> Q:
    """Requests the user works on: overseen through a role, handled by the user's unit, or claimed."""
    if not user or not user.is_authenticated:
        return Q(pk__in=[])
    q = Q(claimed_by=user)
    # Organisation ids resolved first (scope_ids): an indexed IN instead of a join on path prefixes.
    for perm, field in ((P.VIEW_ORDERS, "community_id"), (P.HANDLE_ORDERS, "assigned_unit_id")):
        if has_perm(user, perm):
            ids = scope_ids(user, perm)
            q |= ~Q(pk__in=[]) if ids is None else Q(**{f"{field}__in": ids})
    return q


def visible_q(user) -> Q:
    if not user or not user.is_authenticated:
        return Q(pk__in=[])
    return Q(submitter=user) | staff_q(user)


def works_on(user, req: ServiceRequest) -> bool:
    """False for a resident who only submitted it: they see its public timeline, without staff names."""
    return ServiceRequest.objects.filter(pk=req.pk).filter(staff_q(user)).exists()


def visible_requests(user) -> QuerySet[ServiceRequest]:
    return _base().filter(visible_q(user))


def get_request(user, pk) -> ServiceRequest:
    req = visible_requests(user).filter(pk=pk).first()
    if req is None:
        raise NotFound("工单不存在或不在您的权限范围内")
    return req


def get_by_tracking(number: str) -> ServiceRequest:
    req = _base().filter(tracking_number=(number or "").strip().upper()).first()
    if req is None:
        raise NotFound(f"没有找到编号为“{(number or '').strip()[:20]}”的工单，请核对编号")
    return req


def visible_id_by_tracking(user, number: str) -> int:
    """The id of the request with this tracking number, if `user` may see it (else NotFound)."""
    pk = visible_requests(user).filter(tracking_number=(number or "").strip().upper()).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(f"没有找到编号为“{(number or '').strip()[:20]}”的工单，请核对编号")
    return pk


def _filter(qs, *, status="", kind="", category=None, q="", community=None):
    if status:
        qs = qs.filter(status__in=status if isinstance(status, (list, tuple, set)) else [status])
    if kind:
        qs = qs.filter(kind=kind)
    if category is not None:
        qs = qs.filter(Q(category=category) | Q(category__isnull=True, suggested_category=category))
    if community is not None:
        qs = qs.filter(community=community)
    return filter_words(qs, q, bigram_index=SEARCH_INDEX)


def scope_ids(user, perm: str, *, kinds=None) -> list[int] | None:
    """The ids of the organisations in the user's scope for `perm` (None: everywhere).

    Resolved first, in one small query, so that the request queries filter on an indexed
    column (community_id IN …) instead of joining the organisation table on a path prefix,
    which with a million requests made the planner walk the whole table.
    """
    from tongxin.accounts.scope import ALL, scope_paths

    if scope_paths(user, perm) == ALL:
        return None
    qs = Organization.objects.filter(scope_q(user, perm, "path"))
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return list(qs.values_list("id", flat=True))


def dispatcher_inbox(user, *, status=None, kind: str = "", category=None, q: str = "", community=None) -> QuerySet[ServiceRequest]:
    """Requests in the communities the user dispatches for; by default those waiting for a decision."""
    if not has_perm(user, P.DISPATCH_ORDERS):
        return ServiceRequest.objects.none()
    ids = scope_ids(user, P.DISPATCH_ORDERS, kinds=list(workflow.INTERNAL_KINDS))
    qs = _base().filter(community_id__in=ids) if ids is not None else _base()
    return _filter(qs, status=INBOX_STATUSES if status is None else status, kind=kind, category=category, q=q,
                   community=community).order_by("-created_at", "-id")


def unit_inbox(user, *, status=None, q: str = "") -> QuerySet[ServiceRequest]:
    """Requests dispatched to the user's units or teams (and the wishes the user claimed)."""
    q_units = Q(claimed_by=user) if user and user.is_authenticated else Q(pk__in=[])
    units: set[int] = set()
    if has_perm(user, P.HANDLE_ORDERS):
        ids = scope_ids(user, P.HANDLE_ORDERS)
        if ids is None:
            q_units = Q(assigned_unit__isnull=False) | q_units
        units.update(ids or [])
    if has_perm(user, P.DISPATCH_ORDERS):  # the community's own team
        teams = scope_ids(user, P.DISPATCH_ORDERS, kinds=list(workflow.INTERNAL_KINDS))
        if teams is None:
            q_units |= Q(assigned_unit__kind__in=list(workflow.INTERNAL_KINDS))
        units.update(teams or [])
    if units:
        q_units |= Q(assigned_unit_id__in=sorted(units))
    qs = _base().filter(q_units)
    return _filter(qs, status=UNIT_STATUSES if status is None else status, q=q).order_by("accept_due_at", "-id")


def my_requests(user) -> QuerySet[ServiceRequest]:
    if not user or not user.is_authenticated:
        return ServiceRequest.objects.none()
    return _base().filter(Q(submitter=user) | Q(entered_by=user)).order_by("-created_at")  # also what staff entered


def timeline(req: ServiceRequest, *, public_only: bool = False) -> list[RequestEvent]:
    qs = req.events.select_related("actor").prefetch_related("photos")
    if public_only:
        qs = qs.filter(public=True)
    return list(qs)


def photos(req: ServiceRequest, *, stages=None):
    qs = req.photos.all()
    if stages:
        qs = qs.filter(stage__in=stages)
    return list(qs)


# --- public --------------------------------------------------------------------------------------

WALL_FIELDS = ("id", "tracking_number", "kind", "public_text", "published_at", "rating", "category__name",
               "community__name", "assigned_unit__name", "created_at", "done_at")


def wall(*, community=None, category=None, limit: int = 20, before=None) -> list[dict]:
    """The results wall (组织晒单): public text only, newest first, keyset-paginated by published_at."""
    qs = ServiceRequest.objects.filter(published=True)
    if community is not None:
        qs = qs.filter(community=community)
    if category is not None:
        qs = qs.filter(category=category)
    if before is not None:
        qs = qs.filter(published_at__lt=before)
    return list(qs.order_by("-published_at", "-id").values(*WALL_FIELDS)[:limit])


def wish_wall(*, community=None, limit: int = 50) -> QuerySet[ServiceRequest]:
    """Micro-wishes waiting on the wall, and the ones recently claimed (shown as claimed)."""
    qs = ServiceRequest.objects.filter(kind=Kind.WISH, status__in=[Status.OPEN, Status.ACCEPTED, Status.IN_PROGRESS, Status.DONE])
    if community is not None:
        qs = qs.filter(community=community)
    return qs.select_related("community", "assigned_unit").order_by("-status", "-created_at")[:limit]


def place_at(lng, lat) -> dict:
    """What the submit form's map says about a point: its grid and community (public names only)."""
    from tongxin.grids.selectors import locate, parse_point

    from .suggest import community_of

    lng, lat = parse_point(lng, lat)
    grid = locate(lng, lat)
    community = community_of(grid.organization) if grid is not None else None
    return {"grid": grid.name if grid else None, "community_id": community.pk if community else None,
            "community": community.name if community else None}


def map_center(community) -> tuple[float, float] | None:
    """The middle of a community's grids (lat, lng), where the submit form's map opens."""
    from django.db.models import Max, Min

    from tongxin.grids.models import Grid

    box = Grid.objects.filter(organization__path__startswith=community.path).aggregate(
        x0=Min("min_x"), x1=Max("max_x"), y0=Min("min_y"), y1=Max("max_y")) if community is not None else {}
    if not box or box["x0"] is None:
        return None
    return (box["y0"] + box["y1"]) / 2, (box["x0"] + box["x1"]) / 2


def public_communities() -> QuerySet[Organization]:
    from tongxin.orgs.models import OrgKind

    return Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE, archived_at__isnull=True).order_by("path")


def categories_for(alliance) -> QuerySet[Category]:
    return Category.objects.filter(alliance=alliance, active=True).order_by("sort", "id")


# --- figures ---------------------------------------------------------------------------------------

FIGURE_DEFINITIONS = {
    "dispatched": "本月派出的工单数（按首次派单时间计；不含微心愿、已撤销和已合并的工单）",
    "response_rate": "响应率 = 在接单时限内接单的工单数 ÷ 派出的工单数",
    "resolution_rate": "解决率 = 已办结（含已评价、已晒单）的工单数 ÷ 派出的工单数",
    "satisfaction_rate": "满意率 = 评分 4 星及以上的工单数 ÷ 已评价的工单数",
    "on_time_rate": "按时办结率 = 在办结时限内办结的工单数 ÷ 已办结的工单数",
}


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def figures(user, *, by: str = "unit", since: dt.date | None = None, until: dt.date | None = None) -> list[dict]:
    """The three rates (response, resolution, satisfaction) and the on-time rate per unit or community and month.

    Definitions: FIGURE_DEFINITIONS (also shown on the figures page). Months are calendar months in
    local time, by the dispatch time. A request counts for the unit it is assigned to now.
    """
    key = "assigned_unit" if by == "unit" else "community"
    qs = visible_requests(user).filter(dispatched_at__isnull=False).exclude(kind=Kind.WISH).exclude(
        status__in=[Status.CANCELLED, Status.MERGED])
    if key == "assigned_unit":
        qs = qs.filter(assigned_unit__isnull=False)
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(dispatched_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=tz))
    if until:
        qs = qs.filter(dispatched_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    rows = (
        qs.annotate(month=TruncMonth("dispatched_at", tzinfo=tz))
        .values("month", f"{key}_id", f"{key}__name")
        .annotate(
            dispatched=Count("id"),
            responded=Count("id", filter=Q(accepted_at__isnull=False, accepted_at__lte=F("accept_due_at"))),
            resolved=Count("id", filter=Q(status__in=DONE_STATUSES)),
            rated=Count("id", filter=Q(rating__isnull=False)),
            satisfied=Count("id", filter=Q(rating__gte=4)),
            on_time=Count("id", filter=Q(status__in=DONE_STATUSES, done_at__lte=F("finish_due_at"))),
        )
        .order_by("-month", f"{key}__name")
    )
    out = []
    for r in rows:
        month = r["month"]
        out.append({
            "month": month.strftime("%Y-%m") if month else "",
            "id": r[f"{key}_id"], "name": r[f"{key}__name"],
            "dispatched": r["dispatched"], "responded": r["responded"], "resolved": r["resolved"],
            "rated": r["rated"], "satisfied": r["satisfied"], "on_time": r["on_time"],
            "response_rate": _rate(r["responded"], r["dispatched"]),
            "resolution_rate": _rate(r["resolved"], r["dispatched"]),
            "satisfaction_rate": _rate(r["satisfied"], r["rated"]),
            "on_time_rate": _rate(r["on_time"], r["resolved"]),
        })
    return out


def can_view_figures(user) -> bool:
    return bool(user and user.is_authenticated) and has_perm(user, P.VIEW_ORDER_FIGURES)
