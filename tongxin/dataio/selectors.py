"""Reads of import jobs: a user sees the jobs they uploaded (a superuser sees all)."""

from django.db.models import QuerySet

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import NotFound

from .models import ImportJob


def visible_jobs(user) -> QuerySet[ImportJob]:
    if not user or not user.is_authenticated:
        return ImportJob.objects.none()
    qs = ImportJob.objects.select_related("created_by")
    return qs if user.is_superuser else qs.filter(created_by=user)


def recent_jobs(user, limit: int = 10) -> list[ImportJob]:
    return list(visible_jobs(user).defer("errors")[:limit])


def get_job(user, pk) -> ImportJob:
    job = visible_jobs(user).filter(pk=pk).first()
    if job is None:
        raise NotFound("导入任务不存在或不是您上传的")
    return job


def can_import(user) -> bool:
    return has_perm(user, P.IMPORT_DATA)


def can_export(user) -> bool:
    return has_perm(user, P.EXPORT_DATA)
