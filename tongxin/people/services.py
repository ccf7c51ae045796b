"""Writes on people. Personal values are validated, encrypted, hashed and masked here only."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ensure_can
from tongxin.audit import events
from tongxin.audit.models import SensitiveRead
from tongxin.core import crypto
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.core.text import search_blob
from tongxin.core.validators import (
    birth_date_from_id,
    mask_address,
    mask_id_number,
    mask_phone,
    sex_from_id,
    validate_id_number,
    validate_phone,
)

from .models import GRID_TAGS, MemberStatus, PartyMemberProfile, Person, PersonRole, RoleTag

PLAIN_FIELDS = ("name", "sex", "ethnicity", "birth_date", "education", "community", "grid", "note")
SENSITIVE_FIELDS = ("phone", "id_number", "address")


def clean_person_data(data: dict) -> dict:
    """Validate and normalise input; returns plain fields plus normalised sensitive values."""
    out = {}
    if "name" in data:
        name = (data.get("name") or "").strip()
        if not name:
            raise DomainError("姓名不能为空", field="name")
        if len(name) > 40:
            raise DomainError("姓名不能超过 40 个字", field="name")
        out["name"] = name
    for key in ("sex", "ethnicity", "education", "note"):
        if key in data:
            out[key] = (data.get(key) or "").strip()
    if out.get("sex") and out["sex"] not in ("M", "F"):
        raise DomainError("性别只能是“男”或“女”", field="sex")
    for key in ("birth_date", "community", "grid"):
        if key in data:
            out[key] = data[key] or None
    if data.get("phone"):
        out["phone"] = validate_phone(str(data["phone"]))
    elif "phone" in data:
        out["phone"] = ""
    if data.get("id_number"):
        number = validate_id_number(str(data["id_number"]))
        out["id_number"] = number
        if out.get("birth_date") and out["birth_date"] != birth_date_from_id(number):
            raise DomainError("出生日期与身份证号不一致", field="birth_date")
        if out.get("sex") and out["sex"] != sex_from_id(number):
            raise DomainError("性别与身份证号不一致", field="sex")
        out.setdefault("birth_date", None)
        out["birth_date"] = out["birth_date"] or birth_date_from_id(number)
        out["sex"] = out.get("sex") or sex_from_id(number)
    elif "id_number" in data:
        out["id_number"] = ""
    if "address" in data:
        out["address"] = (data.get("address") or "").strip()
    return out


def apply_sensitive(person: Person, values: dict) -> None:
    if "phone" in values:
        phone = values["phone"]
        person.phone_enc, person.phone_hash = crypto.encrypt(phone), crypto.lookup_hash(phone)
        person.phone_masked = mask_phone(phone) if phone else ""
    if "id_number" in values:
        number = values["id_number"]
        person.id_number_enc, person.id_number_hash = crypto.encrypt(number), crypto.lookup_hash(number)
        person.id_number_masked = mask_id_number(number) if number else ""
    if "address" in values:
        address = values["address"]
        person.address_enc = crypto.encrypt(address)
        person.address_masked = mask_address(address) if address else ""


def refresh_search(person: Person) -> None:
    person.search_text = search_blob(person.name)


def find_duplicate(*, name: str, phone: str = "", id_number: str = "", exclude_pk=None) -> tuple[Person, str] | None:
    """The existing person this input would duplicate, and why (ID number, or name + phone)."""
    qs = Person.objects.filter(archived_at__isnull=True)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if id_number:
        hit = qs.filter(id_number_hash=crypto.lookup_hash(id_number)).first()
        if hit:
            return hit, "id_number"
    if phone and name:
        hit = qs.filter(phone_hash=crypto.lookup_hash(phone), name=name).first()
        if hit:
            return hit, "phone"
    return None


def duplicate_message(user, existing: Person, why: str) -> str:
    return _duplicate_text(existing, why, visible=_visible_to(user, existing))


def _visible_to(user, person: Person) -> bool:
    from .selectors import visible_people

    return visible_people(user).filter(pk=person.pk).exists()


def _duplicate_text(existing: Person, why: str, *, visible: bool) -> str:
    who = f"“{existing.name}”（{existing.organization.name}）" if visible else "一名其他组织的人员"
    what = "身份证号" if why == "id_number" else "姓名和手机号"
    return f"{what}与已登记的{who}重复：同一个人只登记一次，请在原记录上增加角色"


def duplicate_error(user, existing: Person, why: str) -> DomainError:
    """The refusal for a duplicate; `.existing` is the record when the user may open it (else None)."""
    visible = _visible_to(user, existing)
    exc = DomainError(_duplicate_text(existing, why, visible=visible), field=why, code="duplicate")
    exc.existing = existing if visible else None
    return exc


@transaction.atomic
def create_person(*, by, organization, reason: str = "", tags: tuple[str, ...] = (), **data) -> Person:
    ensure_can(by, P.MANAGE_PEOPLE, organization)
    if organization.is_archived:
        raise DomainError("该组织已归档，不能新增人员", field="organization")
    values = clean_person_data({"name": data.get("name", ""), **data})
    dup = find_duplicate(name=values["name"], phone=values.get("phone", ""), id_number=values.get("id_number", ""))
    if dup:
        raise duplicate_error(by, *dup)
    tags = tuple(dict.fromkeys(tags or ()))
    for tag in tags:
        if tag not in RoleTag.values:
            raise DomainError(f"角色“{tag}”无效", field="tags")
        if tag in GRID_TAGS and not values.get("grid"):
            raise DomainError("网格员和“五长”需要指定所在网格：请先选择网格", field="grid")
    person = Person(organization=organization, **{k: v for k, v in values.items() if k in PLAIN_FIELDS})
    apply_sensitive(person, values)
    refresh_search(person)
    person._change_reason = reason
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise DomainError("身份证号与已登记人员重复", field="id_number", code="duplicate") from None
    for tag in tags:
        PersonRole.objects.create(person=person, tag=tag, grid=person.grid if tag in GRID_TAGS else None, since=timezone.localdate())
    events.record(actor=by, verb="person.created", target=person, organization=organization, reason=reason,
                  payload={"tags": list(tags)})
    return person


@transaction.atomic
def update_person(*, person: Person, by, reason: str = "", organization=None, **data) -> Person:
    ensure_can(by, P.MANAGE_PEOPLE, person.organization)
    if organization is not None and organization.pk != person.organization_id:
        ensure_can(by, P.MANAGE_PEOPLE, organization)
        if organization.is_archived:
            raise DomainError("该组织已归档，不能将人员移入", field="organization")
    values = clean_person_data(data)
    if "id_number" not in values and person.id_number_enc and (values.get("sex") or values.get("birth_date")):
        # Sex and date of birth must keep agreeing with the ID number already on file.
        number = crypto.decrypt(person.id_number_enc)
        if values.get("birth_date") and values["birth_date"] != birth_date_from_id(number):
            raise DomainError("出生日期与已登记的身份证号不一致", field="birth_date")
        if values.get("sex") and values["sex"] != sex_from_id(number):
            raise DomainError("性别与已登记的身份证号不一致", field="sex")
    changed_sensitive = []
    for key in SENSITIVE_FIELDS:
        if key in values:
            current = crypto.decrypt(getattr(person, f"{key}_enc"))
            if current != values[key]:
                changed_sensitive.append(key)
            else:
                values.pop(key)
    phone_for_dup = values.get("phone", "")
    if not phone_for_dup and values.get("name", person.name) != person.name and person.phone_enc:
        phone_for_dup = crypto.decrypt(person.phone_enc)  # a rename can also make a name + phone duplicate
    dup = find_duplicate(
        name=values.get("name", person.name), phone=phone_for_dup, id_number=values.get("id_number", ""), exclude_pk=person.pk,
    )
    if dup:
        raise duplicate_error(by, *dup)
    plain = {k: v for k, v in values.items() if k in PLAIN_FIELDS}
    if organization is not None:
        plain["organization"] = organization
    diff = events.changes(person, plain)
    for k, v in plain.items():
        setattr(person, k, v)
    apply_sensitive(person, {k: values[k] for k in changed_sensitive})
    refresh_search(person)
    person._change_reason = reason
    person.save()
    # Sensitive values are named in the event, never written into it.
    for key in changed_sensitive:
        diff[key] = ["***", "***"]
    if diff:
        events.record(actor=by, verb="person.updated", target=person, organization=person.organization, reason=reason, payload={"changes": diff})
    return person


@transaction.atomic
def archive_person(*, person: Person, by, reason: str) -> Person:
    ensure_can(by, P.MANAGE_PEOPLE, person.organization)
    if not (reason or "").strip():
        raise DomainError("归档需要填写原因", field="reason")
    person.archived_at = timezone.now()
    person._change_reason = reason
    person.save()
    PersonRole.objects.filter(person=person, until__isnull=True).update(until=timezone.localdate())
    events.record(actor=by, verb="person.archived", target=person, organization=person.organization, reason=reason)
    return person


def reveal(*, person: Person, field: str, by, purpose: str = "", channel: str = "web") -> str:
    """The full value of a personal field. Every call is logged, whoever makes it."""
    if field not in SENSITIVE_FIELDS:
        raise DomainError("无效的字段", field="field")
    from .selectors import can_reveal

    if not can_reveal(by, person):
        raise PermissionDenied("您无权查看此人的完整个人信息")
    SensitiveRead.objects.create(actor=by, person=person, field=field, purpose=(purpose or "")[:200], channel=channel)
    return crypto.decrypt(getattr(person, f"{field}_enc"))


@transaction.atomic
def add_role(*, person: Person, tag: str, by, organization=None, grid=None, since: dt.date | None = None, reason: str = "") -> PersonRole:
    ensure_can(by, P.MANAGE_PEOPLE, person.organization)
    if tag not in RoleTag.values:
        raise DomainError(f"角色“{tag}”无效", field="tag")
    if tag in GRID_TAGS and grid is None:
        raise DomainError("网格员和“五长”需要指定所在网格", field="grid")
    if grid is not None:
        ensure_can(by, P.VIEW_GRIDS, grid.organization, "所选网格不在您的权限范围内")
    if organization is not None:
        ensure_can(by, P.VIEW_ORGS, organization, "所选组织不在您的权限范围内")
    if PersonRole.objects.filter(person=person, tag=tag, organization=organization, grid=grid, until__isnull=True).exists():
        raise DomainError("此人已有该角色", field="tag")
    role = PersonRole.objects.create(person=person, tag=tag, organization=organization, grid=grid, since=since or timezone.localdate())
    events.record(actor=by, verb="person.role_added", target=person, organization=person.organization, reason=reason,
                  payload={"tag": tag, "organization": organization.name if organization else None, "grid": grid.name if grid else None})
    return role


@transaction.atomic
def end_role(*, role: PersonRole, by, reason: str = "") -> PersonRole:
    ensure_can(by, P.MANAGE_PEOPLE, role.person.organization)
    if role.until:
        raise DomainError("该角色已经结束")
    role.until = timezone.localdate()
    role._change_reason = reason
    role.save()
    events.record(actor=by, verb="person.role_ended", target=role.person, organization=role.person.organization, reason=reason,
                  payload={"tag": role.tag})
    return role


PROFILE_FIELDS = ("branch", "joined_on", "full_member_on", "status", "lost_contact_since", "in_service", "work_unit",
                  "home_community", "is_central_household")


def clean_profile(data: dict, current: PartyMemberProfile | None = None) -> dict:
    """Validate the profile as it will be after applying `data` onto `current`; returns the changes."""
    data = {k: v for k, v in data.items() if k in PROFILE_FIELDS}
    if "status" in data and data["status"] not in MemberStatus.values:
        raise DomainError(f"党员状态“{data['status']}”无效", field="status")
    if "branch" in data and data["branch"] is None:
        raise DomainError("请选择所在党支部", field="branch")
    if data.get("in_service") is False and "work_unit" not in data:
        data["work_unit"] = None
    merged = {k: getattr(current, k) for k in PROFILE_FIELDS} if current is not None else {}
    merged.update(data)
    branch = data.get("branch")
    if branch is not None and not branch.is_party_organization:
        raise DomainError(f"“{branch.name}”不是党组织，不能作为党员所在支部", field="branch")
    joined, full = merged.get("joined_on"), merged.get("full_member_on")
    if joined and full and full < joined:
        raise DomainError("转正日期不能早于入党日期", field="full_member_on")
    if joined and joined > timezone.localdate():
        raise DomainError("入党日期不能晚于今天", field="joined_on")
    if full and full > timezone.localdate():
        raise DomainError("转正日期不能晚于今天", field="full_member_on")
    status = merged.get("status") or MemberStatus.FULL
    if status == MemberStatus.PROBATIONARY and full:
        raise DomainError("预备党员不应有转正日期", field="full_member_on")
    if status == MemberStatus.LOST_CONTACT and not merged.get("lost_contact_since"):
        data["lost_contact_since"] = timezone.localdate()
    if status != MemberStatus.LOST_CONTACT and merged.get("lost_contact_since") and "status" in data:
        data["lost_contact_since"] = None
    if merged.get("in_service") and not merged.get("work_unit"):
        raise DomainError("在职党员需要填写工作单位", field="work_unit")
    if merged.get("home_community") is not None and merged["home_community"].kind != "community_committee":
        raise DomainError("报到社区必须是社区党委", field="home_community")
    return data


@transaction.atomic
def set_party_profile(*, person: Person, by, reason: str = "", **data) -> PartyMemberProfile:
    ensure_can(by, P.MANAGE_PEOPLE, person.organization)
    existing = PartyMemberProfile.objects.filter(person=person).select_related("branch", "work_unit", "home_community").first()
    data = clean_profile(data, existing)
    if data.get("branch") is not None and (existing is None or data["branch"].pk != existing.branch_id):
        ensure_can(by, P.VIEW_ORGS, data["branch"], "所选党支部不在您的组织范围内")
    if data.get("work_unit") is not None and (existing is None or data["work_unit"].pk != existing.work_unit_id):
        ensure_can(by, P.VIEW_ORGS, data["work_unit"], "所选工作单位不在您的组织范围内")
    if existing is None:
        if data.get("branch") is None:
            raise DomainError("请选择所在党支部", field="branch")
        profile = PartyMemberProfile(person=person, **data)
        diff = {k: [None, str(v)] for k, v in data.items() if v not in (None, "", False)}
    else:
        profile = existing
        diff = events.changes(profile, data)
        for k, v in data.items():
            setattr(profile, k, v)
    profile._change_reason = reason
    profile.save()
    if not PersonRole.objects.filter(person=person, tag=RoleTag.PARTY_MEMBER, until__isnull=True).exists():
        PersonRole.objects.create(person=person, tag=RoleTag.PARTY_MEMBER, organization=profile.branch, since=timezone.localdate())
    if diff:
        events.record(actor=by, verb="person.party_profile_set", target=person, organization=person.organization, reason=reason,
                      payload={"changes": diff})
    return profile
