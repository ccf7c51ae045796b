"""Reads of the service loop, always scoped.

Who sees a request:
- staff holding orders.view over its community (community dispatchers, grid workers, street admins);
- the assigned unit's liaisons (orders.handle over the unit), and whoever claimed a micro-wish;
- the person who submitted it.
The public sees only the results wall, the wish wall and the tracking page (no personal data).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm, scope_q
from tongxin.core.errors import DomainError, NotFound
from tongxin.core.search import filter_words
from tongxin.orgs.models import Organization

from . import workflow
from .models import Category, Kind, RequestEvent, ServiceRequest, Status

INBOX_STATUSES = [Status.SUBMITTED, Status.INQUIRY, Status.DECLINED]
UNIT_STATUSES = [Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS, Status.REOPENED]
DONE_STATUSES = [Status.DONE, Status.RATED, Status.PUBLISHED]
ESCALATED_STATUSES = [*INBOX_STATUSES, *UNIT_STATUSES]  # escalated and still waiting on someone
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


def dispatcher_inbox(user, *, status=None, kind: str = "", category=None, q: str = "", community=None,
                     escalated: bool = False) -> QuerySet[ServiceRequest]:
    """Requests in the communities the user dispatches for; by default those waiting for a decision.
    `escalated`: only those escalated and still waiting on someone (the inbox's view and the home line)."""
    if not has_perm(user, P.DISPATCH_ORDERS):
        return ServiceRequest.objects.none()
    ids = scope_ids(user, P.DISPATCH_ORDERS, kinds=list(workflow.INTERNAL_KINDS))
    qs = _base().filter(community_id__in=ids) if ids is not None else _base()
    if escalated:
        qs = qs.filter(escalation_level__gt=0)
        status = ESCALATED_STATUSES if status is None else status
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


PRACTICAL_STATES = {"open": [Status.SUBMITTED, Status.INQUIRY, Status.DECLINED, *UNIT_STATUSES], "done": DONE_STATUSES}


def practical_tasks(*, community=None, state: str = "open") -> QuerySet[ServiceRequest]:
    """The practical tasks for the masses (我为群众办实事), public: open ones by their deadline, done ones newest first."""
    qs = (ServiceRequest.objects.filter(kind=Kind.PRACTICAL, status__in=PRACTICAL_STATES.get(state, PRACTICAL_STATES["open"]))
          .select_related("community", "assigned_unit").only(
              "id", "kind", "status", "title", "text", "result_text", "contact_name", "community__name", "assigned_unit__name",
              "finish_due_at", "done_at", "created_at", "escalation_level", "tracking_number"))
    if community is not None:
        qs = qs.filter(community=community)
    return qs.order_by("-done_at", "-id") if state == "done" else qs.order_by(F("finish_due_at").asc(nulls_last=True), "id")


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

def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


FIGURE_LAST_MONTHS = "last12"  # the page's "last 12 months" choice


def figure_definitions(by: str = "unit") -> dict:
    """What each figure of `figures(by=...)` counts, word for word what the queries below do."""
    pending = _("Not yet due: waiting to be accepted before the acceptance time limit (left out of the response "
                "rate), or still open before the completion time limit (left out of the resolution rate).")
    if by == "community":
        return {
            "basis": _("Per community: each request counts once, in the month of its first dispatch; whether it was "
                       "accepted and completed in time is judged against the time limits of its latest dispatch. "
                       "Micro-wishes and requests now cancelled or merged are left out."),
            "dispatched": _("Dispatched: the requests first dispatched in the month."),
            "pending": pending,
            "response_rate": _("Response rate = requests accepted within the acceptance time limit of their latest "
                               "dispatch ÷ (requests − those waiting to be accepted before that time limit). A request "
                               "declined and not accepted since, or accepted late, counts as not in time."),
            "resolution_rate": _("Resolution rate = requests completed (including rated and published) ÷ (requests − "
                                 "those still open with a unit before their completion time limit)."),
            "satisfaction_rate": _("Satisfaction rate = requests rated 4 stars or more ÷ requests rated."),
            "on_time_rate": _("On-time rate = requests completed within the completion time limit ÷ (requests "
                              "completed + those still open with a unit past their completion time limit)."),
        }
    return {
        "basis": _("Per unit: each dispatch counts once, for the unit it went to, in the month of that dispatch; a "
                   "request declined or re-dispatched and then dispatched again counts again for the next unit. "
                   "Requests now cancelled or merged are left out."),
        "dispatched": _("Dispatched: the dispatches in the month."),
        "pending": pending,
        "response_rate": _("Response rate = dispatches accepted within their acceptance time limit ÷ (dispatches − "
                           "those waiting to be accepted before that time limit). A dispatch declined, re-dispatched "
                           "or accepted late counts as not in time."),
        "resolution_rate": _("Resolution rate = dispatches completed (including rated and published) ÷ (dispatches − "
                             "those still open with the unit before their completion time limit). A dispatch declined "
                             "or re-dispatched counts as not resolved."),
        "satisfaction_rate": _("Satisfaction rate = dispatches rated 4 stars or more ÷ dispatches rated (a rating "
                               "belongs to the request's latest dispatch)."),
        "on_time_rate": _("On-time rate = dispatches completed within their completion time limit ÷ (dispatches "
                          "completed + those still open with the unit past their completion time limit)."),
    }


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _parse_figure_day(value: str | None, *, field: str, pattern: str, message: str, day: bool) -> dt.date | None:
    """A date written YYYY-MM-DD (day) or a month YYYY-MM (its first day); None when empty; else a DomainError (400)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if not re.fullmatch(pattern, value):
            raise ValueError(value)
        return dt.date(int(value[:4]), int(value[5:7]), int(value[8:]) if day else 1)
    except ValueError:
        raise DomainError(message % {"field": field}, field=field) from None


def parse_figure_month(value: str | None, *, field: str = "month") -> dt.date | None:
    """"YYYY-MM" -> the first day of that month."""
    return _parse_figure_day(value, field=field, pattern=r"\d{4}-\d{2}", day=False,
                             message=_("%(field)s must be a month written YYYY-MM, for example 2030-01"))


def parse_figure_date(value: str | None, *, field: str) -> dt.date | None:
    """"YYYY-MM-DD" -> that date."""
    return _parse_figure_day(value, field=field, pattern=r"\d{4}-\d{2}-\d{2}", day=True,
                             message=_("%(field)s must be a date written YYYY-MM-DD, for example 2030-01-31"))


def figure_period(*, month: str | None = None, since: str | None = None, until: str | None = None,
                  now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """The days (first, last, both included) that `figures` covers, from the request's parameters.

    `month` is "YYYY-MM" or "last12" (this month and the eleven before it); `since`/`until` are
    "YYYY-MM-DD", both days included; either may be left out (since: the first of until's month;
    until: today). Nothing given: the current month.
    Bad input raises DomainError (400) naming the parameter.
    """
    today = timezone.localdate(now) if now else timezone.localdate()
    first_of = _month_start(today)
    month = (month or "").strip()
    if month and (since or until):
        raise DomainError(_("Give either month or since/until, not both"), field="month")
    if month == FIGURE_LAST_MONTHS:
        return _add_months(first_of, -11), _add_months(first_of, 1) - dt.timedelta(days=1)
    if month:
        first = parse_figure_month(month)
        return first, _add_months(first, 1) - dt.timedelta(days=1)
    start, end = _complete_period(parse_figure_date(since, field="since"), parse_figure_date(until, field="until"), today)
    if start > end:
        raise DomainError(_("The start date %(since)s is after the end date %(until)s") % {
            "since": start.isoformat(), "until": end.isoformat()}, field="since")
    return start, end


def _complete_period(start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """Neither: the current month. No start: from the first of the end's month. No end: up to today."""
    if start is None and end is None:
        start = _month_start(today)
        return start, _add_months(start, 1) - dt.timedelta(days=1)
    if start is None:
        return _month_start(end), end
    return start, end if end is not None else max(start, today)


def figure_months(*, now: dt.datetime | None = None, count: int = 12) -> list[str]:
    """The months the page offers, newest first: "YYYY-MM" of this month and the `count` - 1 before it."""
    first = _month_start(timezone.localdate(now) if now else timezone.localdate())
    return [_add_months(first, -i).strftime("%Y-%m") for i in range(count)]


FIGURE_COUNTS = ("dispatched", "responded", "pending_accept", "resolved", "pending_finish", "on_time", "overdue",
                 "rated", "satisfied")


def _figure_counts(*, prefix: str, now: dt.datetime) -> dict:
    """The counts behind the rates, as aggregates over requests (prefix "") or over their latest dispatch
    events (prefix "request__": the request's deadlines and outcome belong to its latest dispatch)."""
    def f(name):
        return f"{prefix}{name}"

    live = Q(**{f("status__in"): UNIT_STATUSES})
    done = Q(**{f("status__in"): DONE_STATUSES})
    conditions = {
        "responded": Q(**{f("accepted_at__isnull"): False, f("accepted_at__lte"): F(f("accept_due_at"))}),
        "pending_accept": Q(**{f("status"): Status.DISPATCHED, f("accept_due_at__gt"): now}),
        "resolved": done,
        "pending_finish": live & Q(**{f("finish_due_at__gt"): now}),
        "on_time": done & Q(**{f("done_at__lte"): F(f("finish_due_at"))}),
        "overdue": live & Q(**{f("finish_due_at__lte"): now}),
        "rated": Q(**{f("rating__isnull"): False}),
        "satisfied": Q(**{f("rating__gte"): 4}),
    }
    return {"dispatched": Count("id"), **{name: Count("id", filter=q) for name, q in conditions.items()}}


def _figure_row(r: dict, *, month, key_id, name) -> dict:
    response_base = r["dispatched"] - r["pending_accept"]
    resolution_base = r["dispatched"] - r["pending_finish"]
    on_time_base = r["resolved"] + r["overdue"]
    return {
        "month": month.strftime("%Y-%m") if month else "", "id": key_id, "name": name,
        **{k: r[k] for k in FIGURE_COUNTS},
        "response_base": response_base, "resolution_base": resolution_base, "on_time_base": on_time_base,
        "response_rate": _rate(r["responded"], response_base),
        "resolution_rate": _rate(r["resolved"], resolution_base),
        "satisfaction_rate": _rate(r["satisfied"], r["rated"]),
        "on_time_rate": _rate(r["on_time"], on_time_base),
    }


def _unit_figures(user, lo: dt.datetime, hi: dt.datetime, now: dt.datetime, tz) -> list[dict]:
    """Per unit, from the dispatch events: one GROUP BY (month, unit) over the period's dispatches."""
    from django.db.models import Exists, IntegerField, OuterRef
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    qs = (RequestEvent.objects.filter(verb="dispatch", created_at__gte=lo, created_at__lt=hi)
          .exclude(request__kind=Kind.WISH).exclude(request__status__in=[Status.CANCELLED, Status.MERGED])
          .annotate(unit_id=Cast(KT("payload__unit_id"), IntegerField())))
    # Scope as the request lists: the communities overseen, and the dispatches to the user's own units.
    scope = Q(pk__in=[])
    for perm, field in ((P.VIEW_ORDERS, "request__community_id"), (P.HANDLE_ORDERS, "unit_id")):
        if has_perm(user, perm):
            ids = scope_ids(user, perm)
            scope |= ~Q(pk__in=[]) if ids is None else Q(**{f"{field}__in": ids})
    later = RequestEvent.objects.filter(request_id=OuterRef("request_id"), verb="dispatch").filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id")))
    # Grouped by "superseded" too, so the EXISTS runs once per dispatch: a superseded dispatch (declined or
    # re-dispatched, never accepted) only adds to "dispatched"; the request's outcome is its latest dispatch's.
    grouped = (
        qs.filter(scope, unit_id__isnull=False)
        .annotate(superseded=Exists(later), month=TruncMonth("created_at", tzinfo=tz))
        .values("month", "unit_id", "superseded")
        .annotate(**_figure_counts(prefix="request__", now=now))
        .order_by()
    )
    merged: dict[tuple, dict] = {}
    for r in grouped:
        row = merged.setdefault((r["month"], r["unit_id"]), dict.fromkeys(FIGURE_COUNTS, 0))
        for name in ("dispatched",) if r["superseded"] else FIGURE_COUNTS:
            row[name] += r[name]
    names = dict(Organization.objects.filter(pk__in={unit for _, unit in merged}).values_list("id", "name"))
    out = [_figure_row(r, month=month, key_id=unit, name=names.get(unit, "")) for (month, unit), r in merged.items()]
    return sorted(out, key=lambda r: (-int(r["month"].replace("-", "") or 0), r["name"], r["id"]))


def _community_figures(user, lo: dt.datetime, hi: dt.datetime, now: dt.datetime, tz) -> list[dict]:
    """Per community, one row per request by its first dispatch: one GROUP BY (month, community)."""
    from django.db.models import OuterRef, Subquery

    first = (RequestEvent.objects.filter(request_id=OuterRef("pk"), verb="dispatch").order_by("created_at", "id")
             .values("created_at")[:1])
    # dispatched_at is the latest dispatch, never before the first: an indexed bound before the subquery.
    rows = (
        ServiceRequest.objects.filter(staff_q(user)).exclude(kind=Kind.WISH)
        .exclude(status__in=[Status.CANCELLED, Status.MERGED])
        .filter(dispatched_at__gte=lo - dt.timedelta(minutes=1))
        .annotate(first_dispatch=Subquery(first))
        .filter(first_dispatch__gte=lo, first_dispatch__lt=hi)
        .annotate(month=TruncMonth("first_dispatch", tzinfo=tz))
        .values("month", "community_id", "community__name")
        .annotate(**_figure_counts(prefix="", now=now))
        .order_by("-month", "community__name", "community_id")
    )
    return [_figure_row(r, month=r["month"], key_id=r["community_id"], name=r["community__name"]) for r in rows]


def figures(user, *, by: str = "unit", since: dt.date | None = None, until: dt.date | None = None,
            now: dt.datetime | None = None) -> list[dict]:
    """The three rates (response, resolution, satisfaction) and the on-time rate, with the counts behind
    them, per unit or community and calendar month (local time), for the days since..until (both
    included; by default the current month).

    Definitions: figure_definitions(by), shown on the page and returned by the API. Per unit every
    dispatch event counts for the unit it went to (a unit that let a request lapse and lost it to a
    re-dispatch keeps the miss); per community every request counts once, by its first dispatch.
    A dispatch or request whose time limit has not passed yet is "not yet due" and stays out of the
    rate it would otherwise fail.
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    since, until = _complete_period(since, until, timezone.localdate(now))
    lo = dt.datetime.combine(since, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    if by == "community":
        return _community_figures(user, lo, hi, now, tz)
    return _unit_figures(user, lo, hi, now, tz)


def can_view_figures(user) -> bool:
    return bool(user and user.is_authenticated) and has_perm(user, P.VIEW_ORDER_FIGURES)
