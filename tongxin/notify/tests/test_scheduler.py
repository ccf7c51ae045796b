"""Scheduled jobs: idempotent scheduling, cancel, run_due with compare-and-set, retries,
and several workers in real threads running every job exactly once."""

import datetime as dt
import random
import threading
import time
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone

from tongxin.notify import scheduler
from tongxin.notify.models import JobStatus, ScheduledJob

CALLS: list[tuple[int, str]] = []
CALLS_LOCK = threading.Lock()


@scheduler.register("test.record")
def _record(job):
    with CALLS_LOCK:
        CALLS.append((job.pk, threading.current_thread().name))


@scheduler.register("test.boom")
def _boom(job):
    raise RuntimeError("处理失败")


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_schedule_and_run_due(world):
    now = timezone.now()
    due = scheduler.schedule(kind="test.record", due_at=now - dt.timedelta(minutes=1), target=world.community_a,
                             payload={"level": 1})
    later = scheduler.schedule(kind="test.record", due_at=now + dt.timedelta(hours=1))
    assert scheduler.run_due(now=now, worker="w1") == 1
    assert CALLS == [(due.pk, threading.current_thread().name)]
    due.refresh_from_db()
    assert (due.status, due.claimed_by, due.attempts) == (JobStatus.DONE, "w1", 1)
    assert due.target == world.community_a and due.payload == {"level": 1}
    later.refresh_from_db()
    assert later.status == JobStatus.PENDING
    assert scheduler.run_due(now=now) == 0  # nothing runs twice


def test_dedupe_key_moves_a_pending_job(world):
    now = timezone.now()
    a = scheduler.schedule(kind="test.record", due_at=now + dt.timedelta(hours=1), dedupe_key="order:1:accept")
    b = scheduler.schedule(kind="test.record", due_at=now + dt.timedelta(hours=3), dedupe_key="order:1:accept")
    assert a.pk == b.pk
    assert ScheduledJob.objects.count() == 1
    assert b.due_at == now + dt.timedelta(hours=3)


def test_dedupe_key_rearms_a_cancelled_job_but_not_a_running_one(world):
    now = timezone.now()
    job = scheduler.schedule(kind="test.record", due_at=now, target=world.unit_a, dedupe_key="k")
    assert scheduler.cancel(kind="test.record", target=world.unit_a) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    again = scheduler.schedule(kind="test.record", due_at=now + dt.timedelta(hours=2), target=world.unit_a, dedupe_key="k")
    assert (again.pk, again.status) == (job.pk, JobStatus.PENDING)
    ScheduledJob.objects.filter(pk=job.pk).update(status=JobStatus.CLAIMED)
    running = scheduler.schedule(kind="test.record", due_at=now + dt.timedelta(hours=5), dedupe_key="k")
    assert running.status == JobStatus.CLAIMED and running.due_at == now + dt.timedelta(hours=2)


def test_cancel_only_touches_that_kind_and_target(world):
    now = timezone.now()
    scheduler.schedule(kind="test.record", due_at=now, target=world.unit_a)
    other_kind = scheduler.schedule(kind="test.other", due_at=now, target=world.unit_a)
    other_target = scheduler.schedule(kind="test.record", due_at=now, target=world.community_b)
    assert scheduler.cancel(kind="test.record", target=world.unit_a) == 1
    assert scheduler.cancel(kind="test.record", target=world.unit_a) == 0
    assert ScheduledJob.objects.get(pk=other_kind.pk).status == JobStatus.PENDING
    assert ScheduledJob.objects.get(pk=other_target.pk).status == JobStatus.PENDING


def test_failing_handler_is_retried_then_failed(world):
    now = timezone.now()
    job = scheduler.schedule(kind="test.boom", due_at=now)
    for attempt in range(1, scheduler.MAX_ATTEMPTS + 1):
        assert scheduler.run_due(now=now) == 1
        job.refresh_from_db()
        assert job.attempts == attempt and "处理失败" in job.last_error
        if attempt < scheduler.MAX_ATTEMPTS:
            assert job.status == JobStatus.PENDING
            assert job.due_at == now + scheduler.RETRY_BACKOFF * attempt
            now = job.due_at
    assert job.status == JobStatus.FAILED
    assert scheduler.run_due(now=now + dt.timedelta(days=1)) == 0


def test_unknown_kind_fails_with_a_clear_error(world):
    job = scheduler.schedule(kind="test.nobody", due_at=timezone.now())
    scheduler.run_due()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.last_error == "没有为任务类型 test.nobody 注册处理函数"


def test_stale_claims_are_released(world):
    now = timezone.now()
    job = scheduler.schedule(kind="test.record", due_at=now)
    ScheduledJob.objects.filter(pk=job.pk).update(status=JobStatus.CLAIMED, claimed_by="dead:1",
                                                  claimed_at=now - dt.timedelta(hours=1))
    assert scheduler.run_due(now=now) == 0  # claimed by a dead worker: not touched
    assert scheduler.release_stale(now=now, older_than=dt.timedelta(hours=2)) == 0  # not stale yet by that rule
    result = scheduler.run_cycle(now=now)
    assert (result["released"], result["ran"]) == (1, 1)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and len(CALLS) == 1


def test_a_handler_registered_twice_for_one_kind_is_refused():
    with pytest.raises(ValueError, match="already has a handler"):
        @scheduler.register("test.record")
        def another(job):
            pass


def test_run_scheduler_command_once(world, capsys):
    scheduler.schedule(kind="test.record", due_at=timezone.now() - dt.timedelta(seconds=1))
    call_command("run_scheduler", "--once", "--worker", "cmd")
    assert "ran 1 jobs" in capsys.readouterr().out
    assert ScheduledJob.objects.get(kind="test.record").claimed_by == "cmd"


@scheduler.register("test.effect")
def _effect(job):
    """A handler whose effect is a database row, committed together with the job's "done" mark."""
    from tongxin.audit import events

    events.record(actor=None, verb="test.job_ran", target=job, payload={"worker": threading.current_thread().name})


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_run_every_job_exactly_once(world, monkeypatch):
    """Six threads call run_due at the same moment on the same 60 due jobs. Each job's effect
    (an Event row, committed with its "done" mark) exists exactly once, and the claims were shared.

    The in-memory SQLite test database answers "database table is locked" instead of waiting,
    so a thread retries after such an error (as the run_scheduler loop would on its next pass),
    and an attempt that failed on a lock goes straight back to pending."""
    from tongxin.audit.models import Event

    monkeypatch.setattr(scheduler, "RETRY_BACKOFF", dt.timedelta(0))
    monkeypatch.setattr(scheduler, "MAX_ATTEMPTS", 1000)
    now = timezone.now()
    jobs = [scheduler.schedule(kind="test.effect", due_at=now - dt.timedelta(seconds=i)) for i in range(60)]
    workers = 6
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    lock_errors = Counter()

    def work(name):
        try:
            barrier.wait()
            for _ in range(500):
                try:
                    scheduler.run_due(now=now, worker=name, limit=1000)
                    if not ScheduledJob.objects.filter(status__in=[JobStatus.PENDING, JobStatus.CLAIMED]).exists():
                        break
                except OperationalError:
                    lock_errors[name] += 1
                    time.sleep(random.uniform(0.01, 0.05))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"worker-{i}",), name=f"worker-{i}") for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    if connection.vendor != "sqlite":
        assert not lock_errors
    not_done = list(ScheduledJob.objects.exclude(status=JobStatus.DONE).values("pk", "status", "attempts", "claimed_by", "last_error"))
    assert not_done == [], (not_done, lock_errors)
    ran = Counter(int(pk) for pk in Event.objects.filter(verb="test.job_ran").values_list("target_id", flat=True))
    assert set(ran) == {j.pk for j in jobs}
    assert set(ran.values()) == {1}, ran
    # The done job was claimed by the thread that ran it, and more than one worker got work.
    ran_by = dict(Event.objects.filter(verb="test.job_ran").values_list("target_id", "payload__worker"))
    claimed_by = {str(pk): w for pk, w in ScheduledJob.objects.values_list("pk", "claimed_by")}
    assert ran_by == claimed_by
    assert len(set(claimed_by.values())) > 1
