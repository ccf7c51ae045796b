"""People API (/api/v1/people): the same selectors and services as the pages, so the same scope.

Lists and details carry masked personal values only; POST /{id}/reveal returns one full value
and logs the read (channel "api").
"""

import datetime as dt
from typing import Literal

from ninja import Field, Router, Schema, Status

from tongxin.core.errors import NotFound
from tongxin.core.lookups import scoped_ref as _ref

from . import selectors, services
from .models import PartyMemberProfile, Person, PersonRole

router = Router(tags=["people"])


# --- schemas ----------------------------------------------------------------------------

class Ref(Schema):
    id: int
    name: str


class RoleOut(Schema):
    id: int
    tag: str
    label: str
    organization: Ref | None = None
    grid: Ref | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    @staticmethod
    def resolve_label(obj: PersonRole) -> str:
        return str(obj.get_tag_display())


class PartyProfileOut(Schema):
    branch: Ref
    status: str
    joined_on: dt.date | None = None
    full_member_on: dt.date | None = None
    lost_contact_since: dt.date | None = None
    in_service: bool
    work_unit: Ref | None = None
    home_community: Ref | None = None
    is_central_household: bool


class PersonOut(Schema):
    id: int
    name: str
    sex: str
    ethnicity: str
    birth_date: dt.date | None = None
    education: str
    phone_masked: str
    id_number_masked: str
    address_masked: str
    organization: Ref
    community: Ref | None = None
    tags: list[str]
    archived: bool

    @staticmethod
    def resolve_tags(obj: Person) -> list[str]:
        roles = getattr(obj, "active_roles", None)
        if roles is None:
            roles = [r for r in obj.roles.all() if r.until is None]
        return sorted({r.tag for r in roles})

    @staticmethod
    def resolve_archived(obj: Person) -> bool:
        return obj.archived_at is not None


class PersonDetailOut(PersonOut):
    grid: Ref | None = None
    note: str
    roles: list[RoleOut]
    party_profile: PartyProfileOut | None = None

    @staticmethod
    def resolve_roles(obj: Person) -> list[PersonRole]:
        return selectors.person_roles(obj)

    @staticmethod
    def resolve_party_profile(obj: Person) -> PartyMemberProfile | None:
        return selectors.party_profile(obj)


class PersonList(Schema):
    count: int
    limit: int
    offset: int
    items: list[PersonOut]


class PersonIn(Schema):
    organization: int
    name: str
    sex: Literal["", "M", "F"] = ""
    ethnicity: str = ""
    birth_date: dt.date | None = None
    education: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""
    community: int | None = None
    grid: int | None = None
    note: str = ""
    tags: list[str] = []
    reason: str = ""


class PersonPatch(Schema):
    """Only the fields sent are changed; an empty string clears a personal value."""

    organization: int | None = None
    name: str | None = None
    sex: Literal["", "M", "F"] | None = None
    ethnicity: str | None = None
    birth_date: dt.date | None = None
    education: str | None = None
    phone: str | None = None
    id_number: str | None = None
    address: str | None = None
    community: int | None = None
    grid: int | None = None
    note: str | None = None
    reason: str = ""


class ReasonIn(Schema):
    reason: str = ""


class RevealIn(Schema):
    purpose: str = Field("", max_length=200)


class RevealOut(Schema):
    field: str
    value: str


class RoleIn(Schema):
    tag: str
    organization: int | None = None
    grid: int | None = None
    since: dt.date | None = None
    reason: str = ""


class PartyProfileIn(Schema):
    branch: int
    status: str = "full"
    joined_on: dt.date | None = None
    full_member_on: dt.date | None = None
    lost_contact_since: dt.date | None = None
    in_service: bool = False
    work_unit: int | None = None
    home_community: int | None = None
    is_central_household: bool = False
    reason: str = ""


# --- references are resolved through scoped selectors ---------------------------------------



def _grid(user, pk):
    return _ref(selectors.grid_choices(user), pk, "grid", "网格") if pk is not None else None


def _person(request, person_id: int) -> Person:
    return selectors.get_person(request.user, person_id)


# --- endpoints ------------------------------------------------------------------------------

@router.get("/", response=PersonList, summary="List people (masked)")
def list_people(request, q: str = "", tag: str = "", organization: int | None = None, include_archived: bool = False,
                limit: int = 50, offset: int = 0):
    limit = max(1, min(limit, 200))
    offset = max(0, offset)
    org = None
    if organization is not None:
        org = selectors.visible_people_org(request.user, organization)
        if org is None:
            raise NotFound("组织不存在或不在您的权限范围内")
    qs = selectors.search_people(request.user, q=q, tag=tag, organization=org, include_archived=include_archived)
    items = list(selectors.list_page_queryset(qs).order_by("name", "id")[offset:offset + limit])
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": items}


@router.get("/{int:person_id}", response=PersonDetailOut, summary="One person (masked)")
def get_person(request, person_id: int):
    return _person(request, person_id)


@router.post("/", response={201: PersonDetailOut}, summary="Register a person")
def create_person(request, payload: PersonIn):
    user = request.user
    data = payload.dict()
    data["organization"] = _ref(selectors.organizations_for_people(user), data["organization"], "organization", "组织")
    data["community"] = _ref(selectors.community_choices(user), data["community"], "community", "社区")
    data["grid"] = _grid(user, data["grid"])
    data["tags"] = tuple(data["tags"])
    for key in ("phone", "id_number", "address"):
        if not data[key]:
            data.pop(key)
    person = services.create_person(by=user, **data)
    return Status(201, selectors.get_person(user, person.pk))


@router.patch("/{int:person_id}", response=PersonDetailOut, summary="Change a person's record")
def update_person(request, person_id: int, payload: PersonPatch):
    user = request.user
    person = _person(request, person_id)
    data = payload.dict(exclude_unset=True)
    if "organization" in data:
        data["organization"] = _ref(selectors.organizations_for_people(user), data["organization"], "organization", "组织")
    if "community" in data:
        data["community"] = _ref(selectors.community_choices(user), data["community"], "community", "社区")
    if "grid" in data:
        data["grid"] = _grid(user, data["grid"])
    for key in ("sex", "ethnicity", "education", "note", "phone", "id_number", "address"):
        if key in data and data[key] is None:
            data[key] = ""
    services.update_person(person=person, by=user, **data)
    return selectors.get_person(user, person.pk)


@router.post("/{int:person_id}/archive", response=PersonDetailOut, summary="Archive a person (with a reason)")
def archive_person(request, person_id: int, payload: ReasonIn):
    person = _person(request, person_id)
    services.archive_person(person=person, by=request.user, reason=payload.reason)
    return selectors.get_person(request.user, person.pk)


@router.post("/{int:person_id}/reveal/{field}", response=RevealOut, summary="The full value of one personal field (logged)")
def reveal(request, person_id: int, field: Literal["phone", "id_number", "address"], payload: RevealIn | None = None):
    person = _person(request, person_id)
    purpose = payload.purpose if payload is not None else ""
    value = services.reveal(person=person, field=field, by=request.user, purpose=purpose, channel="api")
    return {"field": field, "value": value}


@router.post("/{int:person_id}/roles", response={201: RoleOut}, summary="Add a role tag")
def add_role(request, person_id: int, payload: RoleIn):
    user = request.user
    person = _person(request, person_id)
    role = services.add_role(
        person=person, tag=payload.tag, by=user,
        organization=_ref(selectors.org_choices(user), payload.organization, "organization", "组织"),
        grid=_grid(user, payload.grid), since=payload.since, reason=payload.reason,
    )
    return Status(201, role)


@router.post("/{int:person_id}/roles/{int:role_id}/end", response=RoleOut, summary="End a role (today)")
def end_role(request, person_id: int, role_id: int, payload: ReasonIn):
    person = _person(request, person_id)
    role = selectors.get_role(person, role_id)
    return services.end_role(role=role, by=request.user, reason=payload.reason)


@router.put("/{int:person_id}/party-profile", response=PartyProfileOut, summary="Set the party member profile")
def set_party_profile(request, person_id: int, payload: PartyProfileIn):
    user = request.user
    person = _person(request, person_id)
    current = selectors.party_profile(person)
    data = payload.dict()

    def pick(key, qs, label):
        # The value already on file stays acceptable even when it lies outside the user's choices.
        if current is not None and data[key] is not None and getattr(current, f"{key}_id") == data[key]:
            return getattr(current, key)
        return _ref(qs, data[key], key, label)

    data["branch"] = pick("branch", selectors.branch_choices(user), "党支部")
    data["work_unit"] = pick("work_unit", selectors.org_choices(user), "工作单位")
    data["home_community"] = pick("home_community", selectors.community_choices(user), "报到社区")
    services.set_party_profile(person=person, by=user, **data)
    return selectors.party_profile(person)

