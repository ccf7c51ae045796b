"""Scheduler handlers (registered from GovernanceConfig.ready()).

- governance.obligation_overdue: armed per due date (09:00 the day after) when the agreement is
  in force; tells the owing unit's liaisons once (notification dedupe_key per due date). Runs
  late safely: a due date fulfilled, or an agreement ended, in the meantime does nothing.
- governance.agreement_expire: the day after the term ends, in force → expired.
"""

from tongxin.notify import scheduler

from .models import Agreement, ObligationDue


@scheduler.register("governance.obligation_overdue")
def obligation_overdue(job):
    from .services import notify_overdue

    target = job.target
    if target is None:
        return
    due = ObligationDue.objects.select_related("obligation__agreement", "obligation__debtor").filter(pk=target.pk).first()
    if due is not None:
        notify_overdue(due)


@scheduler.register("governance.agreement_expire")
def agreement_expire(job):
    from .services import expire

    target = job.target
    if target is None:
        return
    agreement = Agreement.objects.filter(pk=target.pk).first()
    if agreement is not None:
        expire(agreement=agreement)
