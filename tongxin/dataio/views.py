"""Import/export pages. Thin: parse input, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongxin.core.errors import DomainError, NotFound

from . import selectors, services, workbook
from .models import ImportKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_PER_PAGE = 100
FILE_NAMES = {"organizations": "组织", "people": "人员"}


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=\"{quote(filename)}\"; filename*=UTF-8''{quote(filename)}"
    return response


def _ensure_any(user):
    if not (selectors.can_import(user) or selectors.can_export(user)):
        raise DjangoPermissionDenied(_("Your role cannot import or export data."))


def _index_context(request, **extra):
    user = request.user
    ctx = {
        "nav_active": "data",
        "kinds": ImportKind.choices,
        "can_import": selectors.can_import(user),
        "can_export": selectors.can_export(user),
        "jobs": selectors.recent_jobs(user),
        "max_rows": services.workbook.settings.IMPORT_MAX_ROWS,
        "max_mb": services.workbook.settings.IMPORT_MAX_BYTES // (1024 * 1024),
        "selected_kind": request.POST.get("kind") or request.GET.get("kind") or ImportKind.PEOPLE,
    }
    ctx.update(extra)
    return ctx


@login_required
def index(request):
    _ensure_any(request.user)
    return render(request, "dataio/index.html", _index_context(request))


@login_required
@require_POST
def upload(request):
    _ensure_any(request.user)
    try:
        job = services.create_job(by=request.user, kind=request.POST.get("kind", ""), upload=request.FILES.get("file"))
    except DomainError as exc:
        return render(request, "dataio/index.html", _index_context(request, upload_error=exc.message), status=400)
    return redirect("dataio:job", pk=job.pk)


def _job(request, pk):
    try:
        return selectors.get_job(request.user, pk)
    except NotFound:
        raise Http404 from None


def _job_context(request, job):
    page = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    return {"nav_active": "data", "job": job, "page": page, "can_confirm": job.status == "validated"}


@login_required
def job_detail(request, pk):
    job = _job(request, pk)
    ctx = _job_context(request, job)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "dataio/_job.html", ctx)
    return render(request, "dataio/job.html", ctx)


@login_required
@require_POST
def job_confirm(request, pk):
    job = _job(request, pk)
    try:
        services.confirm(job=job, by=request.user)
    except DomainError as exc:
        if request.htmx:
            ctx = _job_context(request, job)
            ctx["confirm_error"] = exc.message
            return render(request, "dataio/_job.html", ctx, status=400)
        messages.error(request, exc.message)
    job.refresh_from_db()
    if request.htmx:
        return render(request, "dataio/_job.html", _job_context(request, job))
    return redirect("dataio:job", pk=job.pk)


@login_required
def template_download(request, kind):
    if kind not in ImportKind.values:
        raise Http404
    return xlsx_response(workbook.build_template(kind), f"同心{FILE_NAMES[kind]}导入模板.xlsx")


@login_required
@require_POST
def export(request, kind):
    if kind not in ImportKind.values:
        raise Http404
    try:
        data, _count = (services.export_people if kind == "people" else services.export_organizations)(by=request.user)
    except DomainError as exc:
        raise DjangoPermissionDenied(exc.message) from None
    return xlsx_response(data, f"同心{FILE_NAMES[kind]}导出-{timezone.localdate():%Y%m%d}.xlsx")
