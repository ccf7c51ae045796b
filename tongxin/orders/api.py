"""Orders API (/api/v1/orders): the same selectors and services as the pages.

- POST /                    submit; send an `Idempotency-Key` header so a retry makes no second request
                            (JSON, or multipart/form-data with the same fields and up to 6 files in `photos`)
- GET  /                    scoped list (masked contact)            GET /{id}  detail with timeline
- POST /{id}/{action}       inquire, dispatch, post, claim, accept, decline, progress, complete,
                            rate, publish, cancel, merge            POST /{id}/reveal  full phone (logged)
                            (progress and complete also take multipart/form-data with `photos`)

Photos go through the same checks as the pages (images.clean_image: type, size, pixel count,
re-encoded as JPEG without EXIF); a refused file is a 400 naming it, and nothing is saved.
- GET  /track/{number}      public status of one request (no personal data)
- GET  /wall, /wishes       public results wall and micro-wish wall
- GET  /figures             the three rates and the on-time rate, per unit or community and month
- GET  /categories          the categories of an alliance
"""

from __future__ import annotations

import json

import pydantic
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import ValidationError

from tongxin.core.errors import DomainError, NotFound
from tongxin.orgs.models import Organization

from . import memo, selectors, services, workflow
from .models import Category, Channel, Kind, ServiceRequest

router = Router(tags=["orders"])


class SubmitIn(Schema):
    text: str
    kind: str = Kind.SERVICE
    title: str = ""
    community_id: int | None = None
    category_id: int | None = None
    grid_id: int | None = None
    lng: float | None = None
    lat: float | None = None
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    channel: str = Channel.API


class ActionIn(Schema):
    note: str = ""
    reason: str = ""
    result: str = ""
    unit_id: int | None = None
    category_id: int | None = None
    use_suggestion: bool = False
    rating: int | None = None
    comment: str = ""
    key: str = ""
    public_text: str = ""
    into_id: int | None = None


_EMPTY_IS_NONE = {"community_id", "category_id", "grid_id", "lng", "lat", "unit_id", "rating", "into_id"}
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def read_body(request: HttpRequest, schema: type[Schema]) -> tuple[Schema, list]:
    """The payload as `schema` and the uploaded photos, from a JSON body or a multipart form."""
    if (request.content_type or "") in _FORM_TYPES:
        raw = {k: v for k, v in request.POST.items() if not (k in _EMPTY_IS_NONE and v == "")}
        files = request.FILES.getlist("photos")
    else:
        try:
            raw = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationError([{"loc": ["body"], "msg": "请求体不是有效的 JSON", "type": "json_invalid"}]) from None
        if not isinstance(raw, dict):
            raise ValidationError([{"loc": ["body"], "msg": "请求体应为 JSON 对象", "type": "dict_type"}])
        files = []
    try:
        data = schema.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ValidationError([{**e, "loc": ["body", *e["loc"]]} for e in exc.errors(include_url=False, include_context=False)]) from None
    return data, files


def _body_doc(schema: type[Schema]) -> dict:
    """OpenAPI: the same fields as JSON or as a multipart form with photos."""
    fields = schema.model_json_schema()
    form = {**fields, "properties": {**fields.get("properties", {}),
                                      "photos": {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": 6}}}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": fields},
                                                          "multipart/form-data": {"schema": form}}}}


def _ref(obj):
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def _iso(value):
    return value.isoformat() if value else None


def summary(req: ServiceRequest) -> dict:
    return {
        "id": req.pk, "tracking_number": req.tracking_number, "kind": req.kind, "status": req.status,
        "status_label": str(req.get_status_display()), "title": req.display_title,
        "category": _ref(req.category), "suggested_category": _ref(req.suggested_category),
        "community": _ref(req.community), "assigned_unit": _ref(req.assigned_unit),
        "contact_name": (req.contact_name[:1] + "*" * (len(req.contact_name) - 1)) if req.contact_name else "",
        "contact_phone_masked": req.contact_phone_masked,
        "created_at": _iso(req.created_at), "accept_due_at": _iso(req.accept_due_at), "finish_due_at": _iso(req.finish_due_at),
        "escalation_level": req.escalation_level, "rating": req.rating,
    }


def detail(req: ServiceRequest, user, key: str = "") -> dict:
    out = summary(req)
    out.update({
        "text": req.text, "address": req.address, "grid": _ref(req.grid), "lng": req.lng, "lat": req.lat,
        "channel": req.channel, "result": req.result_text, "rating_comment": req.rating_comment,
        "suggestion": req.suggestion, "reopen_count": req.reopen_count, "published": req.published,
        "merged_into": req.merged_into.tracking_number if req.merged_into_id else None,
        "photos": [{"url": p.image.url, "stage": p.stage, "width": p.width, "height": p.height} for p in req.photos.all()],
        "timeline": [_event(e) for e in selectors.timeline(req)],
        "actions": allowed_for(req, user, key),
        "can_reveal_contact": services.can_reveal(user, req),
    })
    return out


def _event(e) -> dict:
    return {"at": _iso(e.created_at), "verb": e.verb, "actor": e.actor_label, "from": e.from_status, "to": e.to_status,
            "note": e.note, "public": e.public}


def allowed_for(req, user, key: str = "") -> list[str]:
    actors = workflow.actors_of(user, req, key)
    return [a for a in workflow.allowed_actions(req.status, req.kind) if workflow.TRANSITIONS[req.status][a].who & actors]


def _org(pk, field):
    if pk is None:
        return None
    # Memoised like the categories (memo.py): every submission names its community.
    org = memo.get(("org", pk), lambda: Organization.objects.filter(pk=pk, archived_at__isnull=True).first())
    if org is None:
        raise DomainError(f"组织 {pk} 不存在", field=field)
    return org


def _category(pk, field="category_id"):
    if pk is None:
        return None
    cat = Category.objects.filter(pk=pk).first()
    if cat is None:
        raise DomainError(f"分类 {pk} 不存在", field=field)
    return cat


@router.post("/", response={201: dict}, openapi_extra=_body_doc(SubmitIn))
def submit(request: HttpRequest):
    from tongxin.grids.models import Grid

    payload, photos = read_body(request, SubmitIn)
    grid = None
    if payload.grid_id is not None:
        grid = Grid.objects.filter(pk=payload.grid_id).first()
        if grid is None:
            raise DomainError(f"网格 {payload.grid_id} 不存在", field="grid_id")
    req = services.submit_request(
        by=request.user, text=payload.text, kind=payload.kind, title=payload.title,
        community=_org(payload.community_id, "community_id"), category=_category(payload.category_id), grid=grid,
        lng=payload.lng, lat=payload.lat, address=payload.address, contact_name=payload.contact_name,
        contact_phone=payload.contact_phone, channel=payload.channel, photos=photos,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    out = summary(req)
    if req.submitter_id == request.user.pk:
        out["access_key"] = req.access_key  # lets the submitter's own app follow and rate it
    return Status(201, out)


LIST_COUNT_CAP = 10_000


@router.get("/", response=dict, description="Requests the caller may see, newest first. `count` is exact up to 10,000; "
                                            "above that it is 10,000 and `count_capped` is true (page with limit and offset).")
def list_requests(request: HttpRequest, status: str = "", kind: str = "", q: str = "", mine: bool = False,
                  limit: int = 50, offset: int = 0):
    qs = selectors.my_requests(request.user) if mine else selectors.visible_requests(request.user)
    qs = selectors._filter(qs, status=status.split(",") if status else "", kind=kind, q=q).order_by("-created_at", "-id")
    limit = max(1, min(limit, 200))
    items = list(qs[offset:offset + limit])
    # Counted up to LIST_COUNT_CAP: an exact count of a street's year (125,000 rows) took 190 ms.
    counted = qs.order_by().values("pk")[:LIST_COUNT_CAP + 1].count()
    return {"count": min(counted, LIST_COUNT_CAP), "count_capped": counted > LIST_COUNT_CAP, "items": [summary(r) for r in items]}


@router.get("/wall", response=dict, auth=None)
def wall(request: HttpRequest, community_id: int | None = None, limit: int = 20):
    community = _org(community_id, "community_id")
    rows = selectors.wall(community=community, limit=max(1, min(limit, 100)))
    from tongxin.lists.selectors import completed_projects

    return {"items": [{
        "tracking_number": r["tracking_number"], "kind": r["kind"], "text": r["public_text"],
        "category": r["category__name"], "community": r["community__name"], "unit": r["assigned_unit__name"],
        "rating": r["rating"], "published_at": _iso(r["published_at"]),
    } for r in rows], "projects": [{**p, "completed_at": _iso(p["completed_at"])} for p in completed_projects(community=community, limit=6)]}


@router.get("/wishes", response=dict, auth=None)
def wishes(request: HttpRequest, community_id: int | None = None):
    rows = selectors.wish_wall(community=_org(community_id, "community_id"))
    return {"items": [{"id": r.pk, "tracking_number": r.tracking_number, "text": services.redact(r.text, names=[r.contact_name]),
                       "community": r.community.name, "status": r.status, "claimed": r.claimed_by_id is not None,
                       "unit": getattr(r.assigned_unit, "name", "")} for r in rows]}


@router.get("/figures", response=dict)
def figures(request: HttpRequest, by: str = "unit", month: str | None = None, since: str | None = None,
            until: str | None = None):
    """month=YYYY-MM (or last12), or since/until=YYYY-MM-DD (both days included); nothing: the current month."""
    if not selectors.can_view_figures(request.user):
        from tongxin.core.errors import PermissionDenied

        raise PermissionDenied("您的角色不能查看工单统计")
    by = "community" if by == "community" else "unit"
    start, end = selectors.figure_period(month=month, since=since, until=until)  # DomainError: a 400 naming the parameter
    return {"by": by, "since": start.isoformat(), "until": end.isoformat(), "definitions": selectors.figure_definitions(by),
            "rows": selectors.figures(request.user, by=by, since=start, until=end)}


@router.get("/categories", response=list[dict], auth=None)
def categories(request: HttpRequest, alliance_id: int | None = None):
    qs = Category.objects.filter(active=True)
    if alliance_id:
        qs = qs.filter(alliance_id=alliance_id)
    return [{"id": c.pk, "code": c.code, "name": c.name, "alliance_id": c.alliance_id, "accept_hours": c.accept_hours,
             "finish_days": c.finish_days, "keywords": c.keywords} for c in qs.order_by("alliance_id", "sort")]


@router.get("/track/{number}", response=dict, auth=None)
def track(request: HttpRequest, number: str):
    req = selectors.get_by_tracking(number)
    return {"tracking_number": req.tracking_number, "kind": req.kind, "status": req.status,
            "status_label": str(req.get_status_display()), "community": req.community.name,
            "category": getattr(req.category, "name", ""), "created_at": _iso(req.created_at),
            "timeline": [{"at": _iso(e.created_at), "verb": e.verb, "to": e.to_status}
                         for e in selectors.timeline(req, public_only=True)]}


@router.get("/{int:pk}", response=dict)
def get(request: HttpRequest, pk: int):
    return detail(selectors.get_request(request.user, pk), request.user)


@router.post("/{int:pk}/reveal", response=dict)
def reveal(request: HttpRequest, pk: int, purpose: str = ""):
    req = selectors.get_request(request.user, pk)
    return {"contact_phone": services.reveal_contact(req=req, by=request.user, purpose=purpose, channel="api")}


ACTIONS = {"inquire", "dispatch", "post", "claim", "accept", "decline", "progress", "complete", "rate", "publish", "cancel", "merge"}


def run_action(req: ServiceRequest, action: str, user, data: ActionIn, photos=()) -> ServiceRequest:
    s = services
    if action == "inquire":
        return s.inquire(req=req, by=user, note=data.note)
    if action == "dispatch":
        return s.dispatch(req=req, by=user, unit=_org(data.unit_id, "unit_id"), category=_category(data.category_id),
                          note=data.note, use_suggestion=data.use_suggestion)
    if action == "post":
        return s.post_wish(req=req, by=user, note=data.note)
    if action == "claim":
        return s.claim_wish(req=req, by=user, unit=_org(data.unit_id, "unit_id"), note=data.note)
    if action == "accept":
        return s.accept(req=req, by=user, note=data.note)
    if action == "decline":
        return s.decline(req=req, by=user, reason=data.reason or data.note)
    if action == "progress":
        return s.update_progress(req=req, by=user, note=data.note, photos=photos)
    if action == "complete":
        return s.complete(req=req, by=user, result=data.result or data.note, photos=photos)
    if action == "rate":
        return s.rate(req=req, by=user, rating=data.rating, comment=data.comment, key=data.key)
    if action == "publish":
        return s.publish(req=req, by=user, public_text=data.public_text)
    if action == "cancel":
        return s.cancel(req=req, by=user, reason=data.reason or data.note, key=data.key)
    if action == "merge":
        if data.into_id is None:
            raise DomainError("请指定要合并到的工单", field="into_id")
        try:
            into = selectors.get_request(user, data.into_id)
        except NotFound:
            raise DomainError(f"工单 {data.into_id} 不存在或不在您的权限范围内", field="into_id") from None
        return s.merge(req=req, into=into, by=user, note=data.note)
    raise NotFound(f"没有“{action}”这个操作")


@router.post("/{int:pk}/{action}", response=dict, openapi_extra=_body_doc(ActionIn))
def act(request: HttpRequest, pk: int, action: str):
    if action not in ACTIONS:
        raise NotFound(f"没有“{action}”这个操作")
    payload, photos = read_body(request, ActionIn)
    if photos and action not in ("progress", "complete"):
        raise DomainError(f"“{workflow.ACTION_ZH.get(action, action)}”不能附带照片，照片只能随提交、进度更新或办结上传", field="photos")
    user = request.user
    if action == "claim":
        # Anyone who may claim sees the wish on the public wall, so it need not be in their scope.
        req = ServiceRequest.objects.filter(pk=pk, kind=Kind.WISH).select_related("community", "assigned_unit").first()
        if req is None:
            raise NotFound("心愿不存在")
    else:
        req = selectors.get_request(user, pk)
    req = run_action(req, action, user, payload, photos)
    return detail(req, user)
