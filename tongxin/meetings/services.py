"""Writes of the meetings app.

Every write takes keyword-only arguments, runs in a transaction, checks the permission over
the organisation concerned, raises DomainError with a Chinese message for every refusal, and
records an audit event. Status changes are compare-and-set UPDATEs, so two concurrent actions
(two check-ins, two closings, two edits of one series) can never both succeed.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ensure_can, has_perm
from tongxin.audit import events
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.orgs.models import Alliance, AllianceMembership, Organization

from . import recurrence
from .models import (
    ActionItem,
    ActionProgress,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    Attendance,
    Decision,
    Invitation,
    Meeting,
    MeetingKind,
    MeetingSeries,
    MeetingStatus,
    Rsvp,
)


class Conflict(DomainError):
    """Someone else changed the object first (compare-and-set lost)."""

    status_code = 409

    def __init__(self, message: str, **kwargs):
        kwargs.setdefault("code", "conflict")
        super().__init__(message, **kwargs)

TITLE_MAX = 200
TEXT_MAX = 4000


def _text(value, *, field: str, label: str, required: bool = True, max_len: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"{label}不能为空", field=field)
    if len(value) > max_len:
        raise DomainError(f"{label}不能超过 {max_len} 个字", field=field)
    return value


def is_alliance_organization(alliance: Alliance, organization: Organization) -> bool:
    """An active member of the alliance, or its core organisation."""
    if organization is None:
        return False
    if organization.pk == alliance.core_organization_id:
        return True
    return AllianceMembership.objects.filter(alliance=alliance, organization=organization, left_on__isnull=True).exists()


# --- action items (cross-app contract) -----------------------------------------------------------

@transaction.atomic
def create_action_item(*, by, alliance: Alliance, title: str, owner: Organization, due_on: dt.date, note: str = "",
                       origin=None) -> ActionItem:
    """A new open action item owed by `owner` (an active member of the alliance or its core
    organisation). `by` needs meetings.manage over the alliance's core organisation or over the
    owner. `origin` (any saved model instance: a meeting decision, a deliberation topic) is
    stored as a generic link; a Decision origin also records its meeting."""
    if owner is None:
        raise DomainError("请选择负责单位", field="owner")
    if not (has_perm(by, P.MANAGE_MEETINGS, alliance.core_organization) or has_perm(by, P.MANAGE_MEETINGS, owner)):
        raise PermissionDenied("您没有权限为该单位布置行动事项")
    title = _text(title, field="title", label="行动事项标题", max_len=TITLE_MAX)
    if not is_alliance_organization(alliance, owner):
        raise DomainError(f"“{owner.name}”不是“{alliance.name}”的在册成员单位，不能承担该联盟的行动事项", field="owner")
    if owner.is_archived:
        raise DomainError(f"“{owner.name}”已归档，不能承担行动事项", field="owner")
    if not isinstance(due_on, dt.date):
        raise DomainError("请填写完成期限", field="due_on")
    if isinstance(due_on, dt.datetime):
        due_on = due_on.date()
    fields = {}
    meeting = None
    if origin is not None:
        if getattr(origin, "pk", None) is None:
            raise DomainError("来源对象尚未保存", field="origin")
        fields = {"origin_type": ContentType.objects.get_for_model(origin, for_concrete_model=True),
                  "origin_id": str(origin.pk), "origin_label": str(origin)[:200]}
        from .models import Decision, Meeting

        if isinstance(origin, Decision):
            meeting = origin.meeting
        elif isinstance(origin, Meeting):
            meeting = origin
    item = ActionItem.objects.create(alliance=alliance, title=title, owner=owner, due_on=due_on,
                                     note=_text(note, field="note", label="说明", required=False),
                                     meeting=meeting, created_by=by if getattr(by, "pk", None) else None, **fields)
    events.record(actor=by, verb="meetings.action_created", target=item, organization=owner,
                  payload={"title": title, "owner": owner.name, "due_on": due_on.isoformat(), "origin": fields.get("origin_label", "")})
    _notify_owner(item, title=f"新的行动事项：{title}", body=f"完成期限 {due_on:%Y-%m-%d}", key=f"meetings.action:{item.pk}:new")
    return item


def _notify_owner(item: ActionItem, *, title: str, body: str, key: str) -> None:
    from tongxin.accounts.models import Role
    from tongxin.notify.services import notify
    from tongxin.orders.services import users_with_roles

    users = users_with_roles(item.owner, [Role.LIAISON])
    if users:
        notify(recipients=users, verb="meetings.action", title=title, body=body, url=f"/meetings/actions/{item.pk}/",
               target=item, organization=item.owner, dedupe_key=key)


def can_report(user, item: ActionItem) -> bool:
    """The owner's liaison (meetings.propose over the owner) or the organiser (meetings.manage over the core)."""
    return has_perm(user, P.PROPOSE_AGENDA, item.owner) or has_perm(user, P.MANAGE_MEETINGS, item.alliance.core_organization)


def _ensure_report(by, item: ActionItem) -> None:
    if not can_report(by, item):
        raise PermissionDenied("只有负责单位的联络员或会议组织者可以处理该行动事项")


@transaction.atomic
def report_progress(*, by, item: ActionItem, text: str) -> ActionProgress:
    _ensure_report(by, item)
    text = _text(text, field="text", label="进展说明")
    if item.status != ActionStatus.OPEN:
        raise DomainError("该行动事项已经关闭，不能再报告进展", field="text")
    row = ActionProgress.objects.create(item=item, text=text, by=by)
    events.record(actor=by, verb="meetings.action_progress", target=item, organization=item.owner, payload={"text": text[:200]})
    return row


def _close(*, by, item: ActionItem, to: str, reason: str, verb: str) -> ActionItem:
    now = timezone.now()
    changed = ActionItem.objects.filter(pk=item.pk, status=ActionStatus.OPEN).update(
        status=to, closed_at=now, closed_by=by, close_reason=reason)
    if changed != 1:
        item.refresh_from_db()
        raise DomainError(f"该行动事项已经是“{item.get_status_display()}”状态，不能重复处理", field="status", code="conflict")
    item.refresh_from_db()
    events.record(actor=by, verb=verb, target=item, organization=item.owner, reason=reason, payload={"status": to})
    return item


@transaction.atomic
def complete_action_item(*, by, item: ActionItem, reason: str = "") -> ActionItem:
    """Close as done: by the owner's liaison or the organiser; `reason` is the completion note."""
    _ensure_report(by, item)
    reason = _text(reason, field="reason", label="完成情况说明", max_len=300)
    return _close(by=by, item=item, to=ActionStatus.DONE, reason=reason, verb="meetings.action_done")


@transaction.atomic
def cancel_action_item(*, by, item: ActionItem, reason: str) -> ActionItem:
    """Cancel (no longer needed): only the organiser, with a reason."""
    ensure_can(by, P.MANAGE_MEETINGS, item.alliance.core_organization, "只有会议组织者可以撤销行动事项")
    reason = _text(reason, field="reason", label="撤销原因", max_len=300)
    return _close(by=by, item=item, to=ActionStatus.CANCELLED, reason=reason, verb="meetings.action_cancelled")


# --- meetings: helpers ---------------------------------------------------------------------------

MAX_DURATION = 12 * 60
MAX_AGENDA_DAYS = 60
REMIND_KIND = "meetings.remind_invitees"
AGENDA_KIND = "meetings.agenda_deadline"
RULE_CANCELLED = "会议系列的重复规则已修改，本次会议取消"


def _aware(day: dt.date, at: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, at))


def local_day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def chair_for(alliance: Alliance, day: dt.date) -> Organization | None:
    """The duty chair (轮值主席单位) whose term covers `day`, or None."""
    term = alliance.duty_chairs.filter(starts_on__lte=day, ends_on__gte=day).select_related("organization").first()
    return term.organization if term else None


def _check_kind(kind: str) -> str:
    if kind not in MeetingKind.values:
        raise DomainError("请选择会议类型（月度工作例会、季度联席会议或专题会议）", field="kind")
    return kind


def _check_numbers(duration_minutes, agenda_days) -> tuple[int, int]:
    try:
        duration = int(duration_minutes)
        days = int(agenda_days)
    except (TypeError, ValueError):
        raise DomainError("会议时长和议题截止天数必须是整数", field="duration_minutes") from None
    if not 15 <= duration <= MAX_DURATION:
        raise DomainError(f"会议时长应在 15 到 {MAX_DURATION} 分钟之间", field="duration_minutes")
    if not 0 <= days <= MAX_AGENDA_DAYS:
        raise DomainError(f"议题截止应为会前 0 到 {MAX_AGENDA_DAYS} 天", field="agenda_days")
    return duration, days


def _ensure_organiser(by, meeting_or_series) -> None:
    ensure_can(by, P.MANAGE_MEETINGS, meeting_or_series.organization, "只有会议组织者可以执行此操作")


def _ensure_not_held(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.HELD:
        raise DomainError("会议已召开，不能再修改会议安排、议程或邀请", field="status", code="held")
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("会议已取消，不能再修改", field="status", code="cancelled")


def representatives(org: Organization):
    """Accounts that attend for an organisation: its liaisons, dispatchers and alliance admins."""
    from tongxin.accounts.models import Role
    from tongxin.orders.services import users_with_roles

    return users_with_roles(org, [Role.LIAISON, Role.DISPATCHER, Role.ALLIANCE_ADMIN])


def organisers_of(meeting: Meeting):
    from tongxin.accounts.models import Role
    from tongxin.orders.services import users_with_roles

    return users_with_roles(meeting.organization, [Role.ALLIANCE_ADMIN, Role.DISPATCHER])


def _alliance_orgs(alliance: Alliance) -> list[Organization]:
    ids = list(alliance.memberships.filter(left_on__isnull=True).values_list("organization_id", flat=True))
    orgs = list(Organization.objects.filter(pk__in=ids, archived_at__isnull=True).order_by("path"))
    if alliance.core_organization not in orgs:
        orgs.insert(0, alliance.core_organization)
    return orgs


def _meeting_url(meeting: Meeting) -> str:
    return f"/meetings/{meeting.pk}/"


def _notify_invitees(meeting: Meeting, *, title: str, body: str, key: str, users=None) -> None:
    from tongxin.notify.services import notify

    if users is None:
        users = [inv.user for inv in meeting.invitations.select_related("user")]
    if users:
        notify(recipients=users, verb="meetings.meeting", title=title, body=body, url=_meeting_url(meeting),
               target=meeting, organization=meeting.organization, dedupe_key=key)


def _when(meeting: Meeting) -> str:
    start = timezone.localtime(meeting.starts_at)
    return f"{start:%Y-%m-%d %H:%M}" + (f"，{meeting.location}" if meeting.location else "")


def _schedule_jobs(meeting: Meeting) -> None:
    from tongxin.notify import scheduler

    now = timezone.now()
    if meeting.status != MeetingStatus.SCHEDULED:
        scheduler.cancel(kind=REMIND_KIND, target=meeting)
        scheduler.cancel(kind=AGENDA_KIND, target=meeting)
        return
    if meeting.starts_at > now:
        scheduler.schedule(kind=REMIND_KIND, due_at=max(meeting.starts_at - dt.timedelta(days=1), now), target=meeting,
                           dedupe_key=f"meetings:{meeting.pk}:remind")
    if meeting.agenda_deadline > now:
        scheduler.schedule(kind=AGENDA_KIND, due_at=meeting.agenda_deadline, target=meeting,
                           dedupe_key=f"meetings:{meeting.pk}:agenda")


def _new_meeting(*, by, alliance, series=None, occurrence=None, kind, title, starts_at, duration, location, agenda_days) -> Meeting:
    meeting = Meeting.objects.create(
        alliance=alliance, organization=alliance.core_organization, series=series, occurrence=occurrence, kind=kind,
        title=title, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=duration), location=location,
        agenda_deadline=starts_at - dt.timedelta(days=agenda_days), chair=chair_for(alliance, local_day(starts_at)),
        checkin_token=secrets.token_urlsafe(16), created_by=by if getattr(by, "pk", None) else None,
    )
    _schedule_jobs(meeting)
    return meeting


def _invite(meeting: Meeting, *, organizations=(), users=(), notify_them: bool = True) -> list[Invitation]:
    existing = set(meeting.invitations.values_list("user_id", flat=True))
    made: list[Invitation] = []
    for org in organizations:
        for user in representatives(org):
            if user.pk not in existing:
                existing.add(user.pk)
                made.append(Invitation.objects.create(meeting=meeting, user=user, organization=org))
    for user in users:
        if user.pk not in existing:
            existing.add(user.pk)
            made.append(Invitation.objects.create(meeting=meeting, user=user))
    if made and notify_them:
        _notify_invitees(meeting, users=[i.user for i in made], title=f"会议邀请：{meeting.title}",
                         body=f"时间地点：{_when(meeting)}。请在会议页面回复是否参加；日历邀请（.ics）：{_meeting_url(meeting)}invite.ics",
                         key=f"meetings.invite:{meeting.pk}")
    return made


# --- one-off meetings -------------------------------------------------------------------------------

@transaction.atomic
def schedule_meeting(*, by, alliance: Alliance, kind: str, title: str, starts_at: dt.datetime, duration_minutes: int = 90,
                     location: str = "", agenda_days: int = 3, invite_members: bool = True) -> Meeting:
    """A single meeting (typically a special-topic or quarterly joint meeting) of the alliance,
    organised by its core organisation; invites every member organisation when `invite_members`."""
    ensure_can(by, P.MANAGE_MEETINGS, alliance.core_organization, "只有联盟核心组织的管理员可以安排联席会议")
    kind = _check_kind(kind)
    title = _text(title, field="title", label="会议名称", max_len=120)
    if not isinstance(starts_at, dt.datetime):
        raise DomainError("请填写会议开始时间", field="starts_at")
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    duration, days = _check_numbers(duration_minutes, agenda_days)
    location = _text(location, field="location", label="会议地点", required=False, max_len=200)
    meeting = _new_meeting(by=by, alliance=alliance, kind=kind, title=title, starts_at=starts_at, duration=duration,
                           location=location, agenda_days=days)
    if invite_members:
        _invite(meeting, organizations=_alliance_orgs(alliance))
    events.record(actor=by, verb="meetings.scheduled", target=meeting, organization=meeting.organization,
                  payload={"kind": kind, "starts_at": starts_at.isoformat(), "location": location})
    return meeting


@transaction.atomic
def update_meeting(*, by, meeting: Meeting, title: str, starts_at: dt.datetime, duration_minutes: int, location: str = "",
                   agenda_days: int = 3, reason: str = "") -> Meeting:
    """Change a meeting that has not been held; bumps the calendar SEQUENCE and tells the invitees."""
    _ensure_organiser(by, meeting)
    _ensure_not_held(meeting)
    title = _text(title, field="title", label="会议名称", max_len=120)
    if not isinstance(starts_at, dt.datetime):
        raise DomainError("请填写会议开始时间", field="starts_at")
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    duration, days = _check_numbers(duration_minutes, agenda_days)
    data = {"title": title, "starts_at": starts_at, "ends_at": starts_at + dt.timedelta(minutes=duration),
            "location": _text(location, field="location", label="会议地点", required=False, max_len=200),
            "agenda_deadline": starts_at - dt.timedelta(days=days), "chair": chair_for(meeting.alliance, local_day(starts_at))}
    diff = events.changes(meeting, data)
    if not diff:
        return meeting
    changed = Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.SCHEDULED, sequence=meeting.sequence).update(
        sequence=F("sequence") + 1, **data)
    if changed != 1:
        raise Conflict("会议刚被其他人修改或已召开，请刷新页面后重试")
    meeting.refresh_from_db()
    _schedule_jobs(meeting)
    events.record(actor=by, verb="meetings.updated", target=meeting, organization=meeting.organization, reason=reason,
                  payload={"changes": diff, "sequence": meeting.sequence})
    _notify_invitees(meeting, title=f"会议变更：{meeting.title}", body=f"新的时间地点：{_when(meeting)}",
                     key=f"meetings.changed:{meeting.pk}:{meeting.sequence}")
    return meeting


@transaction.atomic
def cancel_meeting(*, by, meeting: Meeting, reason: str) -> Meeting:
    _ensure_organiser(by, meeting)
    _ensure_not_held(meeting)
    reason = _text(reason, field="reason", label="取消原因", max_len=200)
    changed = Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.SCHEDULED).update(
        status=MeetingStatus.CANCELLED, cancel_reason=reason, sequence=F("sequence") + 1)
    if changed != 1:
        raise Conflict("会议状态已被其他人改变，请刷新页面")
    meeting.refresh_from_db()
    _schedule_jobs(meeting)
    events.record(actor=by, verb="meetings.cancelled", target=meeting, organization=meeting.organization, reason=reason)
    _notify_invitees(meeting, title=f"会议取消：{meeting.title}", body=f"原定 {_when(meeting)}。原因：{reason}",
                     key=f"meetings.cancelled:{meeting.pk}")
    return meeting


# --- series ---------------------------------------------------------------------------------------

def _series_fields(*, kind, title, rrule, starts_on, start_time, duration_minutes, location, agenda_days) -> dict:
    kind = _check_kind(kind)
    title = _text(title, field="title", label="系列名称", max_len=120)
    rule = recurrence.normalise(rrule)
    if not isinstance(starts_on, dt.date):
        raise DomainError("请填写第一次会议的日期", field="starts_on")
    if not isinstance(start_time, dt.time):
        raise DomainError("请填写会议开始时间", field="start_time")
    duration, days = _check_numbers(duration_minutes, agenda_days)
    return {"kind": kind, "title": title, "rrule": rule, "starts_on": starts_on, "start_time": start_time,
            "duration_minutes": duration, "location": _text(location, field="location", label="会议地点", required=False, max_len=200),
            "agenda_days": days}


def _materialise(series: MeetingSeries, *, by) -> dict:
    """Bring the series' future unheld meetings in line with its rule. Held meetings and meetings
    that already started are never touched. Returns counts {created, changed, cancelled}."""
    now = timezone.now()
    today = timezone.localdate()
    dates = [d for d in recurrence.occurrences(series.rrule, starts_on=series.starts_on, today=today)
             if _aware(d, series.start_time) > now or not series.meetings.exists()]
    wanted = set(dates)
    counts = {"created": 0, "changed": 0, "cancelled": 0}
    existing = {m.occurrence: m for m in series.meetings.all()}
    members = _alliance_orgs(series.alliance)
    for m in existing.values():
        if m.status == MeetingStatus.HELD or m.starts_at <= now:
            continue
        if m.status == MeetingStatus.CANCELLED and m.cancel_reason != RULE_CANCELLED:
            continue  # cancelled by hand: a rule edit does not bring it back
        if m.occurrence not in wanted:
            if m.status == MeetingStatus.SCHEDULED:
                Meeting.objects.filter(pk=m.pk, status=MeetingStatus.SCHEDULED).update(
                    status=MeetingStatus.CANCELLED, cancel_reason=RULE_CANCELLED, sequence=F("sequence") + 1)
                m.refresh_from_db()
                _schedule_jobs(m)
                _notify_invitees(m, title=f"会议取消：{m.title}", body=f"原定 {_when(m)}。会议系列的重复规则已修改。",
                                 key=f"meetings.cancelled:{m.pk}")
                counts["cancelled"] += 1
            continue
        starts_at = _aware(m.occurrence, series.start_time)
        data = {"kind": series.kind, "title": series.title, "starts_at": starts_at,
                "ends_at": starts_at + dt.timedelta(minutes=series.duration_minutes), "location": series.location,
                "agenda_deadline": starts_at - dt.timedelta(days=series.agenda_days),
                "chair": chair_for(series.alliance, m.occurrence), "status": MeetingStatus.SCHEDULED, "cancel_reason": ""}
        if events.changes(m, data):
            Meeting.objects.filter(pk=m.pk).update(sequence=F("sequence") + 1, **data)
            m.refresh_from_db()
            _schedule_jobs(m)
            _notify_invitees(m, title=f"会议变更：{m.title}", body=f"新的时间地点：{_when(m)}",
                             key=f"meetings.changed:{m.pk}:{m.sequence}")
            counts["changed"] += 1
    for day in dates:
        if day in existing:
            continue
        m = _new_meeting(by=by, alliance=series.alliance, series=series, occurrence=day, kind=series.kind, title=series.title,
                         starts_at=_aware(day, series.start_time), duration=series.duration_minutes, location=series.location,
                         agenda_days=series.agenda_days)
        _invite(m, organizations=members, notify_them=m.starts_at > now)
        counts["created"] += 1
    return counts


@transaction.atomic
def create_series(*, by, alliance: Alliance, kind: str, title: str, rrule: str, starts_on: dt.date, start_time: dt.time,
                  duration_minutes: int = 90, location: str = "", agenda_days: int = 3) -> MeetingSeries:
    """A recurring series; its meetings are created at once (capped, see recurrence.py)."""
    ensure_can(by, P.MANAGE_MEETINGS, alliance.core_organization, "只有联盟核心组织的管理员可以安排联席会议")
    fields = _series_fields(kind=kind, title=title, rrule=rrule, starts_on=starts_on, start_time=start_time,
                            duration_minutes=duration_minutes, location=location, agenda_days=agenda_days)
    series = MeetingSeries.objects.create(alliance=alliance, organization=alliance.core_organization,
                                          created_by=by if getattr(by, "pk", None) else None, **fields)
    counts = _materialise(series, by=by)
    events.record(actor=by, verb="meetings.series_created", target=series, organization=series.organization,
                  payload={"rrule": series.rrule, **counts})
    return series


@transaction.atomic
def update_series(*, by, series: MeetingSeries, expected_version: int, kind: str, title: str, rrule: str, starts_on: dt.date,
                  start_time: dt.time, duration_minutes: int = 90, location: str = "", agenda_days: int = 3,
                  reason: str = "") -> dict:
    """Edit the rule or the defaults of a series. Only future meetings that have not been held
    change. `expected_version` is the version the editor started from: if someone else saved in
    between, this edit is refused (compare-and-set), so two overlapping edits never both apply."""
    _ensure_organiser(by, series)
    fields = _series_fields(kind=kind, title=title, rrule=rrule, starts_on=starts_on, start_time=start_time,
                            duration_minutes=duration_minutes, location=location, agenda_days=agenda_days)
    try:
        expected_version = int(expected_version)
    except (TypeError, ValueError):
        raise DomainError("缺少版本号，请刷新页面后重新编辑", field="version") from None
    diff = events.changes(series, fields)
    changed = MeetingSeries.objects.filter(pk=series.pk, version=expected_version).update(version=F("version") + 1, **fields)
    if changed != 1:
        current = MeetingSeries.objects.filter(pk=series.pk).values_list("version", flat=True).first()
        raise Conflict(f"该会议系列已被其他人修改（您编辑的是第 {expected_version} 版，现在是第 {current} 版），"
                       "您的修改没有保存，请刷新页面后重新编辑", field="version")
    series.refresh_from_db()
    counts = _materialise(series, by=by)
    events.record(actor=by, verb="meetings.series_updated", target=series, organization=series.organization, reason=reason,
                  payload={"changes": diff, "version": series.version, **counts})
    return counts


# --- agenda -------------------------------------------------------------------------------------

@transaction.atomic
def propose_agenda_item(*, by, meeting: Meeting, title: str, description: str = "", proposer: Organization | None = None) -> AgendaItem:
    """A member unit proposes an agenda item before the deadline. The organiser may add items at
    any time before the meeting is held; theirs are accepted at once."""
    from .selectors import proposer_choices

    organiser = has_perm(by, P.MANAGE_MEETINGS, meeting.organization)
    _ensure_not_held(meeting)
    title = _text(title, field="title", label="议题名称", max_len=120)
    description = _text(description, field="description", label="议题说明", required=False)
    if not organiser and timezone.now() > meeting.agenda_deadline:
        deadline = timezone.localtime(meeting.agenda_deadline)
        raise DomainError(f"议题征集已于 {deadline:%Y-%m-%d %H:%M} 截止，不能再提交议题，请联系会议组织者", field="title", code="deadline")
    choices = proposer_choices(by, meeting.alliance)
    if proposer is None:
        proposer = meeting.organization if organiser else choices.first()
    if proposer is None or not (choices.filter(pk=proposer.pk).exists() or (organiser and proposer.pk == meeting.organization_id)):
        raise PermissionDenied("只有联盟成员单位的联络员可以为本单位提交议题")
    position = (meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0) + 1
    item = AgendaItem.objects.create(meeting=meeting, title=title, description=description, proposer=proposer, proposed_by=by,
                                     status=AgendaStatus.ACCEPTED if organiser else AgendaStatus.PROPOSED, position=position)
    events.record(actor=by, verb="meetings.agenda_proposed", target=item, organization=proposer,
                  payload={"meeting": meeting.pk, "title": title})
    return item


@transaction.atomic
def decide_agenda_item(*, by, item: AgendaItem, accept: bool, reason: str = "") -> AgendaItem:
    meeting = item.meeting
    _ensure_organiser(by, meeting)
    _ensure_not_held(meeting)
    reason = _text(reason, field="reason", label="不采纳的原因", required=not accept, max_len=200)
    to = AgendaStatus.ACCEPTED if accept else AgendaStatus.REJECTED
    if item.status == to:
        raise DomainError(f"该议题已经是“{item.get_status_display()}”状态", field="status", code="conflict")
    changed = AgendaItem.objects.filter(pk=item.pk, status=item.status).update(status=to, decision_reason=reason)
    if changed != 1:
        raise Conflict("该议题刚被其他人处理过，请刷新页面")
    item.refresh_from_db()
    events.record(actor=by, verb="meetings.agenda_accepted" if accept else "meetings.agenda_rejected", target=item,
                  organization=item.proposer, reason=reason)
    if item.proposed_by_id and item.proposed_by_id != getattr(by, "pk", None):
        from tongxin.notify.services import notify

        notify(recipients=[item.proposed_by], verb="meetings.agenda", url=_meeting_url(meeting), target=item,
               organization=item.proposer, dedupe_key=f"meetings.agenda_decided:{item.pk}:{to}",
               title=f"议题“{item.title}”{'已列入议程' if accept else '未被采纳'}", body=reason)
    return item


@transaction.atomic
def order_agenda(*, by, meeting: Meeting, item_ids: list[int]) -> None:
    """Set the order of the agenda: `item_ids` lists every agenda item of the meeting once."""
    _ensure_organiser(by, meeting)
    _ensure_not_held(meeting)
    ids = [int(i) for i in item_ids]
    current = set(meeting.agenda_items.values_list("pk", flat=True))
    if len(ids) != len(set(ids)) or set(ids) != current:
        raise DomainError("议程排序必须恰好包含本次会议的全部议题，各一次", field="item_ids")
    for position, pk in enumerate(ids, start=1):
        AgendaItem.objects.filter(pk=pk, meeting=meeting).update(position=position)
    events.record(actor=by, verb="meetings.agenda_ordered", target=meeting, organization=meeting.organization, payload={"order": ids})


def move_agenda_item(*, by, item: AgendaItem, up: bool) -> None:
    ids = list(item.meeting.agenda_items.order_by("position", "id").values_list("pk", flat=True))
    i = ids.index(item.pk)
    j = i - 1 if up else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    order_agenda(by=by, meeting=item.meeting, item_ids=ids)


# --- invitations, RSVP, attendance -----------------------------------------------------------------

@transaction.atomic
def invite(*, by, meeting: Meeting, organizations=(), users=()) -> list[Invitation]:
    """Invite organisations (their liaisons / staff accounts) and individual accounts."""
    _ensure_organiser(by, meeting)
    _ensure_not_held(meeting)
    organizations, users = list(organizations or []), list(users or [])
    if not organizations and not users:
        raise DomainError("请选择要邀请的单位或人员", field="organizations")
    for org in organizations:
        if not representatives(org):
            raise DomainError(f"“{org.name}”没有联络员或管理员账号，无法邀请", field="organizations")
    made = _invite(meeting, organizations=organizations, users=users)
    events.record(actor=by, verb="meetings.invited", target=meeting, organization=meeting.organization,
                  payload={"organizations": [o.name for o in organizations], "users": [u.username for u in users], "created": len(made)})
    return made


@transaction.atomic
def rsvp(*, by, meeting: Meeting, answer: str, reason: str = "") -> Invitation:
    """An invitee replies yes / no / maybe (a reason is required for no and maybe)."""
    inv = meeting.invitations.filter(user=by).first() if getattr(by, "pk", None) else None
    if inv is None:
        raise PermissionDenied("您不在本次会议的邀请名单中，不能回复")
    _ensure_not_held(meeting)
    if timezone.now() >= meeting.starts_at:
        raise DomainError("会议已经开始，不能再回复是否参加", field="answer")
    if answer not in (Rsvp.YES, Rsvp.NO, Rsvp.MAYBE):
        raise DomainError("请选择参加、不参加或待定", field="answer")
    reason = _text(reason, field="reason", label="不参加或待定的原因", required=answer != Rsvp.YES, max_len=200)
    Invitation.objects.filter(pk=inv.pk).update(rsvp=answer, rsvp_reason=reason, rsvp_at=timezone.now())
    inv.refresh_from_db()
    events.record(actor=by, verb="meetings.rsvp", target=inv, organization=inv.organization or meeting.organization,
                  reason=reason, payload={"meeting": meeting.pk, "answer": answer})
    return inv


def _check_in(*, by, inv: Invitation, how: str) -> Invitation:
    now = timezone.now()
    changed = Invitation.objects.filter(pk=inv.pk, checked_in_at__isnull=True).update(
        attendance=Attendance.PRESENT, checked_in_at=now, checked_in_by=by, absence_reason="")
    if changed != 1:
        inv.refresh_from_db()
        raise DomainError(f"{inv.user} 已于 {timezone.localtime(inv.checked_in_at):%H:%M} 签到，不能重复签到",
                          field="invitation", code="conflict")
    inv.refresh_from_db()
    events.record(actor=by, verb="meetings.checked_in", target=inv, organization=inv.organization or inv.meeting.organization,
                  payload={"meeting": inv.meeting_id, "how": how})
    return inv


def _ensure_meeting_day(meeting: Meeting, *, organiser: bool) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("会议已取消，不能签到", field="status")
    today = timezone.localdate()
    day = local_day(meeting.starts_at)
    if organiser:
        if today < day:
            raise DomainError(f"会议在 {day:%Y-%m-%d} 召开，当天才能记录签到", field="invitation")
    elif today != day:
        raise DomainError(f"只能在会议当天（{day:%Y-%m-%d}）扫码签到", field="token")


@transaction.atomic
def check_in(*, by, invitation: Invitation) -> Invitation:
    """The organiser records that an invitee is present (on or after the meeting day)."""
    _ensure_organiser(by, invitation.meeting)
    _ensure_meeting_day(invitation.meeting, organiser=True)
    return _check_in(by=by, inv=invitation, how="organiser")


@transaction.atomic
def self_check_in(*, by, meeting: Meeting, token: str) -> Invitation:
    """An invitee checks in by scanning the meeting's QR code (logged in, on the meeting day)."""
    if not token or not secrets.compare_digest(str(token), meeting.checkin_token):
        raise DomainError("签到二维码无效或已过期", field="token")
    inv = meeting.invitations.filter(user=by).first() if getattr(by, "pk", None) else None
    if inv is None:
        raise PermissionDenied("您不在本次会议的邀请名单中，不能签到")
    _ensure_meeting_day(meeting, organiser=False)
    return _check_in(by=by, inv=inv, how="qr")


@transaction.atomic
def mark_absent(*, by, invitation: Invitation, reason: str) -> Invitation:
    _ensure_organiser(by, invitation.meeting)
    _ensure_meeting_day(invitation.meeting, organiser=True)
    reason = _text(reason, field="reason", label="缺席原因", max_len=200)
    changed = Invitation.objects.filter(pk=invitation.pk, checked_in_at__isnull=True).update(
        attendance=Attendance.ABSENT, absence_reason=reason)
    if changed != 1:
        raise DomainError(f"{invitation.user} 已签到，不能登记为缺席", field="invitation", code="conflict")
    invitation.refresh_from_db()
    events.record(actor=by, verb="meetings.absent", target=invitation,
                  organization=invitation.organization or invitation.meeting.organization, reason=reason)
    return invitation


# --- minutes, decisions, action items -------------------------------------------------------------

MAX_ATTACHMENT = 20 * 1024 * 1024
ATTACHMENT_TYPES = (".pdf", ".doc", ".docx", ".odt", ".txt", ".jpg", ".jpeg", ".png", ".xlsx")


@transaction.atomic
def record_minutes(*, by, meeting: Meeting, text: str, attachment=None) -> Meeting:
    """Record (or amend) the minutes; the first recording marks the meeting as held."""
    _ensure_organiser(by, meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("会议已取消，不能记录纪要", field="status")
    if timezone.localdate() < local_day(meeting.starts_at):
        raise DomainError("会议尚未召开，不能记录纪要", field="text")
    text = _text(text, field="text", label="会议纪要", max_len=20000)
    if attachment is not None:
        name = (getattr(attachment, "name", "") or "").lower()
        if not name.endswith(ATTACHMENT_TYPES):
            raise DomainError(f"附件类型不支持，可上传：{'、'.join(ATTACHMENT_TYPES)}", field="attachment")
        if getattr(attachment, "size", 0) > MAX_ATTACHMENT:
            raise DomainError("附件不能超过 20 MB", field="attachment")
    first = meeting.status == MeetingStatus.SCHEDULED
    if first:
        changed = Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.SCHEDULED).update(status=MeetingStatus.HELD)
        if changed != 1:
            raise Conflict("会议状态已被其他人改变，请刷新页面")
        meeting.status = MeetingStatus.HELD
    meeting.minutes = text
    meeting.minutes_by = by
    meeting.minutes_at = timezone.now()
    if attachment is not None:
        meeting.minutes_file.save(attachment.name, attachment, save=False)
    meeting.save(update_fields=["minutes", "minutes_by", "minutes_at", "minutes_file", "status"])
    _schedule_jobs(meeting)
    events.record(actor=by, verb="meetings.minutes_recorded" if first else "meetings.minutes_amended", target=meeting,
                  organization=meeting.organization, payload={"length": len(text), "attachment": bool(attachment)})
    return meeting


@transaction.atomic
def add_decision(*, by, meeting: Meeting, text: str) -> Decision:
    _ensure_organiser(by, meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("会议已取消，不能记录决定", field="status")
    if timezone.localdate() < local_day(meeting.starts_at):
        raise DomainError("会议尚未召开，不能记录决定", field="text")
    text = _text(text, field="text", label="决定内容", max_len=2000)
    position = (meeting.decisions.aggregate(m=Max("position"))["m"] or 0) + 1
    decision = Decision.objects.create(meeting=meeting, text=text, position=position, created_by=by)
    events.record(actor=by, verb="meetings.decision_added", target=decision, organization=meeting.organization, payload={"text": text[:200]})
    return decision


def assign_action(*, by, decision: Decision, title: str, owner: Organization, due_on: dt.date, note: str = "") -> ActionItem:
    """A decision becomes an action item (one decision may produce several)."""
    _ensure_organiser(by, decision.meeting)
    return create_action_item(by=by, alliance=decision.meeting.alliance, title=title, owner=owner, due_on=due_on, note=note,
                              origin=decision)
