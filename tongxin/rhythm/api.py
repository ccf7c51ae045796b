"""The alliance's rhythm API (/api/v1/rhythm): the same selectors and services as the pages.

- GET  /prompts?period=YYYY-MM          prompts the user may see (liaisons: their unit's; reviewers: their scope)
- GET  /prompts/{id}                    one prompt with its sections and delivery status per recipient and channel
- GET  /prompts/preview?unit_id=&period= what the unit's prompt lists now (nothing saved or sent)
- POST /prompts/generate {alliance_id, period}   make and send the month's prompts (alliance admin); idempotent
- GET  /reviews?alliance_id=            stored quarterly reviews        POST /reviews {alliance_id, quarter}  generate
- GET  /reviews/{id}                    the review's figures (JSON snapshot, cut to the reader's scope)
- GET  /reviews/{id}/pdf                the PDF
- GET  /settings?alliance_id=           PUT /settings {alliance_id, ...}   the alliance's rhythm settings
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from ninja import Router, Schema, Status

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import DomainError, NotFound, PermissionDenied
from tongxin.orgs.models import Alliance, Organization

from . import periods, selectors, services
from .models import Prompt, Review, RhythmSettings

router = Router(tags=["rhythm"])


def _alliance(pk) -> Alliance:
    alliance = Alliance.objects.select_related("core_organization").filter(pk=pk).first() if pk else None
    if alliance is None:
        raise NotFound(f"联盟 {pk} 不存在", field="alliance_id")
    return alliance


def _iso(value):
    return value.isoformat() if value else None


def prompt_out(p: Prompt, *, full: bool = False) -> dict:
    out = {"id": p.pk, "alliance_id": p.alliance_id, "unit": {"id": p.unit_id, "name": p.unit.name}, "period": p.period,
           "title": p.title, "item_count": p.item_count, "recipient_count": p.recipient_count, "created_at": _iso(p.created_at)}
    if full:
        from tongxin.notify.models import Notification

        out["content"] = p.content
        out["sections"] = p.items.get("sections", [])
        out["deliveries"] = [{"recipient": str(n.recipient) if n.recipient_id else None, "channel": n.channel, "status": n.status,
                              "attempts": n.attempts, "sent_at": _iso(n.sent_at), "last_error": n.last_error}
                             for n in Notification.objects.filter(dedupe_key=p.dedupe_key).select_related("recipient")
                             .order_by("recipient_id", "channel")]
    return out


def review_out(r: Review) -> dict:
    return {"id": r.pk, "alliance_id": r.alliance_id, "quarter": r.quarter, "starts_on": _iso(r.starts_on), "ends_on": _iso(r.ends_on),
            "generated_at": _iso(r.generated_at), "generated_by": str(r.generated_by) if r.generated_by_id else None,
            "pdf_bytes": r.pdf_size, "pdf_url": f"/api/v1/rhythm/reviews/{r.pk}/pdf"}


def settings_out(s: RhythmSettings) -> dict:
    return {"alliance_id": s.alliance_id, "prompts_enabled": s.prompts_enabled, "prompt_day": s.prompt_day,
            "prompt_time": s.prompt_time.strftime("%H:%M") if hasattr(s.prompt_time, "strftime") else str(s.prompt_time)[:5],
            "channels": s.channels, "extra_recipients": [u.pk for u in s.extra_recipients.all()],
            "reviews_enabled": s.reviews_enabled, "review_day": s.review_day,
            "review_time": s.review_time.strftime("%H:%M") if hasattr(s.review_time, "strftime") else str(s.review_time)[:5],
            "review_recipients": [u.pk for u in s.review_recipients.all()]}


class GenerateIn(Schema):
    alliance_id: int
    period: str = ""


class ReviewIn(Schema):
    alliance_id: int
    quarter: str = ""


class SettingsIn(Schema):
    alliance_id: int
    prompts_enabled: bool | None = None
    prompt_day: int | None = None
    prompt_time: str | None = None
    channels: list[str] | None = None
    extra_recipients: list[int] | None = None
    reviews_enabled: bool | None = None
    review_day: int | None = None
    review_time: str | None = None
    review_recipients: list[int] | None = None
    reason: str = ""


@router.get("/prompts", response=dict)
def list_prompts(request: HttpRequest, period: str = "", limit: int = 50, offset: int = 0):
    qs = selectors.visible_prompts(request.user)
    if period:
        periods.month_bounds(period)
        qs = qs.filter(period=period)
    limit = max(1, min(limit, 200))
    return {"count": qs.count(), "items": [prompt_out(p) for p in qs[offset:offset + limit]]}


@router.get("/prompts/preview", response=dict)
def preview(request: HttpRequest, unit_id: int, period: str = ""):
    unit = Organization.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在", field="unit_id")
    return services.preview_prompt(unit=unit, period=period or periods.month_of(periods.today()), by=request.user)


@router.post("/prompts/generate", response=dict)
def generate(request: HttpRequest, payload: GenerateIn):
    return services.generate_prompts(alliance=_alliance(payload.alliance_id),
                                     period=payload.period or periods.month_of(periods.today()), by=request.user)


@router.get("/prompts/{pk}", response=dict)
def get_prompt(request: HttpRequest, pk: int):
    p = selectors.visible_prompts(request.user).filter(pk=pk).first()
    if p is None:
        raise NotFound("提示不存在或不在您的权限范围内")
    return prompt_out(p, full=True)


@router.get("/reviews", response=dict)
def list_reviews(request: HttpRequest, alliance_id: int | None = None, quarter: str = ""):
    qs = selectors.visible_reviews(request.user)
    if alliance_id:
        qs = qs.filter(alliance_id=alliance_id)
    if quarter:
        qs = qs.filter(quarter=quarter.upper())
    return {"count": qs.count(), "items": [review_out(r) for r in qs[:100]]}


@router.post("/reviews", response={201: dict})
def create_review(request: HttpRequest, payload: ReviewIn):
    review = services.generate_review(alliance=_alliance(payload.alliance_id),
                                      quarter=payload.quarter or periods.previous_quarter(periods.today()), by=request.user)
    return Status(201, {**review_out(review), "figures": review.figures})


@router.get("/reviews/{pk}", response=dict)
def get_review(request: HttpRequest, pk: int):
    review = selectors.get_review(request.user, pk)
    return {**review_out(review), "figures": selectors.scoped_figures(request.user, review)}


@router.get("/reviews/{pk}/pdf")
def review_pdf(request: HttpRequest, pk: int):
    review = selectors.get_review(request.user, pk)
    if not selectors.sees_whole_alliance(request.user, review.alliance):
        raise PermissionDenied("PDF 包含整个联盟的数字，只有能查看整个联盟调度报告的人可以下载")
    review = services.ensure_pdf(review)
    return FileResponse(review.pdf.open("rb"), as_attachment=True, filename=f"tongxin-review-{review.quarter}.pdf",
                        content_type="application/pdf")


@router.get("/settings", response=dict)
def get_settings(request: HttpRequest, alliance_id: int):
    alliance = _alliance(alliance_id)
    if not has_perm(request.user, P.MANAGE_RHYTHM, alliance.core_organization):
        raise PermissionDenied("只有联盟管理员可以查看提示与调度设置")
    return settings_out(selectors.settings_for(alliance))


@router.put("/settings", response=dict)
def put_settings(request: HttpRequest, payload: SettingsIn):
    data = {k: v for k, v in payload.dict().items() if v is not None and k not in ("alliance_id", "reason")}
    if not data:
        raise DomainError("没有要修改的设置", field="alliance_id")
    s = services.save_settings(alliance=_alliance(payload.alliance_id), by=request.user, reason=payload.reason, **data)
    return settings_out(s)
