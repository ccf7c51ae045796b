"""Background tasks (django_tasks): the dry run and the import of one job.

Arguments are the job id only, so every backend (database, Redis/rq, immediate) can carry them;
the services make each run idempotent (compare-and-set on the job's status).
"""

from django.utils import timezone
from django_tasks import task

from tongxin.notify import scheduler

from . import services


@task()
def validate_import(job_id: int) -> str:
    job = services.run_validation(job_id)
    return job.status if job else "missing"


@task()
def run_import(job_id: int) -> str:
    job = services.run_import(job_id)
    return job.status if job else "missing"


@scheduler.register(services.STALL_KIND)
def stall_check(job) -> None:
    """A dry run or an import still running long after it started: its worker died; fail it."""
    if job.target is not None:
        # The check was due when it was scheduled to be; the scheduler may run it late, never early.
        services.fail_stalled(job=job.target, now=max(timezone.now(), job.due_at))


@scheduler.register(services.EXPIRY_KIND)
def expiry(job) -> None:
    """A checked file nobody confirmed in time: expire it and delete its prepared rows."""
    if job.target is not None:
        services.expire_unconfirmed(job=job.target, now=max(timezone.now(), job.due_at))
