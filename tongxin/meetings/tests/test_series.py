"""Recurring series: the RRULE subset, materialisation, edits touching only future unheld
meetings, and overlapping edits (compare-and-set on the version)."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.core.errors import DomainError
from tongxin.meetings import recurrence, services
from tongxin.meetings.models import MeetingStatus


def _series(w, rrule="FREQ=MONTHLY;BYMONTHDAY=15;COUNT=6", starts_on=None):
    starts_on = starts_on or timezone.localdate() - dt.timedelta(days=70)
    return services.create_series(by=w.admin, alliance=w.alliance, kind="monthly", title="月度工作例会", rrule=rrule,
                                  starts_on=starts_on, start_time=dt.time(9, 0), location="街道会议室", agenda_days=3)


def _edit(w, s, version, **kw):
    data = {"kind": s.kind, "title": s.title, "rrule": s.rrule, "starts_on": s.starts_on, "start_time": s.start_time,
            "duration_minutes": s.duration_minutes, "location": s.location, "agenda_days": s.agenda_days}
    data.update(kw)
    return services.update_series(by=w.admin, series=s, expected_version=version, **data)


@pytest.mark.parametrize("rule,fragment", [
    ("", "请填写"),
    ("FREQ=DAILY", "FREQ"),
    ("FREQ=MONTHLY;BYHOUR=9", "不支持"),
    ("FREQ=MONTHLY;COUNT=0", "COUNT"),
    ("FREQ=MONTHLY;COUNT=2;UNTIL=20270101", "不能同时"),
    ("FREQ=MONTHLY;BYDAY=XX", "BYDAY"),
    ("FREQ=MONTHLY;UNTIL=2027-01-01", "UNTIL"),
    ("FREQ=MONTHLY;FREQ=WEEKLY", "两次"),
    ("FREQ=MONTHLY;INTERVAL", "格式"),
])
def test_bad_rules_refused(rule, fragment):
    with pytest.raises(DomainError) as e:
        recurrence.normalise(rule)
    assert fragment in e.value.message and e.value.field == "rrule"


def test_rule_forms():
    assert recurrence.normalise("rrule:freq=monthly; byday=1tu") == "FREQ=MONTHLY;BYDAY=1TU"
    days = recurrence.occurrences("FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;COUNT=4", starts_on=dt.date(2026, 1, 1))
    assert days == [dt.date(2026, 1, 30), dt.date(2026, 4, 24), dt.date(2026, 7, 31), dt.date(2026, 10, 30)]
    endless = recurrence.occurrences("FREQ=WEEKLY;BYDAY=MO", starts_on=dt.date(2026, 1, 1))
    assert len(endless) <= recurrence.MAX_OCCURRENCES
    with pytest.raises(DomainError):
        recurrence.occurrences("FREQ=MONTHLY;UNTIL=20250101", starts_on=dt.date(2026, 1, 1))


def test_series_materialises_with_chair(mw):
    s = _series(mw)
    meetings = list(s.meetings.order_by("starts_at"))
    assert len(meetings) == 6 and all(m.occurrence.day == 15 for m in meetings)
    assert all(m.chair == mw.unit_a for m in meetings)
    assert all(timezone.localtime(m.starts_at).time() == dt.time(9, 0) for m in meetings)
    assert meetings[0].invitations.filter(user=mw.liaison_a).exists()


def test_edit_changes_only_future_unheld_meetings(mw):
    s = _series(mw)
    past = [m for m in s.meetings.order_by("starts_at") if m.starts_at < timezone.now()]
    assert past, "the series starts 70 days ago"
    held = past[0]
    services.record_minutes(by=mw.admin, meeting=held, text="已召开")
    future_before = {m.occurrence: m.sequence for m in s.meetings.all() if m.starts_at > timezone.now()}
    counts = _edit(mw, s, s.version, start_time=dt.time(14, 30), location="社区会议室")
    assert counts["changed"] == len(future_before) and counts["created"] == 0
    held.refresh_from_db()
    assert timezone.localtime(held.starts_at).time() == dt.time(9, 0) and held.location == "街道会议室"
    for m in s.meetings.all():
        if m.occurrence in future_before:
            assert timezone.localtime(m.starts_at).time() == dt.time(14, 30) and m.location == "社区会议室"
            assert m.sequence == future_before[m.occurrence] + 1
        else:
            assert timezone.localtime(m.starts_at).time() == dt.time(9, 0)


def test_edit_rule_cancels_dropped_and_creates_new(mw):
    s = _series(mw, starts_on=timezone.localdate() + dt.timedelta(days=1), rrule="FREQ=MONTHLY;BYMONTHDAY=15;COUNT=6")
    assert s.meetings.count() == 6
    s.refresh_from_db()
    counts = _edit(mw, s, s.version, rrule="FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3")
    assert counts["cancelled"] == 3
    assert s.meetings.filter(status=MeetingStatus.SCHEDULED).count() == 3
    s.refresh_from_db()
    counts = _edit(mw, s, s.version, rrule="FREQ=MONTHLY;BYMONTHDAY=15;COUNT=5")
    assert counts["changed"] == 2  # two brought back
    assert s.meetings.filter(status=MeetingStatus.SCHEDULED).count() == 5
    s.refresh_from_db()
    counts = _edit(mw, s, s.version, rrule="FREQ=MONTHLY;BYMONTHDAY=20;COUNT=2")
    assert counts["created"] == 2


def test_hand_cancelled_meeting_not_revived(mw):
    s = _series(mw, starts_on=timezone.localdate() + dt.timedelta(days=1), rrule="FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3")
    first = s.meetings.order_by("starts_at").first()
    services.cancel_meeting(by=mw.admin, meeting=first, reason="与区里会议冲突")
    s.refresh_from_db()
    _edit(mw, s, s.version, location="新地点")
    first.refresh_from_db()
    assert first.status == MeetingStatus.CANCELLED


def test_overlapping_edits_second_refused(mw):
    s = _series(mw)
    version = s.version  # both editors opened the form at this version
    _edit(mw, s, version, location="甲方案")
    with pytest.raises(services.Conflict) as e:
        _edit(mw, s, version, location="乙方案")
    assert "已被其他人修改" in e.value.message and e.value.status_code == 409
    s.refresh_from_db()
    assert s.location == "甲方案" and s.version == version + 1


def test_series_refusals(mw):
    with pytest.raises(DomainError):
        _series(mw, rrule="FREQ=HOURLY")
    s = _series(mw)
    from tongxin.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.update_series(by=mw.liaison_a, series=s, expected_version=s.version, kind="monthly", title="x",
                               rrule=s.rrule, starts_on=s.starts_on, start_time=s.start_time)
