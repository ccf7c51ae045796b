"""Agreements API (/api/v1/agreements): the same selectors and services as the pages.

- GET    /                         scoped list (kind, status, party_id, expiring, q, limit, offset)
- POST   /                         create a draft (JSON)                 GET /{id}  detail: parties, obligations, dues, fulfilments, timeline
- PATCH  /{id}                     edit (title, number, summary, signed_on; the term only in a draft)
- POST   /{id}/activate            draft → in force                      POST /{id}/terminate {reason, on}
- POST   /{id}/scan                multipart `scan` (PDF or image)       GET /{id}/scan  the file (in scope only)
- POST   /{id}/parties             {organization_id, role, signatory}    DELETE /{id}/parties/{organization_id}
- POST   /{id}/obligations         {title, debtor_id, recurrence, due_on, area_id, description}
- DELETE /obligations/{id}         (draft only)
- POST   /obligations/{id}/fulfilments   JSON {note, done_on, due_id} or multipart with `photos` (≤6) and `attachment`
- GET    /mine                     open due dates of what the caller's unit owes
- GET    /due?organization_id=&start=&end=   obligations_due_for() of an organisation in scope
- GET    /expiring?within_days=60  expiring_agreements() of the caller's alliance
- GET    /areas, POST /areas {name, code}     co-building areas
- GET    /segments (GeoJSON)  POST /segments {unit_id, name, geometry, buffer_m}  POST /segments/import (multipart `file`, unit_id)
- DELETE /segments/{id}?reason=    release                               GET /adopter?lng=&lat=  who keeps that point
"""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import DomainError, NotFound, PermissionDenied
from tongxin.orders.api import read_body
from tongxin.orgs.models import CoBuildingArea, Organization

from . import selectors, services, workflow
from .models import Agreement, ObligationDue

router = Router(tags=["governance"])


class AgreementIn(Schema):
    kind: str
    title: str
    starts_on: dt.date
    ends_on: dt.date
    signed_on: dt.date | None = None
    organization_id: int | None = None
    party_ids: list[int] = []
    number: str = ""
    summary: str = ""
    reason: str = ""


class AgreementPatch(Schema):
    title: str | None = None
    number: str | None = None
    summary: str | None = None
    signed_on: dt.date | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    reason: str = ""


class TerminateIn(Schema):
    reason: str = ""
    on: dt.date | None = None


class PartyIn(Schema):
    organization_id: int
    role: str = ""
    signatory: str = ""


class ObligationIn(Schema):
    title: str
    debtor_id: int
    recurrence: str = "once"
    due_on: dt.date | None = None
    area_id: int | None = None
    description: str = ""


class FulfilmentIn(Schema):
    note: str = ""
    done_on: dt.date | None = None
    due_id: int | None = None


class AreaIn(Schema):
    name: str
    code: str = ""
    reason: str = ""


class SegmentIn(Schema):
    unit_id: int
    name: str
    geometry: dict | str
    buffer_m: int = 30
    agreement_id: int | None = None


def _iso(v):
    return v.isoformat() if v else None


def _ref(o):
    return {"id": o.pk, "name": o.name} if o is not None else None


def _org(pk, field) -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk, archived_at__isnull=True).first()
    if org is None:
        raise DomainError(f"组织 {pk} 不存在", field=field)
    return org


def _alliance(request):
    from .views import alliance_of

    alliance = alliance_of(request.user)
    if alliance is None:
        raise PermissionDenied("您不在任何党建联盟中")
    return alliance


def summary(ag: Agreement) -> dict:
    return {"id": ag.pk, "kind": ag.kind, "kind_label": str(ag.get_kind_display()), "title": ag.title, "number": ag.number,
            "status": ag.status, "effective_status": workflow.effective_status(ag, timezone.localdate()),
            "starts_on": _iso(ag.starts_on), "ends_on": _iso(ag.ends_on), "signed_on": _iso(ag.signed_on),
            "organization": _ref(ag.organization), "has_scan": bool(ag.scan)}


def _due(d: ObligationDue) -> dict:
    return {"id": d.pk, "due_on": _iso(d.due_on), "fulfilment_id": d.fulfilment_id}


def detail(ag: Agreement) -> dict:
    out = summary(ag)
    out.update({
        "summary": ag.summary, "terminated_on": _iso(ag.terminated_on), "termination_reason": ag.termination_reason,
        "scan": {"name": ag.scan_name, "type": ag.scan_type, "size": ag.scan_size, "url": f"/api/v1/agreements/{ag.pk}/scan"} if ag.scan else None,
        "parties": [{"organization": _ref(p.organization), "role": p.role, "signatory": p.signatory} for p in selectors.parties(ag)],
        "obligations": [{
            "id": r["obligation"].pk, "title": r["obligation"].title, "debtor": _ref(r["obligation"].debtor),
            "area": _ref(r["obligation"].area), "recurrence": r["obligation"].recurrence, "due_on": _iso(r["obligation"].due_on),
            "done": r["done"], "total": r["total"], "overdue": [_iso(d.due_on) for d in r["overdue"]],
            "dues": [_due(d) for d in r["dues"]],
            "fulfilments": [{"id": f.pk, "done_on": _iso(f.done_on), "note": f.note, "recorded_by": f.recorded_by_label,
                             "due_on": _iso(f.due.due_on) if getattr(f, "due", None) else None,
                             "photos": [f"/agreements/photos/{p.pk}/" for p in f.photos.all()],
                             "attachment": f"/agreements/fulfilments/{f.pk}/file/" if f.attachment else None} for f in r["fulfilments"]],
        } for r in selectors.obligations(ag)],
        "timeline": [{"at": _iso(e.created_at), "verb": e.verb, "actor": e.actor_label, "note": e.note, "payload": e.payload}
                     for e in selectors.timeline(ag)],
    })
    return out


def _get(request, pk) -> Agreement:
    return selectors.get_agreement(request.user, pk)


def _due_row(r: dict) -> dict:
    return {"due_id": r["due"].pk, "due_on": _iso(r["due_on"]), "overdue": r["overdue"], "obligation": {
        "id": r["obligation"].pk, "title": r["obligation"].title, "debtor": _ref(r["obligation"].debtor)},
        "agreement": {"id": r["agreement"].pk, "title": r["agreement"].title}}


# --- agreements --------------------------------------------------------------------------------

@router.get("/", response=dict)
def list_agreements(request: HttpRequest, kind: str = "", status: str = "", party_id: int | None = None, expiring: int | None = None,
                    q: str = "", limit: int = 50, offset: int = 0):
    qs = selectors.search_agreements(request.user, kind=kind, status=status, party=_org(party_id, "party_id"), expiring_days=expiring, q=q)
    limit = max(1, min(limit, 200))
    return {"count": qs.count(), "items": [summary(a) for a in qs[offset:offset + limit]]}


@router.post("/", response={201: dict})
def create_agreement(request: HttpRequest, payload: AgreementIn):
    parties = [_org(pk, "party_ids") for pk in payload.party_ids]
    ag = services.create_agreement(by=request.user, alliance=_alliance(request), kind=payload.kind, title=payload.title,
                                   starts_on=payload.starts_on, ends_on=payload.ends_on, signed_on=payload.signed_on,
                                   organization=_org(payload.organization_id, "organization_id"), parties=parties,
                                   number=payload.number, summary=payload.summary, reason=payload.reason)
    return Status(201, detail(ag))


@router.get("/mine", response=dict)
def mine(request: HttpRequest):
    return {"items": [_due_row(r) for r in selectors.my_obligations(request.user)]}


@router.get("/due", response=dict)
def due_for(request: HttpRequest, organization_id: int, start: dt.date, end: dt.date):
    org = _org(organization_id, "organization_id")
    if not has_perm(request.user, P.VIEW_AGREEMENTS, org):
        raise NotFound("组织不存在或不在您的权限范围内")
    if end < start:
        raise DomainError("结束日期早于开始日期", field="end")
    return {"items": [_due_row(r) for r in selectors.obligations_due_for(org, start=start, end=end)]}


@router.get("/expiring", response=dict)
def expiring(request: HttpRequest, within_days: int = 60):
    if not has_perm(request.user, P.VIEW_AGREEMENTS):
        raise PermissionDenied("您的角色不能查看共建协议")
    if not 0 <= within_days <= 3660:
        raise DomainError("天数应在 0 到 3660 之间", field="within_days")
    visible = selectors.visible_agreements(request.user).values("pk")
    qs = selectors.expiring_agreements(_alliance(request), within_days=within_days).filter(pk__in=visible)
    return {"items": [summary(a) for a in qs]}


@router.get("/areas", response=dict)
def areas(request: HttpRequest):
    from tongxin.orgs.services import ensure_cobuilding_areas

    return {"items": [{"id": a.pk, "code": a.code, "name": a.name} for a in ensure_cobuilding_areas(_alliance(request))]}


@router.post("/areas", response={201: dict})
def add_area(request: HttpRequest, payload: AreaIn):
    a = services.add_area(alliance=_alliance(request), by=request.user, name=payload.name, code=payload.code, reason=payload.reason)
    return Status(201, {"id": a.pk, "code": a.code, "name": a.name})


@router.get("/{int:pk}", response=dict)
def get_agreement(request: HttpRequest, pk: int):
    return detail(_get(request, pk))


@router.patch("/{int:pk}", response=dict)
def patch_agreement(request: HttpRequest, pk: int, payload: AgreementPatch):
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    ag = services.update_agreement(agreement=_get(request, pk), by=request.user, reason=reason, **data)
    return detail(ag)


@router.post("/{int:pk}/activate", response=dict)
def activate(request: HttpRequest, pk: int):
    return detail(services.activate(agreement=_get(request, pk), by=request.user))


@router.post("/{int:pk}/terminate", response=dict)
def terminate(request: HttpRequest, pk: int, payload: TerminateIn):
    return detail(services.terminate(agreement=_get(request, pk), by=request.user, reason=payload.reason, on=payload.on))


@router.post("/{int:pk}/scan", response=dict)
def upload_scan(request: HttpRequest, pk: int):
    return detail(services.attach_scan(agreement=_get(request, pk), by=request.user, upload=request.FILES.get("scan")))


@router.get("/{int:pk}/scan")
def download_scan(request: HttpRequest, pk: int):
    ag = _get(request, pk)
    if not ag.scan:
        raise NotFound("该协议还没有上传扫描件")
    resp = FileResponse(ag.scan.open("rb"), content_type=ag.scan_type or "application/octet-stream", filename=ag.scan_name)
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@router.post("/{int:pk}/parties", response={201: dict})
def add_party(request: HttpRequest, pk: int, payload: PartyIn):
    ag = _get(request, pk)
    services.add_party(agreement=ag, by=request.user, organization=_org(payload.organization_id, "organization_id"),
                       role=payload.role, signatory=payload.signatory)
    return Status(201, detail(ag))


@router.delete("/{int:pk}/parties/{int:org_id}", response=dict)
def remove_party(request: HttpRequest, pk: int, org_id: int):
    ag = _get(request, pk)
    services.remove_party(agreement=ag, by=request.user, organization=_org(org_id, "organization_id"))
    return detail(ag)


@router.post("/{int:pk}/obligations", response={201: dict})
def add_obligation(request: HttpRequest, pk: int, payload: ObligationIn):
    ag = _get(request, pk)
    area = None
    if payload.area_id is not None:
        area = CoBuildingArea.objects.filter(pk=payload.area_id).first()
        if area is None:
            raise DomainError(f"共建领域 {payload.area_id} 不存在", field="area_id")
    ob = services.add_obligation(agreement=ag, by=request.user, title=payload.title, debtor=_org(payload.debtor_id, "debtor_id"),
                                 recurrence=payload.recurrence, due_on=payload.due_on, area=area, description=payload.description)
    return Status(201, {"id": ob.pk, "title": ob.title, "dues": [_due(d) for d in ob.dues.all()]})


@router.delete("/obligations/{int:pk}", response=dict)
def remove_obligation(request: HttpRequest, pk: int):
    ob = selectors.get_obligation(request.user, pk)
    services.remove_obligation(obligation=ob, by=request.user)
    return {"ok": True}


@router.post("/obligations/{int:pk}/fulfilments", response={201: dict})
def record_fulfilment(request: HttpRequest, pk: int):
    ob = selectors.get_obligation(request.user, pk)
    payload, photos = read_body(request, FulfilmentIn)
    due = None
    if payload.due_id is not None:
        due = ObligationDue.objects.filter(pk=payload.due_id).first()
        if due is None:
            raise DomainError(f"期次 {payload.due_id} 不存在", field="due_id")
    f = services.record_fulfilment(obligation=ob, by=request.user, note=payload.note, done_on=payload.done_on, due=due, photos=photos,
                                   attachment=request.FILES.get("attachment"))
    return Status(201, {"id": f.pk, "done_on": _iso(f.done_on), "due_on": _iso(f.due.due_on), "photos": f.photos.count(),
                        "attachment": bool(f.attachment)})


# --- road segments -----------------------------------------------------------------------------

@router.get("/segments", response=dict)
def segments(request: HttpRequest):
    return selectors.segment_features(selectors.visible_segments(request.user))


@router.post("/segments", response={201: dict})
def create_segment(request: HttpRequest, payload: SegmentIn):
    agreement = None
    if payload.agreement_id is not None:
        agreement = selectors.get_agreement(request.user, payload.agreement_id)
    seg = services.create_segment(by=request.user, alliance=_alliance(request), unit=_org(payload.unit_id, "unit_id"), name=payload.name,
                                  geometry=payload.geometry, buffer_m=payload.buffer_m, agreement=agreement)
    return Status(201, selectors.segment_features([seg])["features"][0])


@router.post("/segments/import", response={201: dict})
def import_segments(request: HttpRequest):
    upload = request.FILES.get("file")
    if upload is None:
        raise DomainError("请上传 GeoJSON 文件（字段 file）", field="file")
    unit = _org(int(request.POST["unit_id"]) if request.POST.get("unit_id", "").isdigit() else None, "unit_id")
    if unit is None:
        raise DomainError("请提供认领单位（unit_id）", field="unit_id")
    segs = services.import_segments(by=request.user, alliance=_alliance(request), unit=unit, data=upload,
                                    buffer_m=request.POST.get("buffer_m") or 30)
    return Status(201, selectors.segment_features(segs))


@router.delete("/segments/{int:pk}", response=dict)
def release_segment(request: HttpRequest, pk: int, reason: str = ""):
    seg = services.release_segment(segment=selectors.get_segment(request.user, pk), by=request.user, reason=reason)
    return {"id": seg.pk, "active": seg.active}


@router.get("/adopter", response=dict)
def adopter(request: HttpRequest, lng: float, lat: float):
    from tongxin.grids.selectors import parse_point

    lng, lat = parse_point(lng, lat)
    hit = selectors.adopter_at(alliance=_alliance(request), lng=lng, lat=lat)
    if hit is None:
        return {"unit": None, "segment": None}
    unit, seg = hit
    return {"unit": _ref(unit), "segment": {"id": seg.pk, "name": seg.name}}
