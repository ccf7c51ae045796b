"""Daily e-mail digest: one message per person per working day instead of a stream of pings.

At DIGEST_TIME (settings.NOTIFY_DIGEST_TIME, default "08:30"; empty turns it off) on each working
day, every active user with an e-mail address and unread inbox notifications from the last
period gets one e-mail listing them. The job is a ScheduledJob of kind "notify.digest" with the
date in its dedupe_key, so several scheduler instances send it once; run_cycle() keeps the next
one scheduled.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from tongxin.accounts.models import User
from tongxin.core import workcalendar

from . import scheduler
from .models import Channel, Notification

KIND = "notify.digest"
MAX_LINES = 20


def digest_time() -> dt.time | None:
    value = getattr(settings, "NOTIFY_DIGEST_TIME", "08:30")
    if not value:
        return None
    hours, minutes = (int(x) for x in value.split(":"))
    return dt.time(hours, minutes)


def next_digest_at(now: dt.datetime, at: dt.time) -> dt.datetime:
    """The next working day's digest moment strictly after `now` (in Asia/Shanghai)."""
    local = now.astimezone(workcalendar.TZ)
    day = local.date()
    while True:
        moment = dt.datetime.combine(day, at, tzinfo=workcalendar.TZ)
        if moment > local and workcalendar.is_working_day(day):
            return moment
        day += dt.timedelta(days=1)


def previous_digest_at(due: dt.datetime, at: dt.time) -> dt.datetime:
    """The working-day digest moment before `due`: a Monday digest covers Friday to Monday."""
    day = due.astimezone(workcalendar.TZ).date() - dt.timedelta(days=1)
    while not workcalendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, at, tzinfo=workcalendar.TZ)


def ensure_scheduled(*, now: dt.datetime | None = None) -> None:
    at = digest_time()
    if at is None:
        return
    due = next_digest_at(now or timezone.now(), at)
    if not scheduler.ScheduledJob.objects.filter(dedupe_key=f"{KIND}:{due.date()}").exists():
        scheduler.schedule(kind=KIND, due_at=due, dedupe_key=f"{KIND}:{due.date()}",
                           payload={"since": previous_digest_at(due, at).isoformat()})


def send_digests(*, since: dt.datetime, until: dt.datetime, day: dt.date) -> int:
    """One e-mail per user with unread inbox notifications created in [since, until). Returns how many."""
    from .services import notify

    unread = (Notification.objects.filter(channel=Channel.INBOX, read_at__isnull=True, created_at__gte=since,
                                          created_at__lt=until, recipient__is_active=True)
              .exclude(recipient__email="").order_by("recipient_id", "-created_at"))
    by_user: dict[int, list[Notification]] = {}
    for n in unread:
        by_user.setdefault(n.recipient_id, []).append(n)
    users = {u.pk: u for u in User.objects.filter(pk__in=by_user)}
    for user_id, items in by_user.items():
        lines = [f"· {n.title}" for n in items[:MAX_LINES]]
        if len(items) > MAX_LINES:
            lines.append(f"…… 另有 {len(items) - MAX_LINES} 条")
        notify(recipients=[users[user_id]], verb="digest", title=f"同心平台：您有 {len(items)} 条未读通知",
               body="\n".join(lines), url="/notifications/", channels=(Channel.EMAIL,), dedupe_key=f"digest:{day}")
    return len(by_user)


@scheduler.register(KIND)
def run_digest(job) -> None:
    since = dt.datetime.fromisoformat(job.payload["since"]) if job.payload.get("since") else job.due_at - dt.timedelta(days=1)
    send_digests(since=since, until=job.due_at, day=job.due_at.astimezone(workcalendar.TZ).date())
