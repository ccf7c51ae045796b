"""Reads of the meetings app, always scoped.

Who sees a meeting: staff holding meetings.view over its organiser (the alliance's core
organisation: street admins), anyone holding meetings.view at an organisation that is an active
member of the meeting's alliance (member units' liaisons, communities), and every invitee.
Who sees an action item: meetings.view over its owner organisation or over the organiser.

The three contract selectors at the bottom (open_action_items_for, upcoming_meetings_for,
action_items_for_review) are unscoped reads for other apps (the monthly prompt, the quarterly
review); those apps scope who receives them.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm, scope_paths, scope_q
from tongxin.core.errors import NotFound
from tongxin.orgs.models import Alliance, AllianceMembership, Organization

from .models import ActionItem, ActionStatus, Meeting, MeetingSeries, MeetingStatus


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _day_end(day: dt.date) -> dt.datetime:
    return _day_start(day + dt.timedelta(days=1))


# --- scope -------------------------------------------------------------------------------------

def member_alliance_ids(user, perm: str = P.VIEW_MEETINGS) -> list[int]:
    """Alliances where the user holds `perm` at (or above) an active member organisation."""
    paths = scope_paths(user, perm)
    if not paths:
        return []
    qs = AllianceMembership.objects.filter(left_on__isnull=True)
    if paths != "ALL":
        qs = qs.filter(scope_q(user, perm, "organization__path"))
    return sorted(set(qs.values_list("alliance_id", flat=True)))


def meeting_visible_q(user) -> Q:
    if not user or not user.is_authenticated:
        return Q(pk__in=[])
    q = Q(invitations__user=user)
    if has_perm(user, P.VIEW_MEETINGS):
        q |= scope_q(user, P.VIEW_MEETINGS, "organization__path") | Q(alliance_id__in=member_alliance_ids(user))
    return q


def visible_meetings(user) -> QuerySet[Meeting]:
    ids = Meeting.objects.filter(meeting_visible_q(user)).values("pk")
    return Meeting.objects.filter(pk__in=ids).select_related("alliance", "organization", "chair", "series")


def get_meeting(user, pk) -> Meeting:
    m = visible_meetings(user).filter(pk=pk).first()
    if m is None:
        raise NotFound("会议不存在或不在您的权限范围内")
    return m


def upcoming_meetings(user, *, now=None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    return visible_meetings(user).filter(ends_at__gte=now).exclude(status=MeetingStatus.CANCELLED).order_by("starts_at")


def past_meetings(user, *, now=None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    return visible_meetings(user).filter(Q(ends_at__lt=now) | Q(status=MeetingStatus.CANCELLED)).order_by("-starts_at")


def visible_series(user) -> QuerySet[MeetingSeries]:
    if not has_perm(user, P.VIEW_MEETINGS):
        return MeetingSeries.objects.none()
    q = scope_q(user, P.VIEW_MEETINGS, "organization__path") | Q(alliance_id__in=member_alliance_ids(user))
    return MeetingSeries.objects.filter(q).select_related("alliance", "organization").order_by("alliance", "title")


def get_series(user, pk) -> MeetingSeries:
    s = visible_series(user).filter(pk=pk).first()
    if s is None:
        raise NotFound("会议系列不存在或不在您的权限范围内")
    return s


def managed_alliances(user) -> QuerySet[Alliance]:
    """Alliances whose meetings the user may organise (meetings.manage over the core organisation)."""
    return Alliance.objects.filter(scope_q(user, P.MANAGE_MEETINGS, "core_organization__path")).select_related(
        "core_organization").order_by("name")


def can_manage(user, meeting_or_series) -> bool:
    return has_perm(user, P.MANAGE_MEETINGS, meeting_or_series.organization)


def proposer_choices(user, alliance: Alliance) -> QuerySet[Organization]:
    """Organisations of the alliance (active members or the core) the user may propose agenda items for."""
    ids = set(alliance.memberships.filter(left_on__isnull=True).values_list("organization_id", flat=True))
    ids.add(alliance.core_organization_id)
    return Organization.objects.filter(pk__in=ids).filter(scope_q(user, P.PROPOSE_AGENDA, "path")).order_by("path")


def owner_choices(alliance: Alliance) -> QuerySet[Organization]:
    """Organisations an action item may be assigned to: active members and the core organisation."""
    ids = set(alliance.memberships.filter(left_on__isnull=True).values_list("organization_id", flat=True))
    ids.add(alliance.core_organization_id)
    return Organization.objects.filter(pk__in=ids, archived_at__isnull=True).order_by("path")


def invitation_of(user, meeting: Meeting):
    if not user or not user.is_authenticated:
        return None
    return meeting.invitations.filter(user=user).first()


# --- action items -------------------------------------------------------------------------------

def _items() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related("owner", "alliance", "meeting", "closed_by")


def action_item_visible_q(user) -> Q:
    if not user or not user.is_authenticated or not has_perm(user, P.VIEW_MEETINGS):
        return Q(pk__in=[])
    return scope_q(user, P.VIEW_MEETINGS, "owner__path") | scope_q(user, P.VIEW_MEETINGS, "alliance__core_organization__path")


def visible_action_items(user) -> QuerySet[ActionItem]:
    return _items().filter(action_item_visible_q(user))


def get_action_item(user, pk) -> ActionItem:
    item = visible_action_items(user).filter(pk=pk).first()
    if item is None:
        raise NotFound("行动事项不存在或不在您的权限范围内")
    return item


def my_action_items(user, *, status: str = "open") -> QuerySet[ActionItem]:
    """Items owned by the organisations where the user may report on action items (a liaison's unit)."""
    if not has_perm(user, P.PROPOSE_AGENDA):
        return ActionItem.objects.none()
    qs = _items().filter(scope_q(user, P.PROPOSE_AGENDA, "owner__path"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_on", "id")


def carried_over_items(meeting: Meeting) -> QuerySet[ActionItem]:
    """Open action items of the meeting's alliance decided at earlier meetings (or made elsewhere before it)."""
    return (_items().filter(alliance=meeting.alliance, status=ActionStatus.OPEN, created_at__lt=meeting.starts_at)
            .exclude(meeting=meeting).order_by("due_on", "id"))


# --- cross-app contract -------------------------------------------------------------------------

def open_action_items_for(organization: Organization, *, as_of) -> QuerySet[ActionItem]:
    """Action items owned by `organization` that were open on the day `as_of` (a date or datetime):
    created by the end of that day and not closed before it. Ordered by due date; an item is
    overdue when `due_on < as_of`."""
    day = _as_date(as_of)
    end = _day_end(day)
    return (_items().filter(owner=organization, created_at__lt=end)
            .filter(Q(status=ActionStatus.OPEN) | Q(closed_at__gte=end))
            .order_by("due_on", "id"))


def upcoming_meetings_for(organization: Organization, *, start, end) -> QuerySet[Meeting]:
    """Meetings not cancelled that start between `start` and `end` (dates inclusive, or datetimes)
    which concern `organization`: meetings of an alliance it is an active member (or the core) of,
    and meetings it is invited to."""
    lo = start if isinstance(start, dt.datetime) else _day_start(start)
    hi = end if isinstance(end, dt.datetime) else _day_end(end)
    alliance_ids = set(AllianceMembership.objects.filter(organization=organization, left_on__isnull=True)
                       .values_list("alliance_id", flat=True))
    alliance_ids |= set(Alliance.objects.filter(core_organization=organization).values_list("pk", flat=True))
    invited = Meeting.objects.filter(invitations__organization=organization).values("pk")
    return (Meeting.objects.filter(Q(alliance_id__in=alliance_ids) | Q(pk__in=invited))
            .filter(starts_at__gte=lo, starts_at__lt=hi, status=MeetingStatus.SCHEDULED)
            .select_related("alliance", "chair", "organization").order_by("starts_at", "id"))


def action_items_for_review(alliance: Alliance, *, start, end) -> QuerySet[ActionItem]:
    """The alliance's action items that matter for the period [start, end] (dates inclusive):
    created by its end and not closed before its start (so: open during the period, or closed in
    it). Ordered by owner then due date."""
    lo = _day_start(_as_date(start))
    hi = _day_end(_as_date(end))
    return (_items().filter(alliance=alliance, created_at__lt=hi)
            .filter(Q(status=ActionStatus.OPEN) | Q(closed_at__gte=lo))
            .order_by("owner__path", "due_on", "id"))
