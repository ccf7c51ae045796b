"""Scheduled reminders (tongxin.notify.scheduler), imported from MeetingsConfig.ready().

- meetings.remind_invitees: the day before, every invitee who has not declined is reminded.
- meetings.agenda_deadline: when the agenda deadline passes, the organisers are told how many
  proposed items wait for a decision.

Both re-check the meeting (it may have been moved, cancelled or held since) and send with a
dedupe_key naming the meeting and its date/deadline, so nobody is reminded twice for the same
meeting time even if the job runs twice; a moved meeting is reminded again for its new time.
"""

from django.utils import timezone

from tongxin.notify import scheduler

from .models import AgendaStatus, Meeting, MeetingStatus, Rsvp
from .services import AGENDA_KIND, REMIND_KIND, _when, organisers_of


@scheduler.register(REMIND_KIND)
def remind_invitees(job):
    meeting = job.target
    if not isinstance(meeting, Meeting) or meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= timezone.now():
        return
    from tongxin.notify.services import notify

    users = [inv.user for inv in meeting.invitations.exclude(rsvp=Rsvp.NO).select_related("user")]
    if users:
        notify(recipients=users, verb="meetings.reminder", title=f"明天开会：{meeting.title}", body=f"时间地点：{_when(meeting)}",
               url=f"/meetings/{meeting.pk}/", target=meeting, organization=meeting.organization,
               dedupe_key=f"meetings.remind:{meeting.pk}:{meeting.starts_at.isoformat()}")


@scheduler.register(AGENDA_KIND)
def agenda_deadline(job):
    meeting = job.target
    if not isinstance(meeting, Meeting) or meeting.status != MeetingStatus.SCHEDULED or meeting.agenda_deadline > job.due_at:
        return  # moved later: the re-armed job will run then
    from tongxin.notify.services import notify

    waiting = meeting.agenda_items.filter(status=AgendaStatus.PROPOSED).count()
    total = meeting.agenda_items.count()
    users = organisers_of(meeting)
    if users:
        notify(recipients=users, verb="meetings.agenda_closed", title=f"议题征集已截止：{meeting.title}",
               body=f"共收到 {total} 个议题，{waiting} 个待您决定是否列入议程并排序。", url=f"/meetings/{meeting.pk}/",
               target=meeting, organization=meeting.organization,
               dedupe_key=f"meetings.agenda:{meeting.pk}:{meeting.agenda_deadline.isoformat()}")
