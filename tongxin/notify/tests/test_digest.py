"""The daily e-mail digest: one message per person per working day, sent once."""

import datetime as dt

import pytest
from django.core import mail

from tongxin.core.workcalendar import TZ
from tongxin.notify import digest, scheduler, services
from tongxin.notify.models import JobStatus, Notification, ScheduledJob


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://tx.example.cn"


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def test_next_digest_skips_weekends_and_holidays():
    t = dt.time(8, 30)
    assert digest.next_digest_at(at(2026, 11, 25, 7), t) == at(2026, 11, 25, 8, 30)
    assert digest.next_digest_at(at(2026, 11, 25, 9), t) == at(2026, 11, 26, 8, 30)
    assert digest.next_digest_at(at(2026, 11, 27, 9), t) == at(2026, 11, 30, 8, 30)      # Friday → Monday
    assert digest.next_digest_at(at(2026, 2, 13, 9), t) == at(2026, 2, 14, 8, 30)        # make-up Saturday
    assert digest.next_digest_at(at(2026, 2, 14, 9), t) == at(2026, 2, 24, 8, 30)        # after Spring Festival
    assert digest.previous_digest_at(at(2026, 2, 24, 8, 30), t) == at(2026, 2, 14, 8, 30)


@pytest.mark.tasks
def test_digest_job_sends_one_email_per_person_once(world, commit, settings):
    for user, email in ((world.dispatcher_a, "a@example.cn"), (world.liaison_a, "")):
        user.email = email
        user.save()
    with commit():
        for title in ("新的居民点单", "点单超时未接单"):
            services.notify(recipients=[world.dispatcher_a, world.liaison_a], verb="v", title=title)
        read = services.notify(recipients=[world.dispatcher_a], verb="v", title="已读的通知")[0]
        services.mark_read(notification=read, by=world.dispatcher_a)
    now = Notification.objects.latest("created_at").created_at
    scheduler.run_cycle(now=now)  # schedules the next digest
    job = ScheduledJob.objects.get(kind=digest.KIND)
    assert job.due_at > now and job.status == JobStatus.PENDING
    ScheduledJob.objects.filter(pk=job.pk).update(payload={"since": (now - dt.timedelta(hours=1)).isoformat()})
    with commit():
        assert scheduler.run_due(now=job.due_at, worker="a") == 1
        assert scheduler.run_due(now=job.due_at, worker="b") == 0
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["a@example.cn"]
    assert msg.subject == "同心平台：您有 2 条未读通知"
    assert "· 新的居民点单" in msg.body and "· 点单超时未接单" in msg.body and "已读的通知" not in msg.body
    assert "https://tx.example.cn/notifications/" in msg.body
    # The same day's digest again (a retried job) sends nothing new.
    day = job.due_at.astimezone(TZ).date()
    with commit():
        digest.send_digests(since=now - dt.timedelta(hours=1), until=job.due_at, day=day)
    assert len(mail.outbox) == 1
    # The next cycle schedules the next working day.
    scheduler.run_cycle(now=job.due_at)
    assert ScheduledJob.objects.filter(kind=digest.KIND, status=JobStatus.PENDING).get().due_at > job.due_at


def test_digest_can_be_turned_off(world, settings):
    settings.NOTIFY_DIGEST_TIME = ""
    scheduler.run_cycle()
    assert not ScheduledJob.objects.filter(kind=digest.KIND).exists()
