"""The API: the same services, refusals as Chinese JSON with their status."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tongxin.meetings.models import Meeting


@pytest.fixture
def api(db):
    def for_user(user):
        c = Client()
        if user is not None:
            c.force_login(user)

        def call(method, path, json=None):
            fn = getattr(c, method.lower())
            url = "/api/v1/meetings" + path
            if json is None:
                return fn(url)
            return fn(url, data=json, content_type="application/json")

        return call

    return for_user


def test_full_loop_over_the_api(mw, api):
    admin, liaison = api(mw.admin), api(mw.liaison_a)
    start = (timezone.localtime() + dt.timedelta(days=10)).replace(microsecond=0)
    r = admin("post", "/", {"title": "季度联席会议", "kind": "quarterly", "starts_at": start.isoformat(), "location": "会议室"})
    assert r.status_code == 201, r.content
    mid = r.json()["id"]
    assert r.json()["chair"] == mw.unit_a.name
    r = liaison("post", f"/{mid}/agenda", {"title": "共建议题"})
    assert r.status_code == 201 and r.json()["status"] == "proposed"
    item = r.json()["id"]
    assert admin("post", f"/{mid}/agenda/{item}/decide", {"accept": True}).json()["status"] == "accepted"
    assert liaison("post", f"/{mid}/rsvp", {"answer": "yes"}).json()["rsvp"] == "yes"
    r = admin("post", f"/{mid}/invitations", {"organization_ids": [mw.unit_b.pk, 999999]})
    assert r.status_code == 400 and "999999" in r.json()["detail"]
    assert admin("post", f"/{mid}/invitations", {"organization_ids": [mw.unit_b.pk]}).status_code == 201
    r = api(mw.dispatcher_b)("post", f"/{mid}/rsvp", {"answer": "yes"})
    assert r.status_code == 404  # not visible at all
    r = liaison("get", f"/{mid}/ics")
    assert r.status_code == 200 and b"BEGIN:VCALENDAR" in r.content
    r = admin("post", f"/{mid}/minutes", {"text": "纪要"})
    assert r.status_code == 400 and "尚未召开" in r.json()["detail"]
    detail = liaison("get", f"/{mid}").json()
    assert [a["title"] for a in detail["agenda"]] == ["共建议题"]
    assert liaison("get", "/").json()["count"] == 1


def test_agenda_after_deadline_and_outside_owner_refused(mw, api):
    admin = api(mw.admin)
    start = timezone.now() + dt.timedelta(hours=20)
    mid = admin("post", "/", {"title": "会", "kind": "special", "starts_at": start.isoformat(), "agenda_days": 1}).json()["id"]
    r = api(mw.liaison_a)("post", f"/{mid}/agenda", {"title": "晚了"})
    assert r.status_code == 400 and r.json()["code"] == "deadline" and "截止" in r.json()["detail"]
    # today's meeting: record minutes, a decision, and assign
    now = timezone.localtime()
    today = max(now, now.replace(hour=23, minute=58, second=0, microsecond=0))
    mid = admin("post", "/", {"title": "今天的会", "kind": "special", "starts_at": today.isoformat(), "agenda_days": 0}).json()["id"]
    assert admin("post", f"/{mid}/minutes", {"text": "纪要"}).json()["status"] == "held"
    did = admin("post", f"/{mid}/decisions", {"text": "决定一"}).json()["id"]
    r = admin("post", f"/decisions/{did}/actions", {"title": "任务", "owner_id": mw.unit_b.pk, "due_on": "2026-12-31"})
    assert r.status_code == 400 and r.json()["field"] == "owner"
    r = admin("post", f"/decisions/{did}/actions", {"title": "任务", "owner_id": mw.unit_a.pk, "due_on": "2026-12-31"})
    assert r.status_code == 201
    aid = r.json()["id"]
    r = admin("put", f"/{mid}", {"title": "改名", "starts_at": today.isoformat()})
    assert r.status_code == 400 and "已召开" in r.json()["detail"]
    liaison = api(mw.liaison_a)
    assert [i["id"] for i in liaison("get", "/actions").json()["items"]] == [aid]
    assert liaison("post", f"/actions/{aid}/progress", {"text": "进行中"}).status_code == 201
    assert liaison("post", f"/actions/{aid}/done", {"reason": "完成"}).json()["status"] == "done"
    r = liaison("post", f"/actions/{aid}/done", {"reason": "再次"})
    assert r.status_code == 400 and r.json()["code"] == "conflict"
    inv = Meeting.objects.get(pk=mid).invitations.get(user=mw.liaison_a)
    assert admin("post", f"/{mid}/checkin", {"invitation_id": inv.pk}).json()["attendance"] == "present"
    r = liaison("post", f"/{mid}/checkin", {"token": Meeting.objects.get(pk=mid).checkin_token})
    assert r.status_code == 400 and "重复签到" in r.json()["detail"]


def test_series_over_the_api_with_version(mw, api):
    admin = api(mw.admin)
    body = {"title": "月度例会", "rrule": "FREQ=MONTHLY;BYDAY=1TU;COUNT=3", "starts_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
            "start_time": "09:00"}
    r = admin("post", "/series", body)
    assert r.status_code == 201 and len(r.json()["meetings"]) == 3
    sid = r.json()["id"]
    assert admin("put", f"/series/{sid}", {**body, "version": 1, "location": "甲"}).status_code == 200
    r = admin("put", f"/series/{sid}", {**body, "version": 1, "location": "乙"})
    assert r.status_code == 409 and "已被其他人修改" in r.json()["detail"]
    r = admin("post", "/series", {**body, "rrule": "FREQ=MONTHLY;BYHOUR=3"})
    assert r.status_code == 400 and r.json()["field"] == "rrule"
    assert api(mw.liaison_a)("post", "/series", body).status_code == 404
