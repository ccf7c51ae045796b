"""Deliberation API (/api/v1/topics): the same selectors and services as the pages.

- GET  /                         topics you may see (stage, community_id, grid_id, place, area_id, category_id, q)
- POST /                         raise a topic (JSON, or multipart/form-data with up to 6 `photos`)
- GET  /{id}                     detail: opinions, ballots with results, consultations, resolution, timeline, actions
- GET  /{id}/public              the public page's data, no login, no personal data
- POST /{id}/escalate            {to?, reason}      POST /{id}/close {reason}
- POST /{id}/resolve             {decision, kind: project|request|action_items, project|request|action_items}
- POST /{id}/opinions            {text}             POST /opinions/{id}/hide|restore {reason}
- POST /{id}/ballots             {question, options[], opens_at?, closes_at, eligibility, grid_id?, building?, secret}
- GET  /ballots/{id}             results with turnout    POST /ballots/{id}/vote {option_id}
- GET  /ballots/{id}/voters      open ballots only, moderators only   POST /ballots/{id}/end {reason}
- POST /{id}/consultations       {title, held_at, place, invitees: [{kind, person_id|organization_id|name}]}
- POST /consultations/{id}/record {summary, attendance: {invitee_id: bool}, positions: {invitee_id: text}, guests}
- GET/PUT /settings/{alliance_id} stage times;     POST /rolls {community_id, building, person_ids}
"""

from __future__ import annotations

import datetime as dt
import json

import pydantic
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import ValidationError

from tongxin.core.errors import DomainError, NotFound
from tongxin.orgs.models import Alliance, Organization

from . import selectors, services, workflow
from .models import Ballot, BallotOption, Consultation, Opinion, Stage, Topic

router = Router(tags=["deliberation"])


# --- input -------------------------------------------------------------------------------------------

class RaiseIn(Schema):
    title: str
    description: str
    community_id: int | None = None
    grid_id: int | None = None
    compound: str = ""
    building: str = ""
    area_id: int | None = None
    category_id: int | None = None


class ReasonIn(Schema):
    reason: str = ""
    to: str | None = None


class OpinionIn(Schema):
    text: str


class BallotIn(Schema):
    question: str
    options: list[str]
    closes_at: dt.datetime
    opens_at: dt.datetime | None = None
    eligibility: str = "community"
    grid_id: int | None = None
    building: str = ""
    secret: bool = True


class VoteIn(Schema):
    option_id: int


class InviteeIn(Schema):
    kind: str
    person_id: int | None = None
    organization_id: int | None = None
    name: str = ""
    position: str = ""


class ConsultationIn(Schema):
    title: str
    held_at: dt.datetime
    place: str = ""
    invitees: list[InviteeIn] = []


class RecordIn(Schema):
    summary: str
    attendance: dict[int, bool] = {}
    positions: dict[int, str] = {}
    guests: list[InviteeIn] = []


class ProjectIn(Schema):
    title: str = ""
    lead_unit_id: int | None = None
    description: str = ""
    area_id: int | None = None


class RequestIn(Schema):
    title: str = ""
    text: str = ""
    category_id: int | None = None


class ActionItemIn(Schema):
    title: str
    owner_id: int
    due_on: dt.date


class ResolveIn(Schema):
    decision: str
    kind: str
    project: ProjectIn | None = None
    request: RequestIn | None = None
    action_items: list[ActionItemIn] = []


class SettingsIn(Schema):
    online_days: int | None = None
    property_days: int | None = None
    community_days: int | None = None
    auto_escalate: bool | None = None
    reason: str = ""


class RollIn(Schema):
    community_id: int
    building: str
    person_ids: list[int]
    reason: str = ""


_EMPTY_IS_NONE = {"community_id", "grid_id", "area_id", "category_id"}


def _read_raise(request: HttpRequest) -> tuple[RaiseIn, list]:
    if (request.content_type or "") in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raw = {k: v for k, v in request.POST.items() if not (k in _EMPTY_IS_NONE and v == "")}
        files = request.FILES.getlist("photos")
    else:
        try:
            raw = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationError([{"loc": ["body"], "msg": "请求体不是有效的 JSON", "type": "json_invalid"}]) from None
        files = []
        if not isinstance(raw, dict):
            raise ValidationError([{"loc": ["body"], "msg": "请求体应为 JSON 对象", "type": "dict_type"}])
    try:
        return RaiseIn.model_validate(raw), files
    except pydantic.ValidationError as exc:
        raise ValidationError([{**e, "loc": ["body", *e["loc"]]} for e in exc.errors(include_url=False, include_context=False)]) from None


# --- look-ups ------------------------------------------------------------------------------------------

def org_or_error(pk, field):
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk, archived_at__isnull=True).first()
    if org is None:
        raise DomainError(f"组织 {pk} 不存在", field=field)
    return org


def grid_or_error(pk, field="grid_id"):
    from tongxin.grids.models import Grid

    if pk is None:
        return None
    grid = Grid.objects.filter(pk=pk).first()
    if grid is None:
        raise DomainError(f"网格 {pk} 不存在", field=field)
    return grid


def area_or_error(pk, field="area_id"):
    from tongxin.orgs.models import CoBuildingArea

    if pk is None:
        return None
    area = CoBuildingArea.objects.filter(pk=pk).first()
    if area is None:
        raise DomainError(f"共建领域 {pk} 不存在", field=field)
    return area


def category_or_error(pk, field="category_id"):
    from tongxin.orders.models import Category

    if pk is None:
        return None
    cat = Category.objects.filter(pk=pk).first()
    if cat is None:
        raise DomainError(f"分类 {pk} 不存在", field=field)
    return cat


def person_or_error(user, pk, field="person_id"):
    from tongxin.people.selectors import visible_people

    person = visible_people(user).filter(pk=pk).first()
    if person is None:
        raise DomainError(f"居民档案 {pk} 不存在或不在您的权限范围内", field=field)
    return person


def _invitee(user, row: InviteeIn) -> dict:
    return {"kind": row.kind, "name": row.name, "position": row.position,
            "person": person_or_error(user, row.person_id, "invitees") if row.person_id else None,
            "organization": org_or_error(row.organization_id, "invitees")}


def _ballot(user, pk) -> Ballot:
    ballot = Ballot.objects.select_related("topic", "grid").filter(pk=pk, topic__in=selectors.visible_topics(user)).first()
    if ballot is None:
        raise NotFound("投票不存在或不在您的权限范围内")
    return ballot


def _opinion(user, pk) -> Opinion:
    op = Opinion.objects.select_related("topic", "topic__community").filter(pk=pk, topic__in=selectors.visible_topics(user)).first()
    if op is None:
        raise NotFound("意见不存在或不在您的权限范围内")
    return op


def _consultation(user, pk) -> Consultation:
    c = Consultation.objects.select_related("topic", "topic__community").filter(pk=pk, topic__in=selectors.visible_topics(user)).first()
    if c is None:
        raise NotFound("协商会不存在或不在您的权限范围内")
    return c


# --- output --------------------------------------------------------------------------------------------

def _ref(obj):
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def _iso(value):
    return value.isoformat() if value else None


def summary(topic: Topic) -> dict:
    return {
        "id": topic.pk, "title": topic.title, "stage": topic.stage, "stage_label": str(topic.get_stage_display()),
        "community": _ref(topic.community), "grid": _ref(topic.grid), "compound": topic.compound, "building": topic.building,
        "area": _ref(topic.area), "category": _ref(topic.category), "created_at": _iso(topic.created_at),
        "stage_since": _iso(topic.stage_since), "stage_due_at": _iso(topic.stage_due_at),
        "public_url": f"/topics/p/{topic.pk}/",
    }


def ballot_data(ballot: Ballot, user=None) -> dict:
    out = {"id": ballot.pk, "question": ballot.question, "opens_at": _iso(ballot.opens_at), "closes_at": _iso(ballot.closes_at),
           "eligibility": ballot.eligibility, "grid": _ref(ballot.grid), "building": ballot.building, "secret": ballot.secret,
           "stage": ballot.stage, "results": selectors.results(ballot)}
    if user is not None:
        mine = selectors.has_voted(user, ballot)
        out["voted"] = mine is not None
        if mine is not None and mine.option_id:
            out["my_option"] = mine.option.label
    return out


def detail(topic: Topic, user) -> dict:
    moderator = workflow.is_moderator(user, topic)
    out = summary(topic)
    out.update({
        "description": topic.description, "outcome": topic.outcome, "raised_by_me": topic.raised_by_id == user.pk,
        "photos": [{"url": p.image.url, "width": p.width, "height": p.height} for p in topic.photos.all()],
        "opinions": [{"id": o.pk, "author": selectors.author_label(o, full=moderator), "text": o.text, "stage": o.stage,
                      "created_at": _iso(o.created_at), "hidden": o.is_hidden,
                      **({"hidden_reason": o.hidden_reason} if o.is_hidden else {})} for o in selectors.opinions(user, topic)],
        "ballots": [ballot_data(b, user) for b in topic.ballots.select_related("grid").all()],
        "consultations": [consultation_data(c, full=moderator) for c in topic.consultations.prefetch_related("invitees").all()],
        "resolution": resolution_data(topic),
        "timeline": [{"at": _iso(e.created_at), "verb": e.verb, "from": e.from_stage, "to": e.to_stage, "note": e.note,
                      "public": e.public, "payload": e.payload} for e in selectors.timeline(topic, public_only=not moderator)],
        "actions": workflow.allowed_actions(user, topic),
        "can_moderate": moderator,
    })
    return out


def consultation_data(c: Consultation, *, full: bool) -> dict:
    return {"id": c.pk, "title": c.title, "stage": c.stage, "held_at": _iso(c.held_at), "place": c.place, "summary": c.summary,
            "recorded_at": _iso(c.recorded_at),
            "invitees": [{"id": i.pk, "kind": i.kind, "label": selectors.invitee_label(i, full=full), "attended": i.attended,
                          "position": i.position} for i in c.invitees.all()]}


def resolution_data(topic: Topic) -> dict | None:
    res = getattr(topic, "resolution", None) if topic.stage == Stage.RESOLVED else None
    if res is None:
        return None
    return {"kind": res.kind, "decision": res.decision, "stage": res.stage, "decided_at": _iso(res.decided_at),
            "links": [{"label": link.label, "url": selectors.link_url(link), "type": link.target_type.model} for link in res.links.all()]}


# --- handlers ------------------------------------------------------------------------------------------

@router.get("/", response=dict)
def list_topics(request: HttpRequest, stage: str = "", community_id: int | None = None, grid_id: int | None = None, place: str = "",
                area_id: int | None = None, category_id: int | None = None, q: str = "", limit: int = 50, offset: int = 0):
    qs = selectors.search(request.user, stage=stage, community=org_or_error(community_id, "community_id"), grid=grid_or_error(grid_id),
                          place=place, area=area_or_error(area_id), category=category_or_error(category_id), q=q)
    limit = max(1, min(limit, 200))
    return {"count": qs.count(), "items": [summary(t) for t in qs[offset:offset + limit]]}


def _raise_doc() -> dict:
    fields = RaiseIn.model_json_schema()
    form = {**fields, "properties": {**fields.get("properties", {}),
                                      "photos": {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": 6}}}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": fields}, "multipart/form-data": {"schema": form}}}}


@router.post("/", response={201: dict}, openapi_extra=_raise_doc())
def raise_topic(request: HttpRequest):
    data, photos = _read_raise(request)
    topic = services.raise_topic(by=request.user, title=data.title, description=data.description,
                                 community=org_or_error(data.community_id, "community_id"), grid=grid_or_error(data.grid_id),
                                 compound=data.compound, building=data.building, area=area_or_error(data.area_id),
                                 category=category_or_error(data.category_id), photos=photos)
    return Status(201, detail(topic, request.user))


@router.get("/{int:pk}", response=dict)
def get_topic(request: HttpRequest, pk: int):
    return detail(selectors.get_topic(request.user, pk), request.user)


@router.get("/{int:pk}/public", response=dict, auth=None)
def public(request: HttpRequest, pk: int):
    return selectors.public_view(selectors.get_public_topic(pk))


@router.post("/{int:pk}/escalate", response=dict)
def escalate(request: HttpRequest, pk: int, payload: ReasonIn):
    topic = services.escalate(topic=selectors.get_topic(request.user, pk), by=request.user, to=payload.to, reason=payload.reason)
    return detail(topic, request.user)


@router.post("/{int:pk}/close", response=dict)
def close(request: HttpRequest, pk: int, payload: ReasonIn):
    topic = services.close_topic(topic=selectors.get_topic(request.user, pk), by=request.user, reason=payload.reason)
    return detail(topic, request.user)


@router.post("/{int:pk}/resolve", response=dict)
def resolve(request: HttpRequest, pk: int, payload: ResolveIn):
    topic = selectors.get_topic(request.user, pk)
    project = request_spec = None
    if payload.project is not None:
        project = {"title": payload.project.title, "description": payload.project.description,
                   "lead_unit": org_or_error(payload.project.lead_unit_id, "lead_unit_id"), "area": area_or_error(payload.project.area_id)}
    if payload.request is not None:
        request_spec = {"title": payload.request.title, "text": payload.request.text,
                        "category": category_or_error(payload.request.category_id)}
    items = [{"title": i.title, "owner": org_or_error(i.owner_id, "owner_id"), "due_on": i.due_on} for i in payload.action_items]
    services.resolve_topic(topic=topic, by=request.user, decision=payload.decision, kind=payload.kind, project=project,
                           request=request_spec, action_items=items)
    return detail(selectors.get_topic(request.user, pk), request.user)


@router.post("/{int:pk}/opinions", response={201: dict})
def add_opinion(request: HttpRequest, pk: int, payload: OpinionIn):
    op = services.add_opinion(topic=selectors.get_topic(request.user, pk), by=request.user, text=payload.text)
    return Status(201, {"id": op.pk, "text": op.text, "stage": op.stage, "created_at": _iso(op.created_at)})


@router.post("/opinions/{int:pk}/{action}", response=dict)
def moderate_opinion(request: HttpRequest, pk: int, action: str, payload: ReasonIn):
    op = _opinion(request.user, pk)
    if action == "hide":
        op = services.hide_opinion(opinion=op, by=request.user, reason=payload.reason)
    elif action == "restore":
        op = services.restore_opinion(opinion=op, by=request.user, reason=payload.reason)
    else:
        raise NotFound(f"没有“{action}”这个操作")
    return {"id": op.pk, "hidden": op.is_hidden, "hidden_reason": op.hidden_reason}


@router.post("/{int:pk}/ballots", response={201: dict})
def create_ballot(request: HttpRequest, pk: int, payload: BallotIn):
    topic = selectors.get_topic(request.user, pk)
    ballot = services.create_ballot(topic=topic, by=request.user, question=payload.question, options=payload.options,
                                    opens_at=payload.opens_at, closes_at=payload.closes_at, eligibility=payload.eligibility,
                                    grid=grid_or_error(payload.grid_id), building=payload.building, secret=payload.secret)
    return Status(201, ballot_data(ballot, request.user))


@router.get("/ballots/{int:pk}", response=dict)
def get_ballot(request: HttpRequest, pk: int):
    return ballot_data(_ballot(request.user, pk), request.user)


@router.post("/ballots/{int:pk}/vote", response=dict)
def vote(request: HttpRequest, pk: int, payload: VoteIn):
    ballot = _ballot(request.user, pk)
    option = BallotOption.objects.filter(pk=payload.option_id).first()
    if option is None:
        raise DomainError(f"选项 {payload.option_id} 不存在", field="option_id")
    services.cast_vote(ballot=ballot, by=request.user, option=option)
    return ballot_data(ballot, request.user)


@router.get("/ballots/{int:pk}/voters", response=list[dict])
def ballot_voters(request: HttpRequest, pk: int):
    return [{"person": p.person.name, "option": p.option.label if p.option_id else None, "voted_at": _iso(p.voted_at)}
            for p in selectors.voters(request.user, _ballot(request.user, pk))]


@router.post("/ballots/{int:pk}/end", response=dict)
def end_ballot(request: HttpRequest, pk: int, payload: ReasonIn):
    ballot = services.end_ballot_now(ballot=_ballot(request.user, pk), by=request.user, reason=payload.reason)
    return ballot_data(ballot, request.user)


@router.post("/{int:pk}/consultations", response={201: dict})
def schedule_consultation(request: HttpRequest, pk: int, payload: ConsultationIn):
    topic = selectors.get_topic(request.user, pk)
    c = services.schedule_consultation(topic=topic, by=request.user, title=payload.title, held_at=payload.held_at, place=payload.place,
                                       invitees=[_invitee(request.user, i) for i in payload.invitees])
    return Status(201, consultation_data(c, full=True))


@router.post("/consultations/{int:pk}/record", response=dict)
def record_consultation(request: HttpRequest, pk: int, payload: RecordIn):
    c = services.record_consultation(consultation=_consultation(request.user, pk), by=request.user, summary=payload.summary,
                                     attendance=payload.attendance, positions=payload.positions,
                                     guests=[_invitee(request.user, g) for g in payload.guests])
    return consultation_data(c, full=True)


def _alliance(pk) -> Alliance:
    alliance = Alliance.objects.select_related("core_organization").filter(pk=pk).first()
    if alliance is None:
        raise NotFound("联盟不存在")
    return alliance


@router.get("/settings/{int:alliance_id}", response=dict)
def get_settings(request: HttpRequest, alliance_id: int):
    cfg = services.config_for(_alliance(alliance_id))
    return {"online_days": cfg.online_days, "property_days": cfg.property_days, "community_days": cfg.community_days,
            "auto_escalate": cfg.auto_escalate}


@router.put("/settings/{int:alliance_id}", response=dict)
def put_settings(request: HttpRequest, alliance_id: int, payload: SettingsIn):
    data = {k: v for k, v in payload.dict().items() if v is not None and k != "reason"}
    services.save_config(alliance=_alliance(alliance_id), by=request.user, reason=payload.reason, **data)
    return get_settings(request, alliance_id)


@router.post("/rolls", response=dict)
def set_roll(request: HttpRequest, payload: RollIn):
    community = org_or_error(payload.community_id, "community_id")
    if not payload.person_ids:
        raise DomainError("请选择要登记到楼栋名册的居民", field="person_ids")
    people = [person_or_error(request.user, pk, "person_ids") for pk in payload.person_ids]
    added = services.set_building_roll(community=community, by=request.user, building=payload.building, people=people,
                                       reason=payload.reason)
    return {"added": added, "buildings": selectors.building_roll(community)}

