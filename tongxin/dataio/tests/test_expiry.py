"""A checked file that nobody confirms expires after IMPORT_CONFIRM_DAYS: its prepared rows (personal
data, encrypted and masked) are deleted, nothing is written, and confirming it later is refused in
Chinese."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.audit.models import Event
from tongxin.core.errors import DomainError
from tongxin.dataio import services
from tongxin.dataio.models import ImportStatus
from tongxin.notify import scheduler
from tongxin.notify.models import ScheduledJob
from tongxin.people.models import Person

from .conftest import PEOPLE_HEADERS, person_row, xlsx

pytestmark = pytest.mark.tasks


def rows():
    return [person_row(name="钱过期", phone="13900000078", organization="甲社区党委", community="甲社区党委", tags="居民")]


def test_checked_file_not_confirmed_expires_and_its_prepared_rows_go(world, start_job, django_capture_on_commit_callbacks):
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows()))
    assert job.status == ImportStatus.VALIDATED, job.errors
    assert job.finished_at is not None and job.confirm_by == job.finished_at + dt.timedelta(days=7)
    prepared = services._rows_name(job)
    assert job.file.storage.exists(prepared)
    assert ScheduledJob.objects.filter(kind=services.EXPIRY_KIND, dedupe_key=f"import:{job.pk}:expiry").count() == 1

    scheduler.run_due(now=timezone.now() + dt.timedelta(days=6))  # not yet
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED and job.file.storage.exists(prepared)

    with django_capture_on_commit_callbacks(execute=True):
        scheduler.run_due(now=timezone.now() + dt.timedelta(days=7, minutes=1))
    job.refresh_from_db()
    assert job.status == ImportStatus.EXPIRED and job.confirm_by is None
    assert "7 天未确认导入，已过期" in job.message and "未写入任何数据" in job.message
    assert not job.file.storage.exists(prepared)
    event = Event.objects.get(verb="dataio.expired")
    assert event.actor is None and event.payload == {"kind": "people", "days": 7}

    with pytest.raises(DomainError) as refused:
        services.confirm(job=job, by=world.dispatcher_a)
    assert refused.value.code == "expired" and "请重新上传文件" in str(refused.value)
    assert not Person.objects.filter(name="钱过期").exists()


def test_confirmed_jobs_do_not_expire(world, start_job, confirm_job):
    job = confirm_job(start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows())), world.dispatcher_a)
    assert job.status == ImportStatus.DONE
    scheduler.run_due(now=timezone.now() + dt.timedelta(days=8))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and not Event.objects.filter(verb="dataio.expired").exists()
    assert Person.objects.filter(name="钱过期").count() == 1


def test_the_limit_is_a_setting_and_the_page_shows_it(world, start_job, settings, client):
    settings.IMPORT_CONFIRM_DAYS = 2
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows()))
    client.force_login(world.dispatcher_a)
    page = client.get(f"/data/jobs/{job.pk}/").content.decode()
    until = timezone.localtime(job.confirm_by).strftime("%Y-%m-%d %H:%M")
    assert 'data-testid="confirm-by"' in page and until in page
    assert not services.expire_unconfirmed(job=job, now=job.finished_at + dt.timedelta(days=1, hours=23))
    assert services.expire_unconfirmed(job=job, now=job.finished_at + dt.timedelta(days=2))
    assert not services.expire_unconfirmed(job=job, now=job.finished_at + dt.timedelta(days=3))  # once
    page = client.get(f"/data/jobs/{job.pk}/").content.decode()
    assert "2 天未确认导入" in page and 'data-testid="confirm-by"' not in page
