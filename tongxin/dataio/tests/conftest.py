"""Fixtures for import/export tests: spreadsheets built in memory, and a task runner that works
with the immediate backend (tasks already ran on commit) and with the rq backend (a burst worker
in this process, so it shares the test's database transaction)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from tongxin.dataio.columns import ORG_COLUMNS, PEOPLE_COLUMNS

PEOPLE_HEADERS = [c.header for c in PEOPLE_COLUMNS]
ORG_HEADERS = [c.header for c in ORG_COLUMNS]


def pytest_configure(config):
    # Also declared in pyproject.toml; repeated here so this app's tests run with --strict-markers anywhere.
    config.addinivalue_line("markers", "tasks: background task tests (run against the database and the Redis backends)")


def xlsx(headers, rows, *, merge=None, formula=None, title=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.title = title
    ws.append(headers)
    for row in rows:
        ws.append(list(row))
    if merge:
        ws.merge_cells(merge)
    if formula:
        ws[formula] = "=1+1"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def person_row(**values):
    by_key = {c.key: c.header for c in PEOPLE_COLUMNS}
    row = dict.fromkeys(PEOPLE_HEADERS, None)
    for key, value in values.items():
        row[by_key[key]] = value
    return [row[h] for h in PEOPLE_HEADERS]


def org_row(**values):
    by_key = {c.key: c.header for c in ORG_COLUMNS}
    row = dict.fromkeys(ORG_HEADERS, None)
    for key, value in values.items():
        row[by_key[key]] = value
    return [row[h] for h in ORG_HEADERS]


def upload(data: bytes, name="data.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@pytest.fixture
def run_tasks(settings):
    """Call after the on-commit callbacks ran: processes queued jobs when the backend queues them."""
    backend = settings.TASKS["default"]["BACKEND"]
    if "RQBackend" not in backend:
        return lambda: None
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    django_rq.get_queue("default", job_class=Job).empty()  # jobs left by an earlier run point at other databases

    def run():
        worker = django_rq.get_worker("default", job_class=Job, worker_class=SimpleWorker)
        worker.work(burst=True)

    return run


@pytest.fixture
def start_job(django_capture_on_commit_callbacks, run_tasks):
    """Upload a file as `user` and run its dry run; returns the job reloaded."""
    from tongxin.dataio import services

    def start(user, kind, data, name="data.xlsx"):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.create_job(by=user, kind=kind, upload=upload(data, name))
        run_tasks()
        job.refresh_from_db()
        return job

    return start


@pytest.fixture
def confirm_job(django_capture_on_commit_callbacks, run_tasks):
    from tongxin.dataio import services

    def confirm(job, user):
        with django_capture_on_commit_callbacks(execute=True):
            services.confirm(job=job, by=user)
        run_tasks()
        job.refresh_from_db()
        return job

    return confirm
