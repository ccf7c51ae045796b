"""Joint meetings API (/api/v1/meetings): the same selectors and services as the pages.

- GET  /                          meetings in scope (?when=upcoming|past|all)      POST /  schedule one meeting
- GET  /{id}                      detail: agenda, invitations, decisions, action items, carried-over items
- PUT  /{id}                      change time/place/title (refused once held)      POST /{id}/cancel
- GET  /{id}/ics                  calendar invitation (text/calendar; stable UID, SEQUENCE bumped per change)
- POST /{id}/agenda               propose an agenda item (before the deadline)
- POST /{id}/agenda/{item}/decide accept or reject                                 PUT /{id}/agenda/order
- POST /{id}/invitations          invite organisations / accounts                  POST /{id}/rsvp
- POST /{id}/checkin              self check-in with the QR token, or the organiser with invitation_id
- POST /{id}/absences             record an absence with its reason
- POST /{id}/minutes              minutes (the first time marks the meeting held)  POST /{id}/decisions
- POST /decisions/{id}/actions    a decision becomes an action item
- GET  /series  POST /series      GET /series/{id}  PUT /series/{id} (with `version`: 409 when someone saved first)
- GET  /actions                   ?scope=mine|all&status=open|done|cancelled|all   GET /actions/{id}
- POST /actions/{id}/progress | /done | /cancel
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status

from tongxin.accounts.models import User
from tongxin.core.errors import DomainError, NotFound
from tongxin.orgs.models import Alliance, Organization
from tongxin.orgs.selectors import visible_organizations

from . import calendar, selectors, services
from .models import ActionItem, AgendaItem, Decision, Invitation, Meeting, MeetingSeries

router = Router(tags=["meetings"])


def _iso(value):
    return value.isoformat() if value else None


def _org(pk, field):
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise DomainError(f"组织 {pk} 不存在", field=field)
    return org


def _alliance(user, pk) -> Alliance:
    alliances = list(selectors.managed_alliances(user))
    if pk is None:
        if len(alliances) == 1:
            return alliances[0]
        if not alliances:
            raise NotFound("您没有可以安排会议的联盟")
        raise DomainError("请用 alliance_id 指明联盟", field="alliance_id")
    a = next((a for a in alliances if a.pk == pk), None)
    if a is None:
        raise NotFound("联盟不存在或您不能为它安排会议")
    return a


def meeting_summary(m: Meeting) -> dict:
    return {"id": m.pk, "title": m.title, "kind": m.kind, "status": m.status, "starts_at": _iso(m.starts_at), "ends_at": _iso(m.ends_at),
            "location": m.location, "agenda_deadline": _iso(m.agenda_deadline), "alliance_id": m.alliance_id,
            "chair": m.chair.name if m.chair_id else None, "chair_id": m.chair_id, "series_id": m.series_id,
            "sequence": m.sequence, "uid": calendar.meeting_uid(m)}


def action_summary(i: ActionItem) -> dict:
    return {"id": i.pk, "title": i.title, "owner_id": i.owner_id, "owner": i.owner.name, "due_on": _iso(i.due_on), "status": i.status,
            "overdue": i.is_overdue(timezone.localdate()), "note": i.note, "closed_at": _iso(i.closed_at), "close_reason": i.close_reason,
            "origin": i.origin_label, "meeting_id": i.meeting_id, "alliance_id": i.alliance_id}


def series_summary(s: MeetingSeries) -> dict:
    return {"id": s.pk, "title": s.title, "kind": s.kind, "rrule": s.rrule, "starts_on": _iso(s.starts_on),
            "start_time": s.start_time.strftime("%H:%M"), "duration_minutes": s.duration_minutes, "location": s.location,
            "agenda_days": s.agenda_days, "version": s.version, "alliance_id": s.alliance_id}


def _meeting(request, pk) -> Meeting:
    return selectors.get_meeting(request.user, pk)


# --- meetings ---------------------------------------------------------------------------------------

class MeetingIn(Schema):
    title: str
    starts_at: dt.datetime
    kind: str = "special"
    duration_minutes: int = 90
    location: str = ""
    agenda_days: int = 3
    invite_members: bool = True
    alliance_id: int | None = None
    reason: str = ""


@router.get("/", response=dict)
def list_meetings(request: HttpRequest, when: str = "upcoming", limit: int = 50, offset: int = 0):
    if when == "past":
        qs = selectors.past_meetings(request.user)
    elif when == "all":
        qs = selectors.visible_meetings(request.user).order_by("starts_at")
    else:
        qs = selectors.upcoming_meetings(request.user)
    limit = max(1, min(limit, 200))
    return {"count": qs.count(), "items": [meeting_summary(m) for m in qs[offset:offset + limit]]}


@router.post("/", response={201: dict})
def schedule(request: HttpRequest, payload: MeetingIn):
    m = services.schedule_meeting(by=request.user, alliance=_alliance(request.user, payload.alliance_id), kind=payload.kind,
                                  title=payload.title, starts_at=payload.starts_at, duration_minutes=payload.duration_minutes,
                                  location=payload.location, agenda_days=payload.agenda_days, invite_members=payload.invite_members)
    return Status(201, meeting_summary(m))


@router.get("/series", response=dict)
def list_series(request: HttpRequest):
    return {"items": [series_summary(s) for s in selectors.visible_series(request.user)]}


class SeriesIn(Schema):
    title: str
    rrule: str
    starts_on: dt.date
    start_time: dt.time
    kind: str = "monthly"
    duration_minutes: int = 90
    location: str = ""
    agenda_days: int = 3
    alliance_id: int | None = None
    version: int | None = None
    reason: str = ""


def _series_fields(p: SeriesIn) -> dict:
    return {"kind": p.kind, "title": p.title, "rrule": p.rrule, "starts_on": p.starts_on, "start_time": p.start_time,
            "duration_minutes": p.duration_minutes, "location": p.location, "agenda_days": p.agenda_days}


@router.post("/series", response={201: dict})
def create_series(request: HttpRequest, payload: SeriesIn):
    s = services.create_series(by=request.user, alliance=_alliance(request.user, payload.alliance_id), **_series_fields(payload))
    return Status(201, {**series_summary(s), "meetings": [meeting_summary(m) for m in s.meetings.order_by("starts_at")]})


@router.get("/series/{pk}", response=dict)
def get_series(request: HttpRequest, pk: int):
    s = selectors.get_series(request.user, pk)
    return {**series_summary(s), "meetings": [meeting_summary(m) for m in s.meetings.select_related("chair").order_by("starts_at")]}


@router.put("/series/{pk}", response=dict)
def update_series(request: HttpRequest, pk: int, payload: SeriesIn):
    s = selectors.get_series(request.user, pk)
    counts = services.update_series(by=request.user, series=s, expected_version=payload.version, reason=payload.reason,
                                    **_series_fields(payload))
    s.refresh_from_db()
    return {**series_summary(s), **counts}


# --- action items ---------------------------------------------------------------------------------------

@router.get("/actions", response=dict)
def list_actions(request: HttpRequest, scope: str = "mine", status: str = "open", limit: int = 50, offset: int = 0):
    if scope == "all":
        qs = selectors.visible_action_items(request.user)
        if status != "all":
            qs = qs.filter(status=status)
    else:
        qs = selectors.my_action_items(request.user, status="" if status == "all" else status)
    qs = qs.order_by("due_on", "id")
    limit = max(1, min(limit, 200))
    return {"count": qs.count(), "items": [action_summary(i) for i in qs[offset:offset + limit]]}


@router.get("/actions/{pk}", response=dict)
def get_action(request: HttpRequest, pk: int):
    item = selectors.get_action_item(request.user, pk)
    return {**action_summary(item), "progress": [{"text": p.text, "by": str(p.by) if p.by_id else None, "at": _iso(p.at)}
                                                 for p in item.progress.select_related("by")]}


class TextIn(Schema):
    text: str = ""
    reason: str = ""


@router.post("/actions/{pk}/progress", response={201: dict})
def action_progress(request: HttpRequest, pk: int, payload: TextIn):
    item = selectors.get_action_item(request.user, pk)
    row = services.report_progress(by=request.user, item=item, text=payload.text)
    return Status(201, {"id": row.pk, "text": row.text, "at": _iso(row.at)})


@router.post("/actions/{pk}/done", response=dict)
def action_done(request: HttpRequest, pk: int, payload: TextIn):
    item = selectors.get_action_item(request.user, pk)
    return action_summary(services.complete_action_item(by=request.user, item=item, reason=payload.reason or payload.text))


@router.post("/actions/{pk}/cancel", response=dict)
def action_cancel(request: HttpRequest, pk: int, payload: TextIn):
    item = selectors.get_action_item(request.user, pk)
    return action_summary(services.cancel_action_item(by=request.user, item=item, reason=payload.reason or payload.text))


class ActionIn(Schema):
    title: str
    owner_id: int
    due_on: dt.date
    note: str = ""


@router.post("/decisions/{pk}/actions", response={201: dict})
def decision_action(request: HttpRequest, pk: int, payload: ActionIn):
    decision = Decision.objects.filter(pk=pk, meeting__in=selectors.visible_meetings(request.user)).select_related("meeting").first()
    if decision is None:
        raise NotFound("会议决定不存在或不在您的权限范围内")
    item = services.assign_action(by=request.user, decision=decision, title=payload.title, owner=_org(payload.owner_id, "owner_id"),
                                  due_on=payload.due_on, note=payload.note)
    return Status(201, action_summary(item))


# --- one meeting -------------------------------------------------------------------------------------------

@router.get("/{pk}", response=dict)
def get_meeting(request: HttpRequest, pk: int):
    m = _meeting(request, pk)
    organiser = selectors.can_manage(request.user, m)
    agenda = m.agenda_items.select_related("proposer").order_by("position", "id")
    if not organiser:
        agenda = [a for a in agenda if a.status == "accepted" or a.proposed_by_id == request.user.pk]
    invs = m.invitations.select_related("user", "organization")
    return {
        **meeting_summary(m), "minutes": m.minutes, "minutes_at": _iso(m.minutes_at), "cancel_reason": m.cancel_reason,
        "agenda": [{"id": a.pk, "title": a.title, "description": a.description, "proposer": a.proposer.name, "status": a.status,
                    "position": a.position, "reason": a.decision_reason} for a in agenda],
        "invitations": [{"id": i.pk, "user": i.user.username, "organization": i.organization.name if i.organization_id else None,
                         "rsvp": i.rsvp, "rsvp_reason": i.rsvp_reason, "attendance": i.attendance,
                         "absence_reason": i.absence_reason, "checked_in_at": _iso(i.checked_in_at)} for i in invs],
        "decisions": [{"id": d.pk, "text": d.text} for d in m.decisions.order_by("position", "id")],
        "action_items": [action_summary(i) for i in m.action_items.select_related("owner")],
        "carried_over": [action_summary(i) for i in selectors.carried_over_items(m)],
    }


@router.put("/{pk}", response=dict)
def update_meeting(request: HttpRequest, pk: int, payload: MeetingIn):
    m = services.update_meeting(by=request.user, meeting=_meeting(request, pk), title=payload.title, starts_at=payload.starts_at,
                                duration_minutes=payload.duration_minutes, location=payload.location, agenda_days=payload.agenda_days,
                                reason=payload.reason)
    return meeting_summary(m)


@router.post("/{pk}/cancel", response=dict)
def cancel(request: HttpRequest, pk: int, payload: TextIn):
    return meeting_summary(services.cancel_meeting(by=request.user, meeting=_meeting(request, pk), reason=payload.reason or payload.text))


@router.get("/{pk}/ics")
def ics(request: HttpRequest, pk: int):
    m = _meeting(request, pk)
    resp = HttpResponse(calendar.ics_bytes(m, url=request.build_absolute_uri(f"/meetings/{m.pk}/")), content_type="text/calendar; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="meeting-{m.pk}.ics"'
    return resp


class AgendaIn(Schema):
    title: str
    description: str = ""
    proposer_id: int | None = None


@router.post("/{pk}/agenda", response={201: dict})
def propose(request: HttpRequest, pk: int, payload: AgendaIn):
    item = services.propose_agenda_item(by=request.user, meeting=_meeting(request, pk), title=payload.title,
                                        description=payload.description, proposer=_org(payload.proposer_id, "proposer_id"))
    return Status(201, {"id": item.pk, "title": item.title, "status": item.status, "proposer": item.proposer.name})


class DecideIn(Schema):
    accept: bool
    reason: str = ""


@router.post("/{pk}/agenda/{item_id}/decide", response=dict)
def decide(request: HttpRequest, pk: int, item_id: int, payload: DecideIn):
    m = _meeting(request, pk)
    item = AgendaItem.objects.filter(meeting=m, pk=item_id).first()
    if item is None:
        raise NotFound("议题不存在")
    item = services.decide_agenda_item(by=request.user, item=item, accept=payload.accept, reason=payload.reason)
    return {"id": item.pk, "status": item.status, "reason": item.decision_reason}


class OrderIn(Schema):
    item_ids: list[int]


@router.put("/{pk}/agenda/order", response=dict)
def order(request: HttpRequest, pk: int, payload: OrderIn):
    m = _meeting(request, pk)
    services.order_agenda(by=request.user, meeting=m, item_ids=payload.item_ids)
    return {"item_ids": list(m.agenda_items.order_by("position", "id").values_list("pk", flat=True))}


class InviteIn(Schema):
    organization_ids: list[int] = []
    usernames: list[str] = []


@router.post("/{pk}/invitations", response={201: dict})
def invite(request: HttpRequest, pk: int, payload: InviteIn):
    visible = {o.pk: o for o in visible_organizations(request.user).filter(pk__in=payload.organization_ids)}
    missing = [i for i in payload.organization_ids if i not in visible]
    if missing:
        raise DomainError(f"组织不存在或不在您的权限范围内：{'、'.join(map(str, missing))}", field="organization_ids")
    orgs = [visible[i] for i in payload.organization_ids]
    users = list(User.objects.filter(username__in=payload.usernames))
    unknown = set(payload.usernames) - {u.username for u in users}
    if unknown:
        raise DomainError(f"账号不存在：{'、'.join(sorted(unknown))}", field="usernames")
    made = services.invite(by=request.user, meeting=_meeting(request, pk), organizations=orgs, users=users)
    return Status(201, {"created": [{"id": i.pk, "user": i.user.username} for i in made]})


class RsvpIn(Schema):
    answer: str
    reason: str = ""


@router.post("/{pk}/rsvp", response=dict)
def rsvp(request: HttpRequest, pk: int, payload: RsvpIn):
    inv = services.rsvp(by=request.user, meeting=_meeting(request, pk), answer=payload.answer, reason=payload.reason)
    return {"id": inv.pk, "rsvp": inv.rsvp, "reason": inv.rsvp_reason}


class CheckinIn(Schema):
    token: str = ""
    invitation_id: int | None = None
    reason: str = ""


def _invitation(m: Meeting, pk) -> Invitation:
    inv = Invitation.objects.filter(meeting=m, pk=pk).select_related("meeting", "user").first()
    if inv is None:
        raise DomainError("邀请记录不存在", field="invitation_id")
    return inv


@router.post("/{pk}/checkin", response=dict)
def checkin(request: HttpRequest, pk: int, payload: CheckinIn):
    m = _meeting(request, pk)
    if payload.invitation_id is not None:
        inv = services.check_in(by=request.user, invitation=_invitation(m, payload.invitation_id))
    else:
        inv = services.self_check_in(by=request.user, meeting=m, token=payload.token)
    return {"id": inv.pk, "attendance": inv.attendance, "checked_in_at": _iso(inv.checked_in_at)}


@router.post("/{pk}/absences", response=dict)
def absent(request: HttpRequest, pk: int, payload: CheckinIn):
    inv = services.mark_absent(by=request.user, invitation=_invitation(_meeting(request, pk), payload.invitation_id), reason=payload.reason)
    return {"id": inv.pk, "attendance": inv.attendance, "absence_reason": inv.absence_reason}


@router.post("/{pk}/minutes", response=dict)
def minutes(request: HttpRequest, pk: int, payload: TextIn):
    m = services.record_minutes(by=request.user, meeting=_meeting(request, pk), text=payload.text)
    return {**meeting_summary(m), "minutes": m.minutes}


@router.post("/{pk}/decisions", response={201: dict})
def decision(request: HttpRequest, pk: int, payload: TextIn):
    d = services.add_decision(by=request.user, meeting=_meeting(request, pk), text=payload.text)
    return Status(201, {"id": d.pk, "text": d.text})
