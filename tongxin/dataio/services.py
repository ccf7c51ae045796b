"""Writes of the import/export app: upload → dry run → confirm → all-or-nothing import; exports.

The job's status only moves along models.TRANSITIONS, each move a compare-and-set UPDATE, so a
double click or a retried request or task delivery acts once.
"""

import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ALL, has_perm, scope_paths
from tongxin.audit import events
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.orgs.selectors import visible_organizations
from tongxin.people.models import PersonRole
from tongxin.people.selectors import visible_people

from . import importers, workbook
from .columns import MEMBER_STATUS_LABELS, ORG_COLUMNS, ORG_KIND_LABELS, PEOPLE_COLUMNS, ROLE_TAG_LABELS, SEX_LABELS
from .models import RUNNING_STATUSES, TRANSITIONS, ImportJob, ImportKind, ImportStatus, confirm_within

log = logging.getLogger(__name__)
S = ImportStatus
MAX_STORED_ERRORS = 100_000


def transition(job: ImportJob, *, to: str, **fields) -> bool:
    """Move `job` from its current status to `to` if nobody else moved it first. True when this call won."""
    if to not in TRANSITIONS[job.status]:
        raise DomainError(f"任务状态不能从“{job.get_status_display()}”变为“{S(to).label}”", code="bad_transition")
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job.pk, status=job.status).update(status=to, updated_at=now, **fields)
    if claimed != 1:
        job.refresh_from_db()
        return False
    job.status = to
    job.updated_at = now
    for key, value in fields.items():
        setattr(job, key, value)
    return True


def _ensure_can_import(by) -> None:
    if not has_perm(by, P.IMPORT_DATA):
        raise PermissionDenied("您的角色不能导入数据")


def create_job(*, by, kind: str, upload) -> ImportJob:
    """Store the uploaded file and queue its dry run. Cheap refusals (size, not an xlsx) are immediate."""
    _ensure_can_import(by)
    if kind not in ImportKind.values:
        raise DomainError("请选择导入的数据类型（组织或人员）", field="kind")
    if upload is None:
        raise DomainError("请选择要上传的 Excel 文件", field="file")
    workbook.check_size(upload.size)
    head = upload.read(4)
    upload.seek(0)
    if head != b"PK\x03\x04":
        raise workbook.FileRefused("这不是 Excel .xlsx 文件：如果是 .xls、.csv 或 WPS 格式，请在 Excel 中“另存为” .xlsx 后再上传")
    name = (getattr(upload, "name", "") or "upload.xlsx")[-200:]
    with transaction.atomic():
        job = ImportJob(kind=kind, created_by=by, original_name=name, size=upload.size)
        job.file.save(f"{kind}.xlsx", upload, save=False)
        job.save()
        events.record(actor=by, verb="dataio.uploaded", target=job, organization=importers.scope_root(by),
                      payload={"kind": kind, "file": name, "size": upload.size})
        _schedule_stall_check(job, "validate")
        transaction.on_commit(lambda: _enqueue("validate_import", job.pk))
    return job


def _enqueue(name: str, job_id: int) -> None:
    from . import tasks

    getattr(tasks, name).enqueue(job_id)


def confirm(*, job: ImportJob, by) -> ImportJob:
    """Start the import of a checked file. Confirming twice imports once: the second call changes nothing."""
    _ensure_can_import(by)
    if job.created_by_id != by.pk and not by.is_superuser:
        raise PermissionDenied("只能确认自己上传的导入任务")
    if job.status in (S.IMPORTING, S.DONE):
        return job
    if job.status == S.INVALID:
        raise DomainError("文件有错误，不能导入：请按错误列表修改后重新上传", code="invalid")
    if job.status in (S.UPLOADED, S.VALIDATING):
        raise DomainError("文件还在检查中，请稍候", code="not_ready")
    if job.status == S.FAILED:
        raise DomainError("这次导入已失败，请重新上传文件", code="failed")
    if job.status == S.EXPIRED:
        raise DomainError(f"检查通过后 {confirm_within().days} 天未确认，这次导入已过期：请重新上传文件", code="expired")
    with transaction.atomic():
        if transition(job, to=S.IMPORTING, confirmed_at=timezone.now(), progress_done=0, progress_total=job.valid_rows):
            events.record(actor=by, verb="dataio.confirmed", target=job, organization=importers.scope_root(by),
                          payload={"kind": job.kind, "rows": job.valid_rows})
            _schedule_stall_check(job, "import")
            transaction.on_commit(lambda: _enqueue("run_import", job.pk))
    return job


# --- runs whose worker died ----------------------------------------------------------------

STALL_KIND = "dataio.stall_check"


def stall_after() -> timedelta:
    """How long a dry run or an import may take before it counts as stalled (settings.IMPORT_STALL_MINUTES)."""
    return timedelta(minutes=getattr(settings, "IMPORT_STALL_MINUTES", 120))


def _schedule_stall_check(job: ImportJob, stage: str) -> None:
    from tongxin.notify import scheduler

    scheduler.schedule(kind=STALL_KIND, due_at=timezone.now() + stall_after(), target=job,
                       dedupe_key=f"import:{job.pk}:{stage}")


def fail_stalled(*, job: ImportJob, now=None) -> bool:
    """Fail a job that is still checking or importing long after it started: its worker died.

    Nothing was written: the import is one transaction, which the database rolled back with the
    dead connection. A worker that is only slow, not dead, finds the job failed when it tries to
    mark it done, and rolls its transaction back too (transition() is compare-and-set).
    """
    now = now or timezone.now()
    started = job.confirmed_at if job.status == S.IMPORTING else job.created_at
    if job.status not in RUNNING_STATUSES or started is None or now - started < stall_after():
        return False
    minutes = int(stall_after().total_seconds() // 60)
    what = "导入" if job.status == S.IMPORTING else "检查文件"
    with transaction.atomic():
        if not transition(job, to=S.FAILED, finished_at=now,
                          message=f"{what}超过 {minutes} 分钟仍未完成（后台处理已中断），未写入任何数据：请重新上传文件再试"):
            return False
        events.record(actor=None, verb="dataio.stalled", target=job, organization=importers.scope_root(job.created_by),
                      reason="后台处理中断", payload={"kind": job.kind, "minutes": minutes})
        transaction.on_commit(lambda: (_discard_upload(job), _discard_prepared(job)))
    return True


# --- checked files nobody confirms ---------------------------------------------------------

EXPIRY_KIND = "dataio.expiry"


def _schedule_expiry(job: ImportJob) -> None:
    from tongxin.notify import scheduler

    scheduler.schedule(kind=EXPIRY_KIND, due_at=job.finished_at + confirm_within(), target=job,
                       dedupe_key=f"import:{job.pk}:expiry")


def expire_unconfirmed(*, job: ImportJob, now=None) -> bool:
    """Expire a checked file whose import nobody confirmed in time.

    Its prepared rows (phones, ID numbers and addresses, encrypted, and their masks) would
    otherwise stay on disk for ever with a job nobody means to finish.
    """
    now = now or timezone.now()
    if job.status != S.VALIDATED or job.finished_at is None or now - job.finished_at < confirm_within():
        return False
    days = confirm_within().days
    with transaction.atomic():
        if not transition(job, to=S.EXPIRED, message=f"检查通过后 {days} 天未确认导入，已过期；检查时准备的数据已删除，未写入任何数据。如需导入，请重新上传文件"):
            return False
        events.record(actor=None, verb="dataio.expired", target=job, organization=importers.scope_root(job.created_by),
                      reason=f"{days} 天未确认", payload={"kind": job.kind, "days": days})
        transaction.on_commit(lambda: _discard_prepared(job))
    return True


# --- the work the tasks do -----------------------------------------------------------------

def _rows_name(job: ImportJob) -> str:
    return f"{job.file.name}.rows.json"


def _validator(kind: str):
    return importers.validate_people if kind == ImportKind.PEOPLE else importers.validate_organizations


def _error_fields(errors: list) -> dict:
    stored = [e.as_dict() for e in errors[:MAX_STORED_ERRORS]]
    return {"errors": stored, "error_count": len(errors)}


def read_rows(job: ImportJob, progress=None) -> list[tuple[int, dict]]:
    """Parse the upload (raising FileRefused for file-level problems)."""
    upload = workbook.open_upload(job.file.path, job.kind)
    try:
        # The bar covers reading (first half) and checking (second half).
        ImportJob.objects.filter(pk=job.pk).update(progress_total=2 * max(upload.estimated_rows, 1))
        rows = []
        for item in upload.rows():
            rows.append(item)
            if progress and len(rows) % 2000 == 0:
                progress(len(rows))
        return rows
    finally:
        upload.close()


def run_validation(job_id: int) -> ImportJob | None:
    """The dry run: parse, check every row, keep the errors; writes nothing but the job."""
    job = ImportJob.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None or job.status != S.UPLOADED or not transition(job, to=S.VALIDATING, progress_done=0):
        return job
    last = [0.0]

    def progress(done: int, offset: int = 0) -> None:
        if time.monotonic() - last[0] > 0.3:
            last[0] = time.monotonic()
            ImportJob.objects.filter(pk=job.pk).update(progress_done=offset + done)

    try:
        rows = read_rows(job, progress)
        job.total_rows = len(rows)
        ImportJob.objects.filter(pk=job.pk).update(progress_total=2 * len(rows), progress_done=len(rows), total_rows=len(rows))

        def check_progress(done: int) -> None:
            progress(done, len(rows))

        result = _validator(job.kind)(job.created_by, rows, progress=check_progress)
    except workbook.FileRefused as exc:
        transition(job, to=S.INVALID, message=exc.message, errors=[{"row": 0, "column": "", "message": exc.message}],
                   error_count=1, finished_at=timezone.now())
        _discard_upload(job)
        return job
    except Exception:
        log.exception("validation of import job %s failed", job.pk)
        msg = "检查文件时出错：文件内容无法解析，请用 Excel 另存为 .xlsx 后重新上传"
        transition(job, to=S.INVALID, message=msg, errors=[{"row": 0, "column": "", "message": msg}], error_count=1,
                   finished_at=timezone.now())
        _discard_upload(job)
        return job
    if result.total == 0:
        msg = "文件中没有数据行：请从第 2 行起填写"
        transition(job, to=S.INVALID, message=msg, errors=[{"row": 0, "column": "", "message": msg}], error_count=1,
                   total_rows=0, finished_at=timezone.now())
        _discard_upload(job)
        return job
    fields = {"total_rows": result.total, "valid_rows": len(result.rows), "progress_done": result.total,
              "progress_total": result.total, **_error_fields(result.errors)}
    if result.errors:
        rows_with_errors = len({e.row for e in result.errors})
        transition(job, to=S.INVALID, message=f"{rows_with_errors} 行有错误，共 {len(result.errors)} 处；请修改后重新上传", **fields,
                   finished_at=timezone.now())
    else:
        prepared = importers.prepare_people(result.rows) if job.kind == ImportKind.PEOPLE else importers.prepare_organizations(result.rows)
        job.file.storage.save(_rows_name(job), ContentFile(json.dumps(prepared, ensure_ascii=False).encode()))
        if transition(job, to=S.VALIDATED, message="", finished_at=timezone.now(), **fields):
            _schedule_expiry(job)
        else:
            _discard_prepared(job)  # failed meanwhile (the stall check): keep no personal data for a dead job
    _discard_upload(job)
    return job


def _discard_upload(job: ImportJob) -> None:
    """The uploaded workbook holds personal data in the clear: once read, it is not kept."""
    try:
        job.file.storage.delete(job.file.name)
    except OSError:
        log.warning("could not delete upload of import job %s", job.pk)


def _discard_prepared(job: ImportJob) -> None:
    try:
        job.file.storage.delete(_rows_name(job))
    except OSError:
        log.warning("could not delete prepared rows of import job %s", job.pk)


class _StillInvalid(Exception):
    def __init__(self, errors):
        self.errors = errors


def run_import(job_id: int) -> ImportJob | None:
    """The import, in ONE transaction: re-check every row against the database as it is now, write, mark done."""
    job = ImportJob.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None or job.status != S.IMPORTING:
        return job
    # Claim the run itself, so a task delivered twice imports once.
    if ImportJob.objects.filter(pk=job.pk, status=S.IMPORTING, started_at__isnull=True).update(started_at=timezone.now()) != 1:
        return job
    user = job.created_by
    reason = f"Excel 导入（任务 #{job.pk}）"
    try:
        with transaction.atomic():
            with job.file.storage.open(_rows_name(job), "rb") as fh:
                prepared = json.load(fh)
            recheck = importers.recheck_people if job.kind == ImportKind.PEOPLE else importers.recheck_organizations
            errors = recheck(user, prepared)
            if errors:
                raise _StillInvalid(errors)
            if job.kind == ImportKind.PEOPLE:
                ids = importers.write_people(user, prepared, reason=reason)
                model = importers.Person
            else:
                ids = importers.write_organizations(user, prepared, reason=reason)
                model = importers.Organization
            importers.job_event(job=job, user=user, ids=ids, model=model)
            if not transition(job, to=S.DONE, imported_count=len(ids), progress_done=len(ids), progress_total=len(ids),
                              finished_at=timezone.now(), message=""):
                raise DomainError("任务状态已被改变，导入已取消")
    except _StillInvalid as exc:
        job.refresh_from_db()
        transition(job, to=S.FAILED, finished_at=timezone.now(), **_error_fields(exc.errors),
                   message=f"导入前复核发现 {len(exc.errors)} 处错误（预检之后数据库中的数据有变化），未写入任何数据")
    except Exception as exc:
        log.exception("import job %s failed", job.pk)
        job.refresh_from_db()
        detail = exc.message if isinstance(exc, DomainError) else "系统错误"
        transition(job, to=S.FAILED, finished_at=timezone.now(), message=f"导入失败（{detail}），未写入任何数据：可以重新上传再试")
    if job.status in (S.DONE, S.FAILED):
        _discard_prepared(job)
    if job.status == S.DONE:
        try:
            importers.refresh_statistics(job.kind, job.imported_count)
        except Exception:  # statistics are an optimisation; the import itself is committed
            log.warning("ANALYZE after import job %s failed", job.pk, exc_info=True)
    return job


# --- exports ---------------------------------------------------------------------------------

def _export_orgs_q(by, field: str) -> Q:
    paths = scope_paths(by, P.EXPORT_DATA)
    if paths == ALL:
        return Q()
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q


def _ensure_can_export(by) -> None:
    if not has_perm(by, P.EXPORT_DATA):
        raise PermissionDenied("您的角色不能导出数据")


def export_organizations(*, by) -> tuple[bytes, int]:
    """The organisations the user may see (and export), as xlsx."""
    _ensure_can_export(by)
    qs = visible_organizations(by).filter(_export_orgs_q(by, "path")).select_related("parent").order_by("path")
    headers = ["编号"] + [c.header for c in ORG_COLUMNS]
    count = 0

    def rows():
        nonlocal count
        for o in qs.iterator(chunk_size=2000):
            count += 1
            yield [o.pk, o.name, o.short_name, ORG_KIND_LABELS.get(o.kind, o.kind), o.parent.name if o.parent else "", o.code,
                   o.original_affiliation, o.address, o.contact_name, o.description]

    data = workbook.write_rows("组织", headers, rows())
    events.record(actor=by, verb="dataio.exported_organizations", target=by, organization=_export_root(by),
                  payload={"kind": "organizations", "count": count})
    return data, count


MASKED_SUFFIX = "（已脱敏）"


def export_people(*, by) -> tuple[bytes, int]:
    """The people the user may see (and export), as xlsx; phone, ID number and address masked, never in full."""
    _ensure_can_export(by)
    export_orgs = Q(organization__in=_org_ids(by)) | Q(community__in=_org_ids(by)) if scope_paths(by, P.EXPORT_DATA) != ALL else Q()
    qs = (
        visible_people(by).filter(export_orgs).select_related("organization", "community", "grid")
        .select_related("party_profile__branch", "party_profile__work_unit")
        .prefetch_related(Prefetch("roles", queryset=PersonRole.objects.filter(until__isnull=True).order_by("tag"), to_attr="active"))
        .order_by("organization_id", "name", "id")
    )
    headers = ["编号"]
    for c in PEOPLE_COLUMNS:
        headers.append(c.header + MASKED_SUFFIX if c.key in ("phone", "id_number", "address") else c.header)
    count = 0

    def rows():
        nonlocal count
        for p in qs.iterator(chunk_size=2000):
            count += 1
            prof = getattr(p, "party_profile", None)  # a missing one-to-one raises an AttributeError subclass
            tags = "、".join(ROLE_TAG_LABELS.get(r.tag, r.tag) for r in p.active)
            yield [
                p.pk, p.name, SEX_LABELS.get(p.sex, ""), p.phone_masked, p.id_number_masked, p.organization.name,
                p.community.name if p.community else "", tags, p.grid.name if p.grid else "",
                prof.branch.name if prof else "", prof.joined_on if prof and prof.joined_on else "",
                prof.full_member_on if prof and prof.full_member_on else "",
                MEMBER_STATUS_LABELS.get(prof.status, "") if prof else "",
                prof.work_unit.name if prof and prof.work_unit else "",
                p.address_masked, p.ethnicity, p.education, p.note,
            ]

    data = workbook.write_rows("人员", headers, rows())
    events.record(actor=by, verb="dataio.exported_people", target=by, organization=_export_root(by),
                  payload={"kind": "people", "count": count, "masked": ["phone", "id_number", "address"]})
    return data, count


def _org_ids(by):
    from tongxin.orgs.models import Organization

    return Organization.objects.filter(_export_orgs_q(by, "path")).values("pk")


def _export_root(by):
    from tongxin.orgs.models import Organization

    paths = scope_paths(by, P.EXPORT_DATA)
    if paths == ALL or not paths:
        return None
    return Organization.objects.filter(pk=int(paths[0].strip("/").split("/")[-1])).first()
