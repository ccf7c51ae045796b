"""Background tasks (django_tasks): the dry run and the import of one job.

Arguments are the job id only, so every backend (database, Redis/rq, immediate) can carry them;
the services make each run idempotent (compare-and-set on the job's status).
"""

from django_tasks import task

from . import services


@task()
def validate_import(job_id: int) -> str:
    job = services.run_validation(job_id)
    return job.status if job else "missing"


@task()
def run_import(job_id: int) -> str:
    job = services.run_import(job_id)
    return job.status if job else "missing"
