"""Import/export API (/api/v1/data): the same services and selectors as the pages, so the same scope.

POST /imports (multipart: file, kind) → the job; GET /imports/{id} → status, progress, errors;
POST /imports/{id}/confirm → starts the import (idempotent); GET /templates/{kind}; GET /exports/{kind}
(masked values only).
"""

import datetime as dt
from typing import Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from . import selectors, services, workbook
from .models import ImportJob
from .views import FILE_NAMES, xlsx_response

router = Router(tags=["data"])
Kind = Literal["organizations", "people"]


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class JobOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    file_name: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    total_rows: int
    valid_rows: int
    imported_count: int
    error_count: int
    progress_done: int
    progress_total: int
    progress_percent: int
    message: str
    errors: list[RowErrorOut]
    errors_offset: int
    errors_limit: int

    @staticmethod
    def resolve_status_label(obj: ImportJob) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_file_name(obj: ImportJob) -> str:
        return obj.original_name


@router.post("/imports", response={201: JobOut}, summary="Upload an xlsx file and start its dry run")
def create_import(request, kind: Form[Kind], file: File[UploadedFile]):
    job = services.create_job(by=request.user, kind=kind, upload=file)
    return Status(201, _page(job))


@router.get("/imports/{job_id}", response=JobOut, summary="Status, progress and row errors of an import")
def get_import(request, job_id: int, errors_offset: int = 0, errors_limit: int = 500):
    return _page(selectors.get_job(request.user, job_id), errors_offset, errors_limit)


@router.post("/imports/{job_id}/confirm", response=JobOut, summary="Import a checked file (all rows or none; confirming twice imports once)")
def confirm_import(request, job_id: int):
    job = selectors.get_job(request.user, job_id)
    services.confirm(job=job, by=request.user)
    job.refresh_from_db()
    return _page(job)


@router.get("/templates/{kind}", summary="The empty xlsx template", response={200: None})
def template(request, kind: Kind):
    return xlsx_response(workbook.build_template(kind), f"同心{FILE_NAMES[kind]}导入模板.xlsx")


@router.get("/exports/{kind}", summary="Export what the caller may see, as xlsx (phone, ID number, address masked)", response={200: None})
def export(request, kind: Kind) -> HttpResponse:
    fn = services.export_people if kind == "people" else services.export_organizations
    data, _count = fn(by=request.user)
    return xlsx_response(data, f"同心{FILE_NAMES[kind]}导出-{timezone.localdate():%Y%m%d}.xlsx")


def _page(job: ImportJob, offset: int = 0, limit: int = 500) -> ImportJob:
    limit = max(1, min(limit, 5000))
    offset = max(0, offset)
    job.errors_offset, job.errors_limit = offset, limit
    job.errors = job.errors[offset : offset + limit]  # only on this instance, for the response
    return job
