"""Reminders through the scheduler: the day before, and when the agenda deadline passes; never twice."""

import datetime as dt

from django.utils import timezone

from tongxin.meetings import services
from tongxin.meetings.models import Rsvp
from tongxin.notify import scheduler
from tongxin.notify.models import Notification, ScheduledJob


def _meeting(w, days=5):
    start = timezone.now() + dt.timedelta(days=days)
    return services.schedule_meeting(by=w.admin, alliance=w.alliance, kind="quarterly", title="季度联席会议", starts_at=start,
                                     agenda_days=2)


def test_day_before_reminder_once(mw):
    m = _meeting(mw)
    services.rsvp(by=mw.dispatcher_a, meeting=m, answer=Rsvp.NO, reason="请假")
    job = ScheduledJob.objects.get(kind=services.REMIND_KIND, target_id=str(m.pk))
    assert job.due_at == m.starts_at - dt.timedelta(days=1)
    when = job.due_at + dt.timedelta(minutes=1)
    assert scheduler.run_due(now=when, worker="w1") >= 1
    assert scheduler.run_due(now=when, worker="w2") == 0
    reminded = set(Notification.objects.filter(verb="meetings.reminder").values_list("recipient__username", flat=True))
    assert mw.liaison_a.username in reminded and mw.dispatcher_a.username not in reminded
    # a re-armed job for the same meeting time does not remind again
    scheduler.schedule(kind=services.REMIND_KIND, due_at=job.due_at, target=m, dedupe_key=f"meetings:{m.pk}:remind")
    scheduler.run_due(now=when, worker="w1")
    assert Notification.objects.filter(verb="meetings.reminder", recipient=mw.liaison_a).count() == 1


def test_agenda_deadline_tells_the_organisers(mw):
    m = _meeting(mw)
    services.propose_agenda_item(by=mw.liaison_a, meeting=m, title="议题一")
    scheduler.run_due(now=m.agenda_deadline + dt.timedelta(minutes=1))
    n = Notification.objects.get(verb="meetings.agenda_closed", recipient=mw.admin)
    assert "1 个待您决定" in n.body


def test_moved_meeting_reschedules_and_cancelled_meeting_cancels_jobs(mw):
    m = _meeting(mw)
    services.update_meeting(by=mw.admin, meeting=m, title=m.title, starts_at=m.starts_at + dt.timedelta(days=2), duration_minutes=90,
                            agenda_days=2)
    m.refresh_from_db()
    job = ScheduledJob.objects.get(kind=services.REMIND_KIND, target_id=str(m.pk))
    assert job.due_at == m.starts_at - dt.timedelta(days=1) and job.status == "pending"
    services.cancel_meeting(by=mw.admin, meeting=m, reason="取消")
    job.refresh_from_db()
    assert job.status == "cancelled"
