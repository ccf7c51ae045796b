"""Background training: a django_tasks task (the "retrain now" button enqueues it) and the
scheduler handler that the history trigger (services.note_handled) schedules."""

from django.db import transaction
from django_tasks import task

from tongxin.notify import scheduler

from .models import Trigger


@task()
def train_alliance(alliance_id: int, trigger: str = Trigger.MANUAL, user_id: int | None = None) -> list[str]:
    from tongxin.accounts.models import User
    from tongxin.orgs.models import Alliance

    from . import services

    alliance = Alliance.objects.select_related("core_organization").filter(pk=alliance_id).first()
    if alliance is None:
        return []
    by = User.objects.filter(pk=user_id).first() if user_id else None
    return [run.outcome for run in services.train(alliance=alliance, by=by, trigger=trigger)]


@scheduler.register("routing.retrain")
def retrain_job(job):
    """Enough new requests were handled: train in the background (the handler itself stays short)."""
    if job.target_id:
        alliance_id = int(job.target_id)
        trigger = (job.payload or {}).get("trigger", Trigger.HISTORY)
        transaction.on_commit(lambda: train_alliance.enqueue(alliance_id, trigger, None))
