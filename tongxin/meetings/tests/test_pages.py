"""The pages, through the Django test client: every section renders, and refusals come back
as Chinese messages next to the form."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tongxin.meetings import services
from tongxin.meetings.models import ActionStatus, AgendaItem, Meeting, MeetingSeries


@pytest.fixture
def meeting(mw):
    start = timezone.localtime().replace(hour=9, minute=30, second=0, microsecond=0) + dt.timedelta(days=10)
    return services.schedule_meeting(by=mw.admin, alliance=mw.alliance, kind="quarterly", title="第二季度联席会议", starts_at=start,
                                     location="街道党群服务中心")


def _login(client, user):
    client.force_login(user)
    return client


def test_index_tabs(client, mw, meeting):
    c = _login(client, mw.liaison_a)
    r = c.get(reverse("meetings:index"))
    assert r.status_code == 200 and "第二季度联席会议" in r.content.decode()
    assert c.get(reverse("meetings:index") + "?tab=past").status_code == 200
    assert c.get(reverse("meetings:index") + "?tab=series").status_code == 200
    r = _login(client, mw.liaison_b).get(reverse("meetings:index"))
    assert "第二季度联席会议" not in r.content.decode()


def test_schedule_through_the_form(client, mw):
    c = _login(client, mw.admin)
    assert c.get(reverse("meetings:new")).status_code == 200
    day = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    r = c.post(reverse("meetings:new"), {"kind": "quarterly", "title": "", "date": day, "time": "09:00", "duration_minutes": "90",
                                         "agenda_days": "3", "invite_members": "1"})
    assert r.status_code == 400 and "会议名称不能为空" in r.content.decode()
    r = c.post(reverse("meetings:new"), {"kind": "quarterly", "title": "三季度联席会议", "date": day, "time": "09:00",
                                         "duration_minutes": "90", "agenda_days": "3", "invite_members": "1"})
    m = Meeting.objects.get(title="三季度联席会议")
    assert r.status_code == 302 and m.invitations.filter(user=mw.liaison_a).exists()
    assert _login(client, mw.liaison_a).get(reverse("meetings:new")).status_code == 404


def test_detail_for_each_role(client, mw, meeting):
    for user in (mw.admin, mw.liaison_a, mw.dispatcher_a):
        r = _login(client, user).get(reverse("meetings:detail", args=[meeting.pk]))
        assert r.status_code == 200
    assert _login(client, mw.liaison_b).get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    assert 'data-testid="qr"' in _login(client, mw.admin).get(reverse("meetings:detail", args=[meeting.pk])).content.decode()


def test_propose_and_refusal_after_deadline(client, mw, meeting):
    c = _login(client, mw.liaison_a)
    r = c.post(reverse("meetings:act", args=[meeting.pk, "propose"]), {"title": "共建停车场", "description": "错时停车"})
    assert r.status_code == 302 and AgendaItem.objects.filter(meeting=meeting, title="共建停车场").exists()
    Meeting.objects.filter(pk=meeting.pk).update(agenda_deadline=timezone.now() - dt.timedelta(minutes=1))
    r = c.post(reverse("meetings:act", args=[meeting.pk, "propose"]), {"title": "迟到议题"})
    assert r.status_code == 400 and "议题征集已于" in r.content.decode()
    assert not AgendaItem.objects.filter(title="迟到议题").exists()


def test_rsvp_by_non_invitee(client, mw, meeting):
    r = _login(client, mw.liaison_a).post(reverse("meetings:act", args=[meeting.pk, "rsvp"]), {"answer": "yes"})
    assert r.status_code == 302
    # a street staff member who sees the meeting but is not invited
    outsider = mw.user("t-staff", "dispatcher", mw.street)
    r = _login(client, outsider).post(reverse("meetings:act", args=[meeting.pk, "rsvp"]), {"answer": "yes"})
    assert r.status_code == 403 and "邀请名单" in r.content.decode()


def test_ics_download(client, mw, meeting):
    r = _login(client, mw.liaison_a).get(reverse("meetings:ics", args=[meeting.pk]))
    body = r.content.decode()
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    assert f"UID:meeting-{meeting.uid}@tongxin" in body and "SEQUENCE:0" in body


def test_checkin_page(client, mw, meeting):
    url = reverse("meetings:checkin", args=[meeting.pk, meeting.checkin_token])
    c = _login(client, mw.liaison_a)
    assert c.get(url).status_code == 200
    r = c.post(url)
    assert r.status_code == 400 and "只能在会议当天" in r.content.decode()
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_edit_held_meeting_refused(client, mw):
    now = timezone.localtime()
    start = max(now, now.replace(hour=23, minute=58, second=0, microsecond=0))
    m = services.schedule_meeting(by=mw.admin, alliance=mw.alliance, kind="special", title="专题会", starts_at=start, agenda_days=0)
    c = _login(client, mw.admin)
    r = c.post(reverse("meetings:act", args=[m.pk, "minutes"]), {"text": "纪要正文"})
    assert r.status_code == 302
    r = c.post(reverse("meetings:edit", args=[m.pk]), {"title": "改", "date": start.date().isoformat(), "time": "10:00",
                                                       "duration_minutes": "60", "agenda_days": "0"})
    assert r.status_code == 400 and "会议已召开" in r.content.decode()
    r = c.post(reverse("meetings:act", args=[m.pk, "checkin"]), {"invitation": m.invitations.get(user=mw.liaison_a).pk})
    assert r.status_code == 302
    r = c.post(reverse("meetings:act", args=[m.pk, "checkin"]), {"invitation": m.invitations.get(user=mw.liaison_a).pk})
    assert r.status_code == 400 and "不能重复签到" in r.content.decode()
    r = c.post(reverse("meetings:act", args=[m.pk, "decision"]), {"text": "整治楼道"})
    d = m.decisions.get()
    r = c.post(reverse("meetings:act", args=[m.pk, "assign"]), {"decision": d.pk, "title": "清理", "owner": mw.unit_b.pk, "due_on": "2026-12-01"})
    assert r.status_code == 400 and "不是" in r.content.decode()
    r = c.post(reverse("meetings:act", args=[m.pk, "assign"]), {"decision": d.pk, "title": "清理", "owner": mw.unit_a.pk, "due_on": "2026-12-01"})
    assert r.status_code == 302
    item = d.meeting.action_items.get()
    # the liaison closes it from "our action items"
    c = _login(client, mw.liaison_a)
    assert "清理" in c.get(reverse("meetings:actions")).content.decode()
    r = c.post(reverse("meetings:action", args=[item.pk]), {"what": "done", "reason": ""})
    assert r.status_code == 400 and "完成情况说明不能为空" in r.content.decode()
    r = c.post(reverse("meetings:action", args=[item.pk]), {"what": "done", "reason": "已清理完毕"})
    item.refresh_from_db()
    assert r.status_code == 302 and item.status == ActionStatus.DONE


def test_series_pages_and_overlapping_edit(client, mw):
    c = _login(client, mw.admin)
    assert c.get(reverse("meetings:series_new")).status_code == 200
    r = c.post(reverse("meetings:series_new"), {"kind": "monthly", "title": "月度例会", "rrule": "FREQ=DAILY", "starts_on": "2026-01-01",
                                                "start_time": "09:00", "duration_minutes": "90", "agenda_days": "3"})
    assert r.status_code == 400 and "FREQ" in r.content.decode()
    start = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    data = {"kind": "monthly", "title": "月度例会", "rrule": "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3", "starts_on": start,
            "start_time": "09:00", "duration_minutes": "90", "agenda_days": "3"}
    r = c.post(reverse("meetings:series_new"), data)
    s = MeetingSeries.objects.get()
    assert r.status_code == 302 and s.meetings.count() == 3
    url = reverse("meetings:series", args=[s.pk])
    assert c.get(url).status_code == 200
    r1 = c.post(url, {**data, "location": "甲", "version": "1"})
    r2 = c.post(url, {**data, "location": "乙", "version": "1"})
    assert r1.status_code == 302 and r2.status_code == 409 and "已被其他人修改" in r2.content.decode()
