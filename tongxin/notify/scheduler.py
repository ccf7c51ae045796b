"""Scheduled jobs: rows with an indexed due_at, claimed with compare-and-set.

Other apps schedule work for later (overdue acceptance, overdue completion, rating reminders,
digests) and register a handler per kind::

    # tongxin/orders/tasks.py
    from tongxin.notify import scheduler

    @scheduler.register("orders.accept_overdue")
    def accept_overdue(job):          # job is a ScheduledJob; job.target is the order
        order = job.target
        if order is None or order.status != "dispatched":
            return                    # the deadline was met (or the order is gone): nothing to do
        ...                           # escalate, notify(...)

    # in a service, inside its transaction:
    scheduler.schedule(kind="orders.accept_overdue", due_at=order.accept_due_at, target=order,
                       dedupe_key=f"order:{order.pk}:accept")
    scheduler.cancel(kind="orders.accept_overdue", target=order)   # when accepted in time

Handlers must be imported before the scheduler runs: import the module from the app's
AppConfig.ready(), e.g. ``def ready(self): from . import tasks  # noqa: F401`` in OrdersConfig.

Handlers must tolerate running late and re-check the target's state, because a job runs once
but possibly after the situation changed. A handler runs inside transaction.atomic(); if it
raises, the job goes back to pending with backoff until MAX_ATTEMPTS, then "failed" with
last_error.

Running: ``python manage.py run_scheduler`` (loop, every --interval seconds) or ``--once``
(for cron). Several instances may run at once: run_due() claims each due row with one
``UPDATE ... SET status='claimed' WHERE id=? AND status='pending'``; only the instance whose
update affected one row runs it. Each cycle also releases claims older than STALE_CLAIM (a
worker that died mid-job), re-enqueues notification deliveries that are due for a retry, and
keeps the next daily e-mail digest scheduled (tongxin.notify.digest).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import time
import traceback
from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from .models import JobStatus, ScheduledJob

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_BACKOFF = dt.timedelta(minutes=5)
STALE_CLAIM = dt.timedelta(minutes=15)

_handlers: dict[str, Callable[[ScheduledJob], None]] = {}


def register(kind: str):
    """Decorator: `handler(job) -> None` runs the jobs of `kind`."""

    def decorator(func):
        existing = _handlers.get(kind)
        same = existing is not None and (existing.__module__, existing.__qualname__) == (func.__module__, func.__qualname__)
        if existing is not None and not same:
            raise ValueError(f"scheduler kind {kind!r} already has a handler: {existing.__module__}.{existing.__qualname__}")
        _handlers[kind] = func
        return func

    return decorator


def handlers() -> dict[str, Callable[[ScheduledJob], None]]:
    return dict(_handlers)


def _target_fields(target) -> dict:
    if target is None:
        return {"target_type": None, "target_id": ""}
    return {"target_type": ContentType.objects.get_for_model(target, for_concrete_model=True),
            "target_id": str(target.pk)}


def schedule(*, kind: str, due_at: dt.datetime, target=None, payload: dict | None = None,
             dedupe_key: str = "") -> ScheduledJob:
    """Add a job. With a dedupe_key the call is idempotent: an existing pending job with that key
    gets the new due_at (and payload); a finished, failed or cancelled one is re-armed; a job
    that is running right now is returned unchanged."""
    if not kind:
        raise ValueError("kind is required")
    if timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at)
    fields = {"kind": kind, "due_at": due_at, "payload": payload or {}, **_target_fields(target)}
    if not dedupe_key:
        return ScheduledJob.objects.create(**fields)
    with transaction.atomic():
        job = ScheduledJob.objects.select_for_update().filter(dedupe_key=dedupe_key).first()
        if job is None:
            try:
                with transaction.atomic():
                    return ScheduledJob.objects.create(dedupe_key=dedupe_key, **fields)
            except IntegrityError:
                job = ScheduledJob.objects.select_for_update().get(dedupe_key=dedupe_key)
        if job.status == JobStatus.CLAIMED:
            return job
        update = {**fields, "status": JobStatus.PENDING}
        if job.status != JobStatus.PENDING:
            update.update(attempts=0, last_error="", claimed_by="", claimed_at=None, finished_at=None)
        if payload is None:
            update.pop("payload")
        ScheduledJob.objects.filter(pk=job.pk).update(**update)
        job.refresh_from_db()
        return job


def cancel(*, kind: str, target) -> int:
    """Cancel the pending jobs of `kind` for `target`; returns how many."""
    return ScheduledJob.objects.filter(kind=kind, status=JobStatus.PENDING, **_target_fields(target)).update(
        status=JobStatus.CANCELLED, finished_at=timezone.now())


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_due(*, now: dt.datetime | None = None, worker: str = "", limit: int = 100) -> int:
    """Claim and run the pending jobs that are due; returns how many this worker ran."""
    now = now or timezone.now()
    worker = (worker or default_worker_name())[:120]
    candidates = list(ScheduledJob.objects.filter(status=JobStatus.PENDING, due_at__lte=now)
                      .order_by("due_at", "id").values_list("pk", flat=True)[:limit])
    ran = 0
    for pk in candidates:
        claimed = ScheduledJob.objects.filter(pk=pk, status=JobStatus.PENDING).update(
            status=JobStatus.CLAIMED, claimed_by=worker, claimed_at=timezone.now(), attempts=F("attempts") + 1)
        if claimed != 1:
            continue  # another worker got there first
        ran += 1
        _run_claimed(_retry_db(lambda pk=pk: ScheduledJob.objects.get(pk=pk)), now=now)
    return ran


def _retry_db(func):
    """Run a small autocommit query after a claim, retrying a transient database error (a busy
    SQLite file) so that a claimed job is not left "claimed" by a hiccup."""
    for attempt in range(12):
        try:
            return func()
        except OperationalError:
            if attempt == 11 or not transaction.get_autocommit():
                raise
            time.sleep(min(0.02 * 2 ** attempt, 0.5) * random.uniform(0.5, 1.5))


def _record_outcome(pk: int, **fields) -> None:
    _retry_db(lambda: ScheduledJob.objects.filter(pk=pk, status=JobStatus.CLAIMED).update(**fields))


def _run_claimed(job: ScheduledJob, *, now: dt.datetime) -> None:
    handler = _handlers.get(job.kind)
    if handler is None:
        _record_outcome(job.pk, status=JobStatus.FAILED, finished_at=timezone.now(),
                        last_error=f"没有为任务类型 {job.kind} 注册处理函数")
        return
    try:
        # The handler's writes and the "done" mark commit together: if either fails, neither sticks.
        with transaction.atomic():
            handler(job)
            ScheduledJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, finished_at=timezone.now())
    except Exception as exc:
        logger.exception("scheduled job %s (%s) failed", job.pk, job.kind)
        error = f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000]
        if job.attempts >= MAX_ATTEMPTS:
            _record_outcome(job.pk, status=JobStatus.FAILED, last_error=error, finished_at=timezone.now())
        else:
            _record_outcome(job.pk, status=JobStatus.PENDING, last_error=error,
                            due_at=now + RETRY_BACKOFF * job.attempts)


def release_stale(*, now: dt.datetime | None = None, older_than: dt.timedelta = STALE_CLAIM) -> int:
    """Put back jobs claimed by a worker that died before finishing them."""
    now = now or timezone.now()
    return ScheduledJob.objects.filter(status=JobStatus.CLAIMED, claimed_at__lt=now - older_than).update(
        status=JobStatus.PENDING, claimed_by="", claimed_at=None)


def run_cycle(*, now: dt.datetime | None = None, worker: str = "", limit: int = 100) -> dict:
    """One pass of the scheduler command: stale claims, due jobs, due notification retries."""
    from .digest import ensure_scheduled
    from .services import deliver_due

    ensure_scheduled(now=now)
    released = release_stale(now=now)
    ran = run_due(now=now, worker=worker, limit=limit)
    retried = deliver_due(now=now)
    return {"released": released, "ran": ran, "deliveries": retried}
