"""A dry run or an import whose worker died does not stay "running" for ever: the scheduler's
stall check fails it with a Chinese message, writes nothing, and a late worker changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.audit.models import Event
from tongxin.dataio import services
from tongxin.dataio.models import ImportJob, ImportStatus
from tongxin.notify import scheduler
from tongxin.people.models import Person

from .conftest import PEOPLE_HEADERS, person_row, upload, xlsx

pytestmark = pytest.mark.tasks

LATER = dt.timedelta(minutes=121)


def rows():
    return [person_row(name="赵停滞", phone="13900000077", organization="甲社区党委", community="甲社区党委", tags="居民")]


@pytest.fixture
def dead_worker(monkeypatch):
    """Queued tasks are lost: nothing runs them."""
    monkeypatch.setattr(services, "_enqueue", lambda name, job_id: None)


def test_import_whose_worker_died_fails_after_the_limit_and_writes_nothing(world, start_job, django_capture_on_commit_callbacks,
                                                                          monkeypatch):
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows()))
    assert job.status == ImportStatus.VALIDATED, job.errors
    monkeypatch.setattr(services, "_enqueue", lambda name, job_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm(job=job, by=world.dispatcher_a)
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING

    scheduler.run_due(now=timezone.now() + dt.timedelta(minutes=30))  # not yet: an import may take a while
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING

    with django_capture_on_commit_callbacks(execute=True):
        scheduler.run_due(now=timezone.now() + LATER)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.finished_at is not None
    assert "导入超过 120 分钟仍未完成" in job.message and "未写入任何数据" in job.message
    event = Event.objects.get(verb="dataio.stalled")
    assert event.actor is None and event.reason and event.payload["minutes"] == 120
    assert not job.file.storage.exists(services._rows_name(job))  # the prepared rows hold personal data

    # The worker was only slow and comes back now: it finds the job failed and writes nothing.
    services.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert not Person.objects.filter(name="赵停滞").exists()


def test_dry_run_whose_worker_died_fails_too(world, dead_worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.create_job(by=world.dispatcher_a, kind="people", upload=upload(xlsx(PEOPLE_HEADERS, rows())))
    assert job.status == ImportStatus.UPLOADED
    scheduler.run_due(now=timezone.now() + LATER)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "检查文件超过 120 分钟仍未完成" in job.message
    assert services.run_validation(job.pk).status == ImportStatus.FAILED  # a late dry run does nothing


def test_finished_jobs_are_left_alone(world, start_job, confirm_job):
    job = confirm_job(start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows())), world.dispatcher_a)
    assert job.status == ImportStatus.DONE
    scheduler.run_due(now=timezone.now() + LATER)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.message == ""
    assert not Event.objects.filter(verb="dataio.stalled").exists()
    assert Person.objects.filter(name="赵停滞").count() == 1


def test_the_limit_is_a_setting(world, dead_worker, settings):
    settings.IMPORT_STALL_MINUTES = 5
    job = services.create_job(by=world.dispatcher_a, kind="people", upload=upload(xlsx(PEOPLE_HEADERS, rows())))
    assert not services.fail_stalled(job=job, now=timezone.now() + dt.timedelta(minutes=4))
    assert services.fail_stalled(job=job, now=timezone.now() + dt.timedelta(minutes=6))
    assert not services.fail_stalled(job=ImportJob.objects.get(pk=job.pk), now=timezone.now() + LATER)  # once
    assert Event.objects.filter(verb="dataio.stalled").count() == 1


def test_a_dry_run_that_finishes_after_the_stall_check_keeps_nothing(world, dead_worker, monkeypatch):
    job = services.create_job(by=world.dispatcher_a, kind="people", upload=upload(xlsx(PEOPLE_HEADERS, rows())))
    real_transition = services.transition

    def stalled_meanwhile(job, *, to, **fields):
        if to == ImportStatus.VALIDATED:  # the stall check got there first, while the rows were being checked
            assert services.fail_stalled(job=ImportJob.objects.get(pk=job.pk), now=timezone.now() + LATER)
        return real_transition(job, to=to, **fields)

    monkeypatch.setattr(services, "transition", stalled_meanwhile)
    # The check's own clean-up ran when it committed, before the dry run wrote its rows: not run here.
    services.run_validation(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert not job.file.storage.exists(services._rows_name(job))
