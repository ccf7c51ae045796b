"""Pages of the joint meetings. Thin: parse input, call a selector or a service, render.

A refusal (DomainError) is shown next to the form it came from, in Chinese; the meeting page's
small forms post to one `act` view, which redirects back to the section they belong to.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongxin.accounts import permissions as P
from tongxin.accounts.models import User
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import DomainError, NotFound
from tongxin.orgs.models import Organization
from tongxin.orgs.selectors import visible_organizations

from . import calendar, recurrence, selectors, services
from .models import ActionStatus, AgendaItem, AgendaStatus, Attendance, Decision, Invitation, MeetingKind, MeetingStatus, Rsvp

PER_PAGE = 20


def _int(value):
    value = (str(value or "")).strip()
    return int(value) if value.isdigit() else None


def _date(value):
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _time(value):
    try:
        return dt.time.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _datetime(day, at):
    d, t = _date(day), _time(at)
    return timezone.make_aware(dt.datetime.combine(d, t)) if d and t else None


def _meeting(request, pk):
    try:
        return selectors.get_meeting(request.user, pk)
    except NotFound:
        raise Http404 from None


def _page(request, qs):
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


# --- index -----------------------------------------------------------------------------------------

@login_required
def index(request):
    user = request.user
    if not has_perm(user, P.VIEW_MEETINGS) and not user.meeting_invitations.exists():
        raise Http404
    tab = request.GET.get("tab", "upcoming")
    if tab not in ("upcoming", "past", "series"):
        tab = "upcoming"
    ctx = {"nav_active": "meetings", "tab": tab, "can_manage": selectors.managed_alliances(user).exists(),
           "my_open": selectors.my_action_items(user).count(), "today": timezone.localdate(), "now": timezone.now()}
    if tab == "series":
        ctx["page"] = _page(request, selectors.visible_series(user))
    else:
        qs = selectors.upcoming_meetings(user) if tab == "upcoming" else selectors.past_meetings(user)
        ctx["page"] = _page(request, qs)
        invs = {i.meeting_id: i for i in Invitation.objects.filter(user=user, meeting__in=[m.pk for m in ctx["page"]])}
        for m in ctx["page"]:
            m.my_invitation = invs.get(m.pk)
    return render(request, "meetings/index.html", ctx)


# --- scheduling -------------------------------------------------------------------------------------

def _alliance_from(request, alliances):
    pk = _int(request.POST.get("alliance") or request.GET.get("alliance"))
    return next((a for a in alliances if a.pk == pk), alliances[0] if alliances else None)


@login_required
def meeting_new(request):
    alliances = list(selectors.managed_alliances(request.user))
    if not alliances:
        raise Http404
    errors, values = {}, {"kind": MeetingKind.QUARTERLY, "duration_minutes": 120, "agenda_days": 3, "invite_members": "1",
                          "time": "09:30"}
    if request.method == "POST":
        values = request.POST.dict()
        try:
            starts_at = _datetime(values.get("date"), values.get("time"))
            if starts_at is None:
                raise DomainError("请填写会议日期和开始时间", field="date")
            m = services.schedule_meeting(by=request.user, alliance=_alliance_from(request, alliances), kind=values.get("kind", ""),
                                          title=values.get("title", ""), starts_at=starts_at,
                                          duration_minutes=values.get("duration_minutes") or 0, location=values.get("location", ""),
                                          agenda_days=values.get("agenda_days") or 0, invite_members=bool(values.get("invite_members")))
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            messages.success(request, _("The meeting is scheduled and the invitations are sent."))
            return redirect("meetings:detail", m.pk)
    return render(request, "meetings/meeting_form.html", {
        "nav_active": "meetings", "alliances": alliances, "values": values, "errors": errors, "kinds": MeetingKind.choices,
    }, status=400 if errors else 200)


@login_required
def meeting_edit(request, pk):
    m = _meeting(request, pk)
    if not selectors.can_manage(request.user, m):
        raise Http404
    local = timezone.localtime(m.starts_at)
    errors = {}
    values = {"title": m.title, "date": local.date().isoformat(), "time": local.strftime("%H:%M"), "location": m.location,
              "duration_minutes": int((m.ends_at - m.starts_at).total_seconds() // 60),
              "agenda_days": (m.starts_at - m.agenda_deadline).days}
    if request.method == "POST":
        values = request.POST.dict()
        try:
            starts_at = _datetime(values.get("date"), values.get("time"))
            if starts_at is None:
                raise DomainError("请填写会议日期和开始时间", field="date")
            services.update_meeting(by=request.user, meeting=m, title=values.get("title", ""), starts_at=starts_at,
                                    duration_minutes=values.get("duration_minutes") or 0, location=values.get("location", ""),
                                    agenda_days=values.get("agenda_days") or 0, reason=values.get("reason", ""))
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            messages.success(request, _("Saved. The invitees are told about the change."))
            return redirect("meetings:detail", m.pk)
    return render(request, "meetings/meeting_form.html", {
        "nav_active": "meetings", "meeting": m, "values": values, "errors": errors, "kinds": MeetingKind.choices,
    }, status=400 if errors else 200)


@login_required
def series_new(request):
    return _series_form(request, None)


@login_required
def series_detail(request, pk):
    try:
        series = selectors.get_series(request.user, pk)
    except NotFound:
        raise Http404 from None
    return _series_form(request, series)


def _series_form(request, series):
    user = request.user
    alliances = list(selectors.managed_alliances(user))
    can_edit = series is not None and selectors.can_manage(user, series) or series is None and bool(alliances)
    if series is None and not alliances:
        raise Http404
    errors = {}
    if series is None:
        values = {"kind": MeetingKind.MONTHLY, "rrule": recurrence.PRESETS[0][0], "start_time": "09:00", "duration_minutes": 90,
                  "agenda_days": 3, "starts_on": timezone.localdate().isoformat()}
    else:
        values = {"kind": series.kind, "title": series.title, "rrule": series.rrule, "starts_on": series.starts_on.isoformat(),
                  "start_time": series.start_time.strftime("%H:%M"), "duration_minutes": series.duration_minutes,
                  "location": series.location, "agenda_days": series.agenda_days, "version": series.version}
    if request.method == "POST":
        if not can_edit:
            raise Http404
        values = request.POST.dict()
        fields = {"kind": values.get("kind", ""), "title": values.get("title", ""), "rrule": values.get("rrule", ""),
                  "starts_on": _date(values.get("starts_on")), "start_time": _time(values.get("start_time")),
                  "duration_minutes": values.get("duration_minutes") or 0, "location": values.get("location", ""),
                  "agenda_days": values.get("agenda_days") or 0}
        try:
            if series is None:
                series = services.create_series(by=user, alliance=_alliance_from(request, alliances), **fields)
                messages.success(request, _("The series is created with its meetings."))
            else:
                counts = services.update_series(by=user, series=series, expected_version=values.get("version"),
                                                reason=values.get("reason", ""), **fields)
                messages.success(request, _("Saved: %(changed)s meetings changed, %(created)s added, %(cancelled)s cancelled.") % counts)
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
            if series is not None and exc.code == "conflict":
                series.refresh_from_db()
        else:
            return redirect("meetings:series", series.pk)
    meetings = series.meetings.order_by("starts_at") if series else []
    return render(request, "meetings/series.html", {
        "nav_active": "meetings", "series": series, "alliances": alliances, "values": values, "errors": errors,
        "kinds": MeetingKind.choices, "presets": recurrence.PRESETS, "can_edit": can_edit, "meetings": meetings,
        "now": timezone.now(),
    }, status=(409 if errors.get("version") else 400) if errors else 200)


# --- the meeting page --------------------------------------------------------------------------------

def _detail_context(request, m, errors=None, values=None):
    user = request.user
    organiser = selectors.can_manage(user, m)
    now = timezone.now()
    agenda = list(m.agenda_items.select_related("proposer", "proposed_by").order_by("position", "id"))
    if not organiser:
        agenda = [a for a in agenda if a.status == AgendaStatus.ACCEPTED or a.proposed_by_id == user.pk
                  or has_perm(user, P.PROPOSE_AGENDA, a.proposer)]
    invitations = list(m.invitations.select_related("user", "organization", "user__person").order_by("organization__path", "id"))
    mine = next((i for i in invitations if i.user_id == user.pk), None)
    decisions = list(m.decisions.order_by("position", "id"))
    items = {}
    for item in m.action_items.select_related("owner").order_by("due_on", "id"):
        items.setdefault(item.origin_id, []).append(item)
    for d in decisions:
        d.items = items.get(str(d.pk), [])
    checkin_url = request.build_absolute_uri(reverse("meetings:checkin", args=[m.pk, m.checkin_token]))
    today = timezone.localdate()
    day = services.local_day(m.starts_at)
    counts = {"yes": 0, "no": 0, "maybe": 0, "pending": 0, "present": 0, "absent": 0}
    for i in invitations:
        counts[i.rsvp] += 1
        if i.attendance != Attendance.UNKNOWN:
            counts[i.attendance] += 1
    return {
        "nav_active": "meetings", "m": m, "organiser": organiser, "agenda": agenda, "invitations": invitations, "mine": mine,
        "decisions": decisions, "carried": list(selectors.carried_over_items(m)) if m.status != MeetingStatus.CANCELLED else [],
        "proposers": list(selectors.proposer_choices(user, m.alliance)) if m.status == MeetingStatus.SCHEDULED else [],
        "agenda_open": now <= m.agenda_deadline, "now": now, "today": today, "is_day": today == day, "started": today >= day,
        "scheduled": m.status == MeetingStatus.SCHEDULED, "can_rsvp": mine is not None and m.status == MeetingStatus.SCHEDULED and now < m.starts_at,
        "owners": list(selectors.owner_choices(m.alliance)) if organiser else [],
        "invite_orgs": visible_organizations(user).exclude(
            pk__in=[i.organization_id for i in invitations if i.organization_id]).order_by("path")[:300] if organiser else [],
        "qr": calendar.qr_svg(checkin_url) if organiser and m.status != MeetingStatus.CANCELLED and today <= day else "",
        "checkin_url": checkin_url, "counts": counts, "errors": errors or {}, "values": values or {},
        "rsvp_choices": [(v, label) for v, label in Rsvp.choices if v != Rsvp.PENDING],
    }


@login_required
def detail(request, pk):
    m = _meeting(request, pk)
    return render(request, "meetings/detail.html", _detail_context(request, m))


ACTIONS = {"propose", "accept", "reject", "up", "down", "invite", "rsvp", "checkin", "absent", "minutes", "decision", "assign", "cancel"}
ANCHORS = {"propose": "agenda", "accept": "agenda", "reject": "agenda", "up": "agenda", "down": "agenda", "invite": "invitations",
           "rsvp": "rsvp", "checkin": "invitations", "absent": "invitations", "minutes": "minutes", "decision": "decisions",
           "assign": "decisions", "cancel": "top"}


@login_required
@require_POST
def act(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    m = _meeting(request, pk)
    user, data = request.user, request.POST
    try:
        if action == "propose":
            proposer = next((o for o in selectors.proposer_choices(user, m.alliance) if o.pk == _int(data.get("proposer"))), None)
            services.propose_agenda_item(by=user, meeting=m, title=data.get("title", ""), description=data.get("description", ""),
                                         proposer=proposer)
            messages.success(request, _("Agenda item proposed."))
        elif action in ("accept", "reject", "up", "down"):
            item = AgendaItem.objects.filter(meeting=m, pk=_int(data.get("item"))).first()
            if item is None:
                raise DomainError("议题不存在", field="item")
            if action in ("up", "down"):
                services.move_agenda_item(by=user, item=item, up=action == "up")
            else:
                services.decide_agenda_item(by=user, item=item, accept=action == "accept", reason=data.get("reason", ""))
        elif action == "invite":
            orgs = list(visible_organizations(user).filter(pk__in=[_int(v) for v in data.getlist("organizations") if _int(v)]))
            users = list(User.objects.filter(username__in=[u.strip() for u in data.get("usernames", "").replace("，", ",").split(",") if u.strip()]))
            services.invite(by=user, meeting=m, organizations=orgs, users=users)
            messages.success(request, _("Invitations sent."))
        elif action == "rsvp":
            services.rsvp(by=user, meeting=m, answer=data.get("answer", ""), reason=data.get("reason", ""))
            messages.success(request, _("Your reply is recorded."))
        elif action in ("checkin", "absent"):
            inv = Invitation.objects.filter(meeting=m, pk=_int(data.get("invitation"))).select_related("meeting").first()
            if inv is None:
                raise DomainError("邀请记录不存在", field="invitation")
            if action == "checkin":
                services.check_in(by=user, invitation=inv)
            else:
                services.mark_absent(by=user, invitation=inv, reason=data.get("reason", ""))
        elif action == "minutes":
            services.record_minutes(by=user, meeting=m, text=data.get("text", ""), attachment=request.FILES.get("attachment"))
            messages.success(request, _("Minutes saved."))
        elif action == "decision":
            services.add_decision(by=user, meeting=m, text=data.get("text", ""))
        elif action == "assign":
            decision = Decision.objects.filter(meeting=m, pk=_int(data.get("decision"))).first()
            if decision is None:
                raise DomainError("请选择会议决定", field="decision")
            owner = Organization.objects.filter(pk=_int(data.get("owner"))).first()
            services.assign_action(by=user, decision=decision, title=data.get("title", ""), owner=owner,
                                   due_on=_date(data.get("due_on")), note=data.get("note", ""))
            messages.success(request, _("Action item assigned."))
        elif action == "cancel":
            services.cancel_meeting(by=user, meeting=m, reason=data.get("reason", ""))
            messages.success(request, _("The meeting is cancelled and the invitees are told."))
    except DomainError as exc:
        m.refresh_from_db()
        ctx = _detail_context(request, m, errors={ANCHORS[action]: exc.message}, values=data.dict())
        ctx["error_anchor"] = ANCHORS[action]
        return render(request, "meetings/detail.html", ctx, status=exc.status_code if exc.status_code != 404 else 400)
    return redirect(reverse("meetings:detail", args=[m.pk]) + f"#{ANCHORS[action]}")


@login_required
def ics(request, pk):
    m = _meeting(request, pk)
    url = request.build_absolute_uri(reverse("meetings:detail", args=[m.pk]))
    attendees = [i.user for i in m.invitations.select_related("user")]
    response = HttpResponse(calendar.ics_bytes(m, url=url, attendees=attendees), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{m.pk}.ics"'
    return response


@login_required
def checkin(request, pk, token):
    """The page the QR code opens: a logged-in invitee confirms their check-in."""
    m = _meeting(request, pk)
    error, done = "", None
    inv = selectors.invitation_of(request.user, m)
    if request.method == "POST":
        try:
            done = services.self_check_in(by=request.user, meeting=m, token=token)
        except DomainError as exc:
            error = exc.message
    return render(request, "meetings/checkin.html", {"nav_active": "meetings", "m": m, "inv": inv, "error": error, "done": done,
                                                      "token": token}, status=400 if error else 200)


# --- action items -------------------------------------------------------------------------------------

@login_required
def actions(request):
    user = request.user
    status = request.GET.get("status", "open")
    if status not in ("open", "done", "cancelled", "all"):
        status = "open"
    scope = request.GET.get("scope", "mine")
    manager = selectors.managed_alliances(user).exists()
    if scope == "all" and (manager or has_perm(user, P.VIEW_MEETINGS)):
        qs = selectors.visible_action_items(user)
        if status != "all":
            qs = qs.filter(status=status)
    else:
        scope = "mine"
        qs = selectors.my_action_items(user, status="" if status == "all" else status)
    page = _page(request, qs.order_by("due_on", "id"))
    return render(request, "meetings/actions.html", {"nav_active": "meetings", "page": page, "status": status, "scope": scope,
                                                     "manager": manager, "today": timezone.localdate()})


@login_required
def action_detail(request, pk):
    try:
        item = selectors.get_action_item(request.user, pk)
    except NotFound:
        raise Http404 from None
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST.dict()
        what = values.get("what")
        try:
            if what == "progress":
                services.report_progress(by=request.user, item=item, text=values.get("text", ""))
                messages.success(request, _("Progress recorded."))
            elif what == "done":
                services.complete_action_item(by=request.user, item=item, reason=values.get("reason", ""))
                messages.success(request, _("The action item is closed as done."))
            elif what == "cancel":
                services.cancel_action_item(by=request.user, item=item, reason=values.get("reason", ""))
                messages.success(request, _("The action item is cancelled."))
            else:
                raise DomainError("未知操作", field="what")
        except DomainError as exc:
            errors[what or "form"] = exc.message
            item.refresh_from_db()
        else:
            return redirect("meetings:action", item.pk)
    return render(request, "meetings/action_detail.html", {
        "nav_active": "meetings", "item": item, "progress": item.progress.select_related("by"), "errors": errors, "values": values,
        "can_report": services.can_report(request.user, item), "open": item.status == ActionStatus.OPEN,
        "organiser": has_perm(request.user, P.MANAGE_MEETINGS, item.alliance.core_organization), "today": timezone.localdate(),
    }, status=400 if errors else 200)
