"""Meetings, agenda, invitations, attendance, minutes and decisions through the services: every refusal."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from icalendar import Calendar

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.meetings import calendar, selectors, services
from tongxin.meetings.models import ActionStatus, AgendaStatus, Attendance, MeetingStatus, Rsvp


def _meeting(w, *, days=10, agenda_days=3, kind="quarterly", title="2026年第二季度联席会议"):
    start = timezone.localtime().replace(hour=9, minute=30, second=0, microsecond=0) + dt.timedelta(days=days)
    return services.schedule_meeting(by=w.admin, alliance=w.alliance, kind=kind, title=title, starts_at=start,
                                     duration_minutes=120, location="街道党群服务中心", agenda_days=agenda_days)


def _today_meeting(w):
    """A meeting today, a little later than now, whose agenda closed at its start."""
    now = timezone.localtime()
    start = now.replace(hour=23, minute=58, second=0, microsecond=0)
    if start < now:
        start = now
    return services.schedule_meeting(by=w.admin, alliance=w.alliance, kind="special", title="专题会", starts_at=start,
                                     duration_minutes=30, agenda_days=0)


def test_schedule_invites_members_and_takes_the_duty_chair(mw):
    m = _meeting(mw)
    assert m.chair == mw.unit_a and m.status == MeetingStatus.SCHEDULED
    invited = {i.user for i in m.invitations.all()}
    assert {mw.admin, mw.liaison_a, mw.dispatcher_a} <= invited
    assert mw.liaison_b not in invited
    assert m.agenda_deadline == m.starts_at - dt.timedelta(days=3)
    from tongxin.notify.models import Notification

    assert Notification.objects.filter(recipient=mw.liaison_a, verb="meetings.meeting").exists()


def test_no_chair_when_no_term_covers_the_day(world):
    m = services.schedule_meeting(by=world.admin, alliance=world.alliance, kind="special", title="专题",
                                  starts_at=timezone.now() + dt.timedelta(days=3))
    assert m.chair is None


def test_schedule_refusals(mw):
    start = timezone.now() + dt.timedelta(days=3)
    with pytest.raises(PermissionDenied):
        services.schedule_meeting(by=mw.liaison_a, alliance=mw.alliance, kind="special", title="x", starts_at=start)
    with pytest.raises(PermissionDenied):
        services.schedule_meeting(by=mw.dispatcher_a, alliance=mw.alliance, kind="special", title="x", starts_at=start)
    with pytest.raises(DomainError) as e:
        services.schedule_meeting(by=mw.admin, alliance=mw.alliance, kind="weekly", title="x", starts_at=start)
    assert e.value.field == "kind"
    with pytest.raises(DomainError) as e:
        services.schedule_meeting(by=mw.admin, alliance=mw.alliance, kind="special", title="", starts_at=start)
    assert e.value.field == "title"
    with pytest.raises(DomainError) as e:
        services.schedule_meeting(by=mw.admin, alliance=mw.alliance, kind="special", title="x", starts_at=start, duration_minutes=5)
    assert e.value.field == "duration_minutes"


def test_agenda_before_and_after_deadline(mw):
    m = _meeting(mw)
    item = services.propose_agenda_item(by=mw.liaison_a, meeting=m, title="共建口袋公园", description="需要场地")
    assert item.status == AgendaStatus.PROPOSED and item.proposer == mw.unit_a
    late = _meeting(mw, days=1, agenda_days=2)  # deadline was yesterday
    with pytest.raises(DomainError) as e:
        services.propose_agenda_item(by=mw.liaison_a, meeting=late, title="迟到的议题")
    assert "截止" in e.value.message and e.value.code == "deadline"
    # the organiser still sets the agenda; theirs are accepted at once
    own = services.propose_agenda_item(by=mw.admin, meeting=late, title="通报工作")
    assert own.status == AgendaStatus.ACCEPTED and own.proposer == mw.street


def test_agenda_by_outsider_refused(mw):
    m = _meeting(mw)
    with pytest.raises(PermissionDenied):
        services.propose_agenda_item(by=mw.liaison_b, meeting=m, title="x")
    with pytest.raises(PermissionDenied):
        services.propose_agenda_item(by=mw.resident_a, meeting=m, title="x")
    with pytest.raises(PermissionDenied):
        services.propose_agenda_item(by=mw.liaison_a, meeting=m, title="x", proposer=mw.community_a)


def test_accept_reject_and_order(mw):
    m = _meeting(mw)
    a = services.propose_agenda_item(by=mw.liaison_a, meeting=m, title="甲")
    b = services.propose_agenda_item(by=mw.liaison_a, meeting=m, title="乙")
    with pytest.raises(PermissionDenied):
        services.decide_agenda_item(by=mw.liaison_a, item=a, accept=True)
    with pytest.raises(DomainError) as e:
        services.decide_agenda_item(by=mw.admin, item=b, accept=False)
    assert e.value.field == "reason"
    services.decide_agenda_item(by=mw.admin, item=a, accept=True)
    services.decide_agenda_item(by=mw.admin, item=b, accept=False, reason="下次会议讨论")
    with pytest.raises(DomainError):
        services.decide_agenda_item(by=mw.admin, item=a, accept=True)
    services.order_agenda(by=mw.admin, meeting=m, item_ids=[b.pk, a.pk])
    assert [i.pk for i in m.agenda_items.order_by("position")] == [b.pk, a.pk]
    with pytest.raises(DomainError):
        services.order_agenda(by=mw.admin, meeting=m, item_ids=[a.pk])
    from tongxin.notify.models import Notification

    assert Notification.objects.filter(recipient=mw.liaison_a, verb="meetings.agenda").count() == 2


def test_rsvp(mw):
    m = _meeting(mw)
    inv = services.rsvp(by=mw.liaison_a, meeting=m, answer=Rsvp.YES)
    assert inv.rsvp == Rsvp.YES
    with pytest.raises(DomainError) as e:
        services.rsvp(by=mw.liaison_a, meeting=m, answer=Rsvp.NO)
    assert e.value.field == "reason"
    inv = services.rsvp(by=mw.liaison_a, meeting=m, answer=Rsvp.MAYBE, reason="可能出差")
    assert inv.rsvp == Rsvp.MAYBE and inv.rsvp_reason == "可能出差"
    with pytest.raises(PermissionDenied) as e:
        services.rsvp(by=mw.liaison_b, meeting=m, answer=Rsvp.YES)
    assert "邀请名单" in e.value.message
    with pytest.raises(DomainError):
        services.rsvp(by=mw.liaison_a, meeting=m, answer="sure")


def test_invite_more(mw):
    m = _meeting(mw)
    made = services.invite(by=mw.admin, meeting=m, organizations=[mw.unit_b])
    assert [i.user for i in made] == [mw.liaison_b]
    assert services.invite(by=mw.admin, meeting=m, users=[mw.liaison_b]) == []  # already invited
    with pytest.raises(DomainError):
        services.invite(by=mw.admin, meeting=m)
    with pytest.raises(DomainError) as e:
        services.invite(by=mw.admin, meeting=m, organizations=[mw.branch_b])
    assert "没有联络员" in e.value.message
    with pytest.raises(PermissionDenied):
        services.invite(by=mw.liaison_a, meeting=m, users=[mw.resident_a])
    assert m in selectors.visible_meetings(mw.liaison_b)  # an invitee sees the meeting


def test_check_in_once_on_the_day(mw):
    m = _today_meeting(mw)
    inv = m.invitations.get(user=mw.liaison_a)
    with pytest.raises(DomainError) as e:
        services.self_check_in(by=mw.liaison_a, meeting=m, token="wrong")
    assert e.value.field == "token"
    services.self_check_in(by=mw.liaison_a, meeting=m, token=m.checkin_token)
    with pytest.raises(DomainError) as e:
        services.self_check_in(by=mw.liaison_a, meeting=m, token=m.checkin_token)
    assert "不能重复签到" in e.value.message
    with pytest.raises(DomainError):
        services.check_in(by=mw.admin, invitation=inv)
    with pytest.raises(DomainError):
        services.mark_absent(by=mw.admin, invitation=inv, reason="x")
    with pytest.raises(PermissionDenied):
        services.self_check_in(by=mw.liaison_b, meeting=m, token=m.checkin_token)
    other = m.invitations.get(user=mw.dispatcher_a)
    with pytest.raises(DomainError):
        services.mark_absent(by=mw.admin, invitation=other, reason="")
    services.mark_absent(by=mw.admin, invitation=other, reason="外出开会")
    other.refresh_from_db()
    assert other.attendance == Attendance.ABSENT and other.absence_reason == "外出开会"
    services.check_in(by=mw.admin, invitation=other)  # came late after all
    other.refresh_from_db()
    assert other.attendance == Attendance.PRESENT and other.absence_reason == ""


def test_check_in_not_before_the_day(mw):
    m = _meeting(mw)
    with pytest.raises(DomainError) as e:
        services.self_check_in(by=mw.liaison_a, meeting=m, token=m.checkin_token)
    assert "当天" in e.value.message
    with pytest.raises(DomainError):
        services.check_in(by=mw.admin, invitation=m.invitations.get(user=mw.liaison_a))
    with pytest.raises(DomainError):
        services.record_minutes(by=mw.admin, meeting=m, text="纪要")


def test_minutes_decisions_and_actions(mw):
    m = _today_meeting(mw)
    with pytest.raises(DomainError) as e:
        services.record_minutes(by=mw.admin, meeting=m, text="纪要", attachment=SimpleUploadedFile("x.exe", b"MZ"))
    assert e.value.field == "attachment"
    with pytest.raises(PermissionDenied):
        services.record_minutes(by=mw.liaison_a, meeting=m, text="纪要")
    services.record_minutes(by=mw.admin, meeting=m, text="会议听取了各单位汇报。",
                            attachment=SimpleUploadedFile("纪要.pdf", b"%PDF-1.4"))
    m.refresh_from_db()
    assert m.status == MeetingStatus.HELD and m.minutes_file
    d = services.add_decision(by=mw.admin, meeting=m, text="开展楼道清理")
    item = services.assign_action(by=mw.admin, decision=d, title="清理三号楼楼道", owner=mw.unit_a, due_on=dt.date(2026, 12, 1))
    assert item.meeting == m and item.origin == d
    with pytest.raises(DomainError):
        services.assign_action(by=mw.admin, decision=d, title="x", owner=mw.unit_b, due_on=dt.date(2026, 12, 1))
    # a held meeting cannot be edited any more
    with pytest.raises(DomainError) as e:
        services.update_meeting(by=mw.admin, meeting=m, title="改名", starts_at=m.starts_at, duration_minutes=30)
    assert "已召开" in e.value.message
    with pytest.raises(DomainError):
        services.cancel_meeting(by=mw.admin, meeting=m, reason="x")
    with pytest.raises(DomainError):
        services.propose_agenda_item(by=mw.admin, meeting=m, title="x")
    with pytest.raises(DomainError):
        services.invite(by=mw.admin, meeting=m, users=[mw.liaison_b])
    # the minutes may be amended
    services.record_minutes(by=mw.admin, meeting=m, text="修订后的纪要")
    # the next meeting lists the item as carried over
    nxt = _meeting(mw, days=30)
    assert list(selectors.carried_over_items(nxt)) == [item]
    services.complete_action_item(by=mw.liaison_a, item=item, reason="已清理")
    assert list(selectors.carried_over_items(nxt)) == []
    assert item.__class__.objects.get(pk=item.pk).status == ActionStatus.DONE


def test_update_bumps_sequence_and_ics_keeps_uid(mw):
    m = _meeting(mw)
    first = Calendar.from_ical(calendar.ics_bytes(m))
    ev = first.walk("VEVENT")[0]
    assert str(ev["UID"]) == f"meeting-{m.uid}@tongxin" and int(ev["SEQUENCE"]) == 0
    services.update_meeting(by=mw.admin, meeting=m, title=m.title, starts_at=m.starts_at + dt.timedelta(hours=1),
                            duration_minutes=120, location="新地点")
    m.refresh_from_db()
    ev2 = Calendar.from_ical(calendar.ics_bytes(m)).walk("VEVENT")[0]
    assert str(ev2["UID"]) == str(ev["UID"]) and int(ev2["SEQUENCE"]) == 1 and str(ev2["LOCATION"]) == "新地点"
    services.cancel_meeting(by=mw.admin, meeting=m, reason="临时取消")
    m.refresh_from_db()
    cal = Calendar.from_ical(calendar.ics_bytes(m))
    assert str(cal["METHOD"]) == "CANCEL" and int(cal.walk("VEVENT")[0]["SEQUENCE"]) == 2
    with pytest.raises(DomainError) as e:
        services.update_meeting(by=mw.admin, meeting=m, title="x", starts_at=m.starts_at, duration_minutes=30)
    assert "已取消" in e.value.message


def test_qr_svg():
    svg = calendar.qr_svg("https://example.org/meetings/1/checkin/abc/")
    assert "<svg" in svg and "<path" in svg


def test_scope_of_meetings(mw):
    m = _meeting(mw)
    assert m in selectors.visible_meetings(mw.admin)
    assert m in selectors.visible_meetings(mw.liaison_a)  # member unit
    assert m in selectors.visible_meetings(mw.dispatcher_a)  # community A is a member
    assert m not in selectors.visible_meetings(mw.dispatcher_b)
    assert m not in selectors.visible_meetings(mw.liaison_b)
    assert m not in selectors.visible_meetings(mw.resident_a)


def test_upcoming_meetings_for(mw):
    m = _meeting(mw, days=10)
    _meeting(mw, days=100, title="远期")
    today = timezone.localdate()
    assert list(selectors.upcoming_meetings_for(mw.unit_a, start=today, end=today + dt.timedelta(days=31))) == [m]
    assert list(selectors.upcoming_meetings_for(mw.street, start=today, end=today + dt.timedelta(days=31))) == [m]
    assert list(selectors.upcoming_meetings_for(mw.unit_b, start=today, end=today + dt.timedelta(days=31))) == []
    services.invite(by=mw.admin, meeting=m, organizations=[mw.unit_b])
    assert list(selectors.upcoming_meetings_for(mw.unit_b, start=today, end=today + dt.timedelta(days=31))) == [m]
    services.cancel_meeting(by=mw.admin, meeting=m, reason="取消")
    assert list(selectors.upcoming_meetings_for(mw.unit_a, start=today, end=today + dt.timedelta(days=31))) == []


def test_more_refusals(mw):
    m = _meeting(mw)
    with pytest.raises(DomainError) as e:
        services.propose_agenda_item(by=mw.liaison_a, meeting=m, title=" ")
    assert e.value.field == "title"
    with pytest.raises(DomainError) as e:
        services.cancel_meeting(by=mw.admin, meeting=m, reason="")
    assert e.value.field == "reason"
    with pytest.raises(PermissionDenied):
        services.cancel_meeting(by=mw.liaison_a, meeting=m, reason="x")
    with pytest.raises(PermissionDenied):
        services.add_decision(by=mw.liaison_a, meeting=m, text="x")
    with pytest.raises(DomainError):
        services.add_decision(by=mw.admin, meeting=m, text="还没开会")
    with pytest.raises(DomainError) as e:
        services.mark_absent(by=mw.admin, invitation=m.invitations.get(user=mw.liaison_a), reason="请假")
    assert "当天" in e.value.message
    started = _today_meeting(mw)
    from tongxin.meetings.models import Meeting

    Meeting.objects.filter(pk=started.pk).update(starts_at=timezone.now() - dt.timedelta(minutes=5))
    started.refresh_from_db()
    with pytest.raises(DomainError) as e:
        services.rsvp(by=mw.liaison_a, meeting=started, answer=Rsvp.YES)
    assert "已经开始" in e.value.message
    services.cancel_meeting(by=mw.admin, meeting=m, reason="改期")
    with pytest.raises(DomainError) as e:
        services.rsvp(by=mw.liaison_a, meeting=m, answer=Rsvp.YES)
    assert "已取消" in e.value.message
    with pytest.raises(DomainError):
        services.self_check_in(by=mw.liaison_a, meeting=m, token=m.checkin_token)
