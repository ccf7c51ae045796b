"""Scheduler handlers of the lists app (registered from ListsConfig.ready()).

lists.milestone_due: the morning before a project milestone's due date, the lead unit's liaisons
get an inbox reminder. The handler re-checks the milestone: one done in the meantime is skipped.
"""

import datetime as dt

from django.utils import timezone

from tongxin.notify import scheduler

from .models import Milestone

REMIND_AT = dt.time(9, 0)


def reminder_time(due_on: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(due_on - dt.timedelta(days=1), REMIND_AT))


def schedule_milestone(ms: Milestone) -> None:
    when = reminder_time(ms.due_on)
    if when > timezone.now():
        scheduler.schedule(kind="lists.milestone_due", due_at=when, target=ms, dedupe_key=f"lists:milestone:{ms.pk}")


def cancel_milestone(ms: Milestone) -> None:
    scheduler.cancel(kind="lists.milestone_due", target=ms)


@scheduler.register("lists.milestone_due")
def milestone_due(job):
    from tongxin.notify.services import notify

    from .services import _unit_liaisons

    target = job.target
    ms = Milestone.objects.select_related("project", "project__lead_unit").filter(pk=getattr(target, "pk", None)).first()
    if ms is None or ms.done_on is not None or ms.project.is_done or ms.project.status == "rejected":
        return
    recipients = _unit_liaisons(ms.project.lead_unit)
    if recipients:
        notify(recipients=recipients, verb="lists.milestone_due", title=f"项目节点明天到期：{ms.title}",
               body=f"共建项目“{ms.project.title}”的节点“{ms.title}”将于 {ms.due_on:%Y-%m-%d} 到期。",
               url=f"/lists/projects/{ms.project_id}/", target=ms.project, organization=ms.project.lead_unit,
               dedupe_key=f"lists:milestone:{ms.pk}:due")
