"""REST API of the three lists at /api/v1/lists (session or token auth; every handler calls the same
services and selectors as the pages, so refusals are the same Chinese DomainErrors).

- GET/POST  /resources                list (filters kind, status, q) / add a resource
- GET/PUT   /resources/{id}           one resource (contact masked) / change it
- POST      /resources/{id}/status    {status, reason}
- POST      /resources/{id}/reveal    the full contact phone (recorded)
- GET/POST  /needs                    list (status, urgency, q) / register a need
- GET/PUT   /needs/{id}
- POST      /needs/{id}/{action}      confirm | dismiss | close   {reason}
- POST      /needs/propose            {days, threshold}: needs drawn from requests
- GET       /needs/{id}/matches       ranked resources with explanations (?k=10)
- GET/POST  /projects                 list (status, brand, q) / propose (create_project)
- GET/PATCH /projects/{id}            one project with milestones, outcomes and timeline / change it
- POST      /projects/{id}/act/{action}  approve | reject | start | complete | evaluate (JSON or multipart with photos)
- POST      /projects/{id}/milestones {title, due_on};  POST /milestones/{id}/done
- GET/POST  /campaigns;  GET /campaigns/{id} (with figures)
- GET/POST  /pairing-sessions;  GET /pairing-sessions/{id} (pairs with explanations)
- POST      /pairs/{id}/accept {into: project|request}  |  /pairs/{id}/reject {reason}  |  /pairs/{id}/change {resource_id}
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema, Status

from tongxin.core.errors import DomainError, NotFound
from tongxin.orgs.models import Organization

from . import matching, selectors, services, workflow
from .models import Milestone, Pair, Resource

router = Router(tags=["lists"])


def _iso(v):
    return v.isoformat() if v else None


def _ref(o):
    return {"id": o.pk, "name": getattr(o, "name", str(o))} if o is not None else None


def _org(pk, field):
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise DomainError("组织不存在", field=field)
    return org


def _alliance(request):
    a = selectors.default_alliance(request.user)
    if a is None:
        raise NotFound("您不在任何党建联盟中")
    return a


def _events(obj):
    return [{"at": _iso(e.created_at), "verb": e.verb, "label": str(e.label), "actor": e.actor_name, "reason": e.reason, "payload": e.payload}
            for e in selectors.timeline(obj)]


def resource_out(r: Resource, detail: bool = False) -> dict:
    out = {"id": r.pk, "title": r.title, "kind": r.kind, "kind_label": str(r.get_kind_display()), "unit": _ref(r.unit),
           "capacity": r.capacity, "availability": r.availability, "available": matching.describe_windows(r.availability),
           "area": _ref(r.area), "status": r.status, "contact_phone_masked": r.contact_phone_masked}
    if detail:
        out.update(description=r.description, address=r.address, lng=r.lng, lat=r.lat, conditions=r.conditions, contact_name=r.contact_name,
                   campaigns=[_ref(c) for c in r.campaigns.all()], timeline=_events(r))
    return out


def need_out(n, detail: bool = False) -> dict:
    out = {"id": n.pk, "title": n.title, "community": _ref(n.community), "quantity": n.quantity, "urgency": n.urgency, "status": n.status,
           "source": n.source, "request_count": n.request_count, "area": _ref(n.area), "category": _ref(n.category)}
    if detail:
        out.update(description=n.description, beneficiaries=n.beneficiaries, address=n.address, lng=n.lng, lat=n.lat,
                   wanted_windows=n.wanted_windows, requests=[r.tracking_number for r in n.requests.all()],
                   campaigns=[_ref(c) for c in n.campaigns.all()], timeline=_events(n))
    return out


def project_out(p, detail: bool = False) -> dict:
    out = {"id": p.pk, "title": p.title, "status": p.status, "status_label": str(p.get_status_display()), "lead_unit": _ref(p.lead_unit),
           "source": p.source, "area": _ref(p.area), "brand": p.brand, "budget": float(p.budget) if p.budget is not None else None,
           "created_at": _iso(p.created_at), "completed_at": _iso(p.completed_at)}
    if detail:
        out.update(description=p.description, participants=[_ref(o) for o in p.participants.all()],
                   needs=[{"id": n.pk, "title": n.title} for n in p.needs.all()], resources=[{"id": r.pk, "title": r.title} for r in p.resources.all()],
                   campaigns=[_ref(c) for c in p.campaigns.all()], origin=p.origin_label,
                   milestones=[{"id": m.pk, "title": m.title, "due_on": _iso(m.due_on), "done_on": _iso(m.done_on)} for m in p.milestones.all()],
                   outcome={"beneficiaries": p.beneficiaries, "text": p.outcome, "figures": p.figures,
                            "photos": [ph.image.url for ph in p.photos.all()]},
                   evaluation={"text": p.evaluation, "rating": p.rating}, actions=workflow.allowed_actions(p.status), timeline=_events(p))
    return out


def pair_out(pair) -> dict:
    return {"id": pair.pk, "need": {"id": pair.need_id, "title": pair.need.title}, "resource": {"id": pair.resource_id, "title": pair.resource.title,
            "unit": _ref(pair.resource.unit)}, "units": pair.units, "score": pair.score, "status": pair.status, "changed": pair.changed,
            "explanation": pair.explanation, "lines": matching.explanation_lines(pair.explanation),
            "outcome": {"type": pair.outcome_type.model, "id": int(pair.outcome_id)} if pair.outcome_id else None}


def _page(qs, limit, offset):
    limit = max(1, min(limit, 200))
    return qs[offset:offset + limit]


# --- resources -----------------------------------------------------------------------------------

class WindowIn(Schema):
    weekday: int
    start: str
    end: str


class ResourceIn(Schema):
    unit_id: int
    kind: str
    title: str
    description: str = ""
    capacity: int = 1
    availability: list[WindowIn] = []
    address: str = ""
    lng: float | None = None
    lat: float | None = None
    conditions: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    area_id: int | None = None
    campaign_ids: list[int] | None = None


def _save_resource(request, data: ResourceIn, resource=None):
    return services.save_resource(by=request.user, unit=_org(data.unit_id, "unit_id"), resource=resource, kind=data.kind, title=data.title,
                                  description=data.description, capacity=data.capacity, availability=[w.dict() for w in data.availability],
                                  address=data.address, lng=data.lng, lat=data.lat, conditions=data.conditions, contact_name=data.contact_name,
                                  contact_phone=data.contact_phone, area=data.area_id, campaigns=data.campaign_ids)


@router.get("/resources", response=dict)
def list_resources(request: HttpRequest, kind: str = "", status: str = "", q: str = "", limit: int = 50, offset: int = 0):
    qs = selectors.resources(request.user, kind=kind or None, status=status or None, q=q)
    return {"count": qs.count(), "items": [resource_out(r) for r in _page(qs, limit, offset)]}


@router.post("/resources", response={201: dict})
def add_resource(request: HttpRequest, data: ResourceIn):
    return Status(201, resource_out(_save_resource(request, data), True))


@router.get("/resources/{pk}", response=dict)
def get_resource(request: HttpRequest, pk: int):
    return resource_out(selectors.get_resource(request.user, pk), True)


@router.put("/resources/{pk}", response=dict)
def change_resource(request: HttpRequest, pk: int, data: ResourceIn):
    return resource_out(_save_resource(request, data, selectors.get_resource(request.user, pk)), True)


class StatusIn(Schema):
    status: str
    reason: str = ""


@router.post("/resources/{pk}/status", response=dict)
def resource_status(request: HttpRequest, pk: int, data: StatusIn):
    r = services.set_resource_status(by=request.user, resource=selectors.get_resource(request.user, pk), status=data.status, reason=data.reason)
    return resource_out(r)


@router.post("/resources/{pk}/reveal", response=dict)
def resource_reveal(request: HttpRequest, pk: int):
    return {"contact_phone": services.reveal_resource_contact(by=request.user, resource=selectors.get_resource(request.user, pk))}


# --- needs ---------------------------------------------------------------------------------------

class NeedIn(Schema):
    community_id: int
    title: str
    description: str = ""
    beneficiaries: str = ""
    quantity: int = 1
    urgency: str = "normal"
    area_id: int | None = None
    category_id: int | None = None
    address: str = ""
    lng: float | None = None
    lat: float | None = None
    wanted_windows: list[WindowIn] = []
    campaign_ids: list[int] | None = None


def _save_need(request, data: NeedIn, need=None):
    return services.save_need(by=request.user, community=_org(data.community_id, "community_id"), need=need, title=data.title,
                              description=data.description, beneficiaries=data.beneficiaries, quantity=data.quantity, urgency=data.urgency,
                              area=data.area_id, category=data.category_id, address=data.address, lng=data.lng, lat=data.lat,
                              wanted_windows=[w.dict() for w in data.wanted_windows], campaigns=data.campaign_ids)


@router.get("/needs", response=dict)
def list_needs(request: HttpRequest, status: str = "", urgency: str = "", q: str = "", limit: int = 50, offset: int = 0):
    qs = selectors.needs(request.user, status=status or None, urgency=urgency or None, q=q)
    return {"count": qs.count(), "items": [need_out(n) for n in _page(qs, limit, offset)]}


@router.post("/needs", response={201: dict})
def add_need(request: HttpRequest, data: NeedIn):
    return Status(201, need_out(_save_need(request, data), True))


class ProposeIn(Schema):
    days: int = 30
    threshold: int = 3


@router.post("/needs/propose", response=dict)
def propose_needs(request: HttpRequest, data: ProposeIn):
    made = services.propose_needs_from_requests(by=request.user, alliance=_alliance(request), days=data.days, threshold=data.threshold)
    return {"items": [need_out(n, True) for n in made]}


@router.get("/needs/{pk}", response=dict)
def get_need(request: HttpRequest, pk: int):
    return need_out(selectors.get_need(request.user, pk), True)


@router.put("/needs/{pk}", response=dict)
def change_need(request: HttpRequest, pk: int, data: NeedIn):
    return need_out(_save_need(request, data, selectors.get_need(request.user, pk)), True)


class ReasonIn(Schema):
    reason: str = ""


@router.get("/needs/{pk}/matches", response=dict)
def need_matches(request: HttpRequest, pk: int, k: int = 10):
    need = selectors.get_need(request.user, pk)
    if not selectors.can_run_matching(request.user, need):
        from tongxin.core.errors import PermissionDenied

        raise PermissionDenied("您的角色不能为这个需求配对资源")
    rows = selectors.match_need(request.user, need, k=max(1, min(k, 50)))
    return {"need": need_out(need), "weights": matching.WEIGHTS,
            "items": [{"resource": resource_out(r["resource"]), "score": round(r["score"], 4), "explanation": r["explanation"], "lines": r["lines"]}
                      for r in rows]}


@router.post("/needs/{pk}/{action}", response=dict)
def need_action(request: HttpRequest, pk: int, action: str, data: ReasonIn):
    fn = {"confirm": services.confirm_need, "dismiss": services.dismiss_need, "close": services.close_need}.get(action)
    if fn is None:
        raise DomainError(f"未知操作“{action}”（可用：confirm、dismiss、close）", field="action")
    return need_out(fn(by=request.user, need=selectors.get_need(request.user, pk), reason=data.reason))


# --- projects ------------------------------------------------------------------------------------

class ProjectIn(Schema):
    title: str
    lead_unit_id: int
    description: str = ""
    area_id: int | None = None
    source: str = "community"


class ProjectPatch(Schema):
    title: str | None = None
    description: str | None = None
    source: str | None = None
    area_id: int | None = None
    budget: float | None = None
    brand: bool | None = None
    participant_ids: list[int] | None = None
    need_ids: list[int] | None = None
    resource_ids: list[int] | None = None
    campaign_ids: list[int] | None = None


@router.get("/projects", response=dict)
def list_projects(request: HttpRequest, status: str = "", brand: bool = False, q: str = "", limit: int = 50, offset: int = 0):
    qs = selectors.projects(request.user, status=status or None, brand=brand, q=q)
    return {"count": qs.count(), "items": [project_out(p) for p in _page(qs, limit, offset)]}


@router.post("/projects", response={201: dict})
def add_project(request: HttpRequest, data: ProjectIn):
    p = services.create_project(by=request.user, alliance=_alliance(request), title=data.title, lead_unit=_org(data.lead_unit_id, "lead_unit_id"),
                                description=data.description, area=data.area_id, source=data.source)
    return Status(201, project_out(p, True))


@router.get("/projects/{pk}", response=dict)
def get_project(request: HttpRequest, pk: int):
    return project_out(selectors.get_project(request.user, pk), True)


@router.patch("/projects/{pk}", response=dict)
def change_project(request: HttpRequest, pk: int, data: ProjectPatch):
    from .models import Need

    p = selectors.get_project(request.user, pk)
    given = data.model_dump(exclude_unset=True)
    kw = {k: given[k] for k in ("title", "description", "source", "budget", "brand") if k in given}
    if "area_id" in given:
        kw["area"] = given["area_id"]
    if "participant_ids" in given:
        kw["participants"] = list(Organization.objects.filter(pk__in=given["participant_ids"] or []))
    if "need_ids" in given:
        kw["needs"] = list(Need.objects.filter(pk__in=given["need_ids"] or []))
    if "resource_ids" in given:
        kw["resources"] = list(Resource.objects.filter(pk__in=given["resource_ids"] or []))
    if "campaign_ids" in given:
        kw["campaigns"] = given["campaign_ids"] or []
    return project_out(services.update_project(by=request.user, project=p, **kw), True)


class ActIn(Schema):
    reason: str = ""
    outcome: str = ""
    beneficiaries: int | None = None
    figures: dict[str, float] | None = None
    evaluation: str = ""
    rating: int | None = None


@router.post("/projects/{pk}/act/{action}", response=dict)
def project_action(request: HttpRequest, pk: int, action: str):
    from tongxin.orders.api import read_body

    p = selectors.get_project(request.user, pk)
    data, files = read_body(request, ActIn)
    figures = {k: (int(v) if float(v).is_integer() else v) for k, v in (data.figures or {}).items()}
    p = services.transition(by=request.user, project=p, action=action, reason=data.reason, outcome=data.outcome, beneficiaries=data.beneficiaries,
                            figures=figures, photos=files, evaluation=data.evaluation, rating=data.rating)
    return project_out(p, True)


class MilestoneIn(Schema):
    title: str
    due_on: dt.date


@router.post("/projects/{pk}/milestones", response={201: dict})
def add_milestone(request: HttpRequest, pk: int, data: MilestoneIn):
    m = services.add_milestone(by=request.user, project=selectors.get_project(request.user, pk), title=data.title, due_on=data.due_on)
    return Status(201, {"id": m.pk, "title": m.title, "due_on": _iso(m.due_on)})


@router.post("/milestones/{pk}/done", response=dict)
def milestone_done(request: HttpRequest, pk: int):
    m = Milestone.objects.filter(pk=pk).first()
    if m is None:
        raise NotFound("节点不存在")
    selectors.get_project(request.user, m.project_id)
    m = services.complete_milestone(by=request.user, milestone=m)
    return {"id": m.pk, "done_on": _iso(m.done_on)}


# --- campaigns -----------------------------------------------------------------------------------

class CampaignIn(Schema):
    name: str
    description: str = ""
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


@router.get("/campaigns", response=dict)
def list_campaigns(request: HttpRequest):
    return {"items": [{"id": c.pk, "name": c.name, "active": c.active} for c in selectors.campaigns(request.user)]}


@router.post("/campaigns", response={201: dict})
def add_campaign(request: HttpRequest, data: CampaignIn):
    c = services.save_campaign(by=request.user, alliance=_alliance(request), name=data.name, description=data.description,
                               starts_on=data.starts_on, ends_on=data.ends_on)
    return Status(201, {"id": c.pk, "name": c.name})


@router.get("/campaigns/{pk}", response=dict)
def get_campaign(request: HttpRequest, pk: int):
    c = selectors.get_campaign(request.user, pk)
    return {"id": c.pk, "name": c.name, "description": c.description, "starts_on": _iso(c.starts_on), "ends_on": _iso(c.ends_on),
            "figures": selectors.campaign_figures(c)}


# --- pairing sessions ----------------------------------------------------------------------------

class SessionIn(Schema):
    title: str = ""
    k: int = 5


@router.get("/pairing-sessions", response=dict)
def list_sessions(request: HttpRequest):
    return {"items": [{"id": s.pk, "title": str(s), "created_at": _iso(s.created_at), "total_score": s.total_score, "stats": s.stats}
                      for s in selectors.sessions(request.user)]}


@router.post("/pairing-sessions", response={201: dict})
def run_session(request: HttpRequest, data: SessionIn):
    s = services.run_pairing_session(by=request.user, alliance=_alliance(request), title=data.title, k=data.k)
    return Status(201, get_session(request, s.pk))


@router.get("/pairing-sessions/{pk}", response=dict)
def get_session(request: HttpRequest, pk: int):
    s = selectors.get_session(request.user, pk)
    return {"id": s.pk, "title": str(s), "total_score": s.total_score, "stats": s.stats,
            "pairs": [pair_out(p) for p in selectors.session_pairs(request.user, s)]}


class PairIn(Schema):
    into: str = "project"
    reason: str = ""
    resource_id: int | None = None


def _pair(request, pk) -> Pair:
    pair = Pair.objects.filter(pk=pk).select_related("session", "need", "need__community", "resource", "resource__unit").first()
    if pair is None:
        raise NotFound("配对不存在")
    selectors.get_session(request.user, pair.session_id)
    return pair


@router.post("/pairs/{pk}/{action}", response=dict)
def pair_action(request: HttpRequest, pk: int, action: str, data: PairIn):
    pair = _pair(request, pk)
    if action == "accept":
        services.accept_pair(by=request.user, pair=pair, into=data.into, reason=data.reason)
    elif action == "reject":
        services.reject_pair(by=request.user, pair=pair, reason=data.reason)
    elif action == "change":
        resource = Resource.objects.filter(pk=data.resource_id or 0).first()
        if resource is None:
            raise DomainError("请选择资源", field="resource_id")
        services.change_pair(by=request.user, pair=pair, resource=resource, reason=data.reason)
    else:
        raise DomainError(f"未知操作“{action}”（可用：accept、reject、change）", field="action")
    pair.refresh_from_db()
    return pair_out(pair)
