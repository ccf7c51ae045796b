"""Row validation and the bulk-writing path of Excel imports.

Validation reads the database once up front (organisations by name and code, the user's
scope) and in batches (existing people by ID-number and phone hashes), so its cost grows with
the file, not with queries per row. Writing is bulk: `bulk_create` per table, history rows
through simple-history's `bulk_history_create` (with the importing user and a reason naming
the job), and ONE audit Event per job listing the created ids as ranges. The per-object
"who, when, why" lives in the history rows; a per-object Event would double the writes for
no information the history row does not already hold.

The same rules as the one-record services apply (people.services.clean_person_data,
clean_profile, orgs.services._clean_org_data); they are called per row and their Chinese
message is attached to the row and column at fault.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ALL, scope_paths
from tongxin.audit.models import Event
from tongxin.core import crypto
from tongxin.core.errors import DomainError
from tongxin.core.text import search_blob
from tongxin.core.validators import validate_id_number, validate_phone
from tongxin.orgs.models import PARTY_KINDS, Organization, OrgKind
from tongxin.people import services as people_services
from tongxin.people.models import GRID_TAGS, PartyMemberProfile, Person, PersonRole, RoleTag

from .columns import (
    MEMBER_STATUS_BY_LABEL,
    ORG_COLUMNS,
    ORG_KIND_BY_LABEL,
    ORG_KIND_LABELS,
    PEOPLE_COLUMNS,
    ROLE_TAG_BY_LABEL,
    ROLE_TAG_LABELS,
    SEX_BY_LABEL,
)

HEADERS = {c.key: c.header for c in (*ORG_COLUMNS, *PEOPLE_COLUMNS)}
PERSON_HEADERS = {c.key: c.header for c in PEOPLE_COLUMNS}
ORG_HEADERS = {c.key: c.header for c in ORG_COLUMNS}
BATCH = 1000
_SPLIT_RE = re.compile(r"[、,，;；/\s]+")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Result:
    rows: list = field(default_factory=list)  # cleaned rows, ready to write
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def parse_date(text: str) -> dt.date:
    text = (text or "").strip()
    m = _DATE_RE.match(text)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if re.fullmatch(r"\d{8}", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    raise ValueError(text)


# --- organisations known to the validator ----------------------------------------------------

class OrgIndex:
    """Every organisation by name and by code, with the user's scopes, read once."""

    def __init__(self, user):
        self.by_name: dict[str, list] = defaultdict(list)
        self.by_code: dict[str, list] = defaultdict(list)
        self.by_id: dict[int, tuple] = {}
        rows = Organization.objects.values_list("id", "name", "code", "path", "kind", "archived_at", "parent_id")
        for row in rows:
            self.by_id[row[0]] = row
            self.by_name[row[1]].append(row)
            if row[2]:
                self.by_code[row[2]].append(row)
        self.children_names: set[tuple[int | None, str]] = {(r[6], r[1]) for r in self.by_id.values() if r[5] is None}
        self._paths = {perm: scope_paths(user, perm) for perm in (P.VIEW_ORGS, P.MANAGE_ORGS, P.MANAGE_PEOPLE, P.IMPORT_DATA)}

    def in_scope(self, row, *perms: str) -> bool:
        for perm in perms:
            paths = self._paths[perm]
            if paths == ALL:
                continue
            if not any(row[3].startswith(p) for p in paths):
                return False
        return True

    def find(self, text: str) -> tuple[tuple | None, str]:
        """(row, "") or (None, reason) for a name or code."""
        text = (text or "").strip()
        hits = self.by_code.get(text) or self.by_name.get(text) or []
        active = [h for h in hits if h[5] is None]
        if len(active) > 1:
            return None, f"有 {len(active)} 个组织名为“{text}”，请改填组织代码以区分"
        if not active:
            if hits:
                return None, f"组织“{text}”已归档"
            return None, f"找不到组织“{text}”：请先在系统中建立该组织，或核对名称"
        return active[0], ""


def _resolve(index: OrgIndex, text: str, perms: tuple[str, ...], what: str) -> tuple[tuple | None, str]:
    row, problem = index.find(text)
    if row is None:
        return None, problem
    if not index.in_scope(row, *perms):
        return None, f"{what}“{text}”不在您的权限范围内"
    return row, ""


class GridIndex:
    """The grids the user may see, by code and by (responsible organisation, name), read once."""

    def __init__(self, user):
        from tongxin.grids.selectors import visible_grids

        self.by_id: dict[int, tuple] = {}
        self.by_code: dict[str, tuple] = {}
        self.by_name: dict[str, list] = defaultdict(list)
        for row in visible_grids(user).values_list("id", "name", "code", "organization_id"):
            self.by_id[row[0]] = row
            self.by_code[row[2]] = row
            self.by_name[row[1]].append(row)

    def find(self, text: str, community_id: int | None) -> tuple[tuple | None, str]:
        """(row, "") or (None, reason) for a grid's code, or its name within the person's community."""
        text = (text or "").strip()
        hit = self.by_code.get(text)
        if hit is not None:
            if community_id is not None and hit[3] != community_id:
                return None, f"网格“{text}”不属于所填的所在社区"
            return hit, ""
        hits = [h for h in self.by_name.get(text, []) if community_id is None or h[3] == community_id]
        if len(hits) > 1:
            return None, f"有 {len(hits)} 个网格名为“{text}”，请改填网格编码以区分"
        if not hits:
            where = "所在社区" if community_id is not None else "您的权限范围内"
            return None, f"{where}找不到网格“{text}”：请核对网格名称或改填网格编码"
        return hits[0], ""


# --- people ------------------------------------------------------------------------------------

@dataclass
class PersonRow:
    row: int
    values: dict  # output of clean_person_data
    organization_id: int
    community_id: int | None
    tags: list[str]
    profile: dict | None
    grid_id: int | None = None


def validate_people(user, rows: Iterable[tuple[int, dict]], *, progress: Callable[[int], None] | None = None) -> Result:
    index = OrgIndex(user)
    grids = GridIndex(user)
    from tongxin.people.selectors import community_choices

    communities = set(community_choices(user).values_list("pk", flat=True))
    res = Result()
    seen_id: dict[str, int] = {}
    seen_phone: dict[tuple[str, str], int] = {}
    today = timezone.localdate()
    for number, raw in rows:
        res.total += 1
        errs: list[RowError] = []

        def err(key, message, number=number, errs=errs):
            errs.append(RowError(number, PERSON_HEADERS[key], message))

        name = raw.get("name", "")
        if not name:
            err("name", "姓名不能为空")
        elif len(name) > 40:
            err("name", "姓名不能超过 40 个字")
        sex = ""
        if raw.get("sex"):
            sex = SEX_BY_LABEL.get(raw["sex"], "")
            if not sex:
                err("sex", f"性别“{raw['sex']}”无效，只能填“男”或“女”")
        phone = id_number = ""
        if raw.get("phone"):
            try:
                phone = validate_phone(raw["phone"])
            except DomainError as exc:
                err("phone", exc.message)
        if raw.get("id_number"):
            if raw["id_number"].startswith("#NUM:"):
                err("id_number", "身份证号被 Excel 存成了数字，末几位已经丢失：请把该列设为“文本”格式后重新录入")
            else:
                try:
                    id_number = validate_id_number(raw["id_number"])
                except DomainError as exc:
                    err("id_number", exc.message)
        org = community = None
        if not raw.get("organization"):
            err("organization", "所属组织不能为空")
        else:
            org, problem = _resolve(index, raw["organization"], (P.MANAGE_PEOPLE, P.IMPORT_DATA), "组织")
            if problem:
                err("organization", problem)
        if raw.get("community"):
            community, problem = index.find(raw["community"])
            if problem:
                err("community", problem)
            elif community[4] != OrgKind.COMMUNITY_COMMITTEE:
                err("community", f"“{raw['community']}”不是社区党委")
                community = None
            elif community[0] not in communities:
                err("community", f"社区“{raw['community']}”不在您的权限范围内")
                community = None
        tags: list[str] = []
        for label in filter(None, _SPLIT_RE.split(raw.get("tags", ""))):
            tag = ROLE_TAG_BY_LABEL.get(label)
            if tag is None:
                err("tags", f"角色标签“{label}”无效，可填：{'、'.join(ROLE_TAG_LABELS.values())}")
            elif tag not in tags:
                tags.append(tag)
        grid = None
        if raw.get("grid"):
            grid, problem = grids.find(raw["grid"], community[0] if community else None)
            if problem:
                err("grid", problem)
            elif community is None and not raw.get("community"):
                # A grid belongs to one community: the person lives there.
                home = index.by_id.get(grid[3])
                if home is not None and home[4] == OrgKind.COMMUNITY_COMMITTEE and home[0] in communities:
                    community = home
        needs_grid = [ROLE_TAG_LABELS[t] for t in tags if t in GRID_TAGS]
        if needs_grid and not raw.get("grid"):
            err("grid", f"“{'、'.join(needs_grid)}”需要填写所在网格（网格名称或网格编码）")
        profile = _validate_profile(raw, tags, community, index, today, err)
        if profile is not None and RoleTag.PARTY_MEMBER not in tags:
            tags.append(RoleTag.PARTY_MEMBER)
        values = {}
        if not errs:
            data = {"name": name, "sex": sex, "phone": phone, "id_number": id_number, "address": raw.get("address", ""),
                    "ethnicity": raw.get("ethnicity", ""), "education": raw.get("education", ""), "note": raw.get("note", "")}
            try:
                values = people_services.clean_person_data(data)
            except DomainError as exc:
                err(exc.field if exc.field in PERSON_HEADERS else "name", exc.message)
        if phone and name:
            first = seen_phone.setdefault((name, phone), number)
            if first != number:
                err("phone", f"与第 {first} 行的姓名和手机号重复：同一个人只登记一次")
        if id_number:
            first = seen_id.setdefault(id_number, number)
            if first != number:
                err("id_number", f"与第 {first} 行的身份证号重复：同一个人只登记一次")
        if errs:
            res.errors.extend(errs)
        else:
            res.rows.append(PersonRow(number, values, org[0], community[0] if community else None, tags, profile,
                                      grid[0] if grid else None))
        if progress and res.total % 2000 == 0:
            progress(res.total)
    _check_people_against_db(user, res)
    return res


def _validate_profile(raw: dict, tags: list[str], community, index: OrgIndex, today, err) -> dict | None:
    keys = ("branch", "joined_on", "full_member_on", "status", "work_unit")
    if not any(raw.get(k) for k in keys) and RoleTag.PARTY_MEMBER not in tags:
        return None
    data: dict = {}
    ok = True
    if not raw.get("branch"):
        err("branch", "党员需要填写所在支部")
        ok = False
    else:
        branch, problem = _resolve(index, raw["branch"], (P.VIEW_ORGS,), "党支部")
        if problem:
            err("branch", problem)
            ok = False
        elif branch[4] not in PARTY_KINDS:
            err("branch", f"“{raw['branch']}”不是党组织，不能作为党员所在支部")
            ok = False
        else:
            data["branch"] = branch
    for key in ("joined_on", "full_member_on"):
        if raw.get(key):
            try:
                data[key] = parse_date(raw[key])
            except ValueError:
                err(key, f"日期“{raw[key]}”无法识别，请填写如 2001-07-01")
                ok = False
    if raw.get("status"):
        status = MEMBER_STATUS_BY_LABEL.get(raw["status"])
        if status is None:
            err("status", f"党员状态“{raw['status']}”无效，可填：正式党员、预备党员、流动党员、失联党员、已转出")
            ok = False
        else:
            data["status"] = status
    if raw.get("work_unit"):
        unit, problem = _resolve(index, raw["work_unit"], (P.VIEW_ORGS,), "工作单位")
        if problem:
            err("work_unit", problem)
            ok = False
        else:
            data["work_unit"] = unit
            data["in_service"] = True
    if not ok:
        return {}
    # The one-record rules (dates in order, probationary without full date...) from people.services.
    check = {k: (_Stub(v) if isinstance(v, tuple) else v) for k, v in data.items()}
    if community is not None:
        check["home_community"] = _Stub(community)
    try:
        people_services.clean_profile(check)
    except DomainError as exc:
        err(exc.field if exc.field in PERSON_HEADERS else "status", exc.message)
        return {}
    out = {k: v for k, v in data.items() if k not in ("branch", "work_unit")}
    out["branch_id"] = data["branch"][0]
    out["work_unit_id"] = data["work_unit"][0] if "work_unit" in data else None
    out["home_community_id"] = community[0] if community is not None else None
    if out.get("status") == "lost_contact":
        out["lost_contact_since"] = today
    return out


class _Stub:
    """An organisation row as clean_profile sees it (name, kind, is_party_organization)."""

    def __init__(self, row):
        self.pk, self.name, self.kind = row[0], row[1], row[4]
        self.is_party_organization = row[4] in PARTY_KINDS


def _chunks(seq, size=500):
    seq = list(seq)
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _check_people_against_db(user, res: Result) -> None:
    """Drop rows that would duplicate an existing (not archived) person; add their errors."""
    items = [(r.row, r.values["name"], crypto.lookup_hash(r.values.get("id_number", "")), crypto.lookup_hash(r.values.get("phone", "")))
             for r in res.rows]
    errors = db_duplicates(user, items)
    if errors:
        bad = {e.row for e in errors}
        res.rows = [r for r in res.rows if r.row not in bad]
        res.errors.extend(errors)
        res.errors.sort(key=lambda e: e.row)


def db_duplicates(user, items: list[tuple[int, str, str, str]]) -> list[RowError]:
    """Errors for (row, name, ID-number hash, phone hash) that match an existing person, in batched queries."""
    from tongxin.people.selectors import visible_people

    by_id_hash: dict[str, int] = {}
    by_phone_hash: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row, name, id_hash, phone_hash in items:
        if id_hash:
            by_id_hash[id_hash] = row
        if phone_hash:
            by_phone_hash[phone_hash].append((row, name))
    hits: list[tuple[int, str, int, str, str]] = []
    live = Person.objects.filter(archived_at__isnull=True)
    for chunk in _chunks(by_id_hash):
        for pk, name, org_name, h in live.filter(id_number_hash__in=chunk).values_list("pk", "name", "organization__name", "id_number_hash"):
            hits.append((by_id_hash[h], "id_number", pk, name, org_name))
    for chunk in _chunks(by_phone_hash):
        for pk, name, org_name, h in live.filter(phone_hash__in=chunk).values_list("pk", "name", "organization__name", "phone_hash"):
            for row, row_name in by_phone_hash[h]:
                if row_name == name:
                    hits.append((row, "phone", pk, name, org_name))
    if not hits:
        return []
    visible = set(visible_people(user).filter(pk__in=[h[2] for h in hits]).values_list("pk", flat=True))
    out = []
    for row, why, pk, name, org_name in hits:
        who = f"“{name}”（{org_name}）" if pk in visible else "一名其他组织的人员"
        what = "身份证号" if why == "id_number" else "姓名和手机号"
        out.append(RowError(row, PERSON_HEADERS[why], f"{what}与已登记的{who}重复：同一个人只登记一次，请在原记录上增加角色"))
    return out


# --- between the dry run and the import ----------------------------------------------------------
# The dry run keeps its result as "prepared" rows: the values as they will be written, with phone,
# ID number and address already encrypted, hashed and masked (so no plain personal data is kept on
# disk between the two steps). The import re-checks only what can change meanwhile (organisations,
# scope, duplicates in the database), then writes.

_PROFILE_DATES = ("joined_on", "full_member_on", "lost_contact_since")


def prepare_people(rows: list[PersonRow]) -> list[dict]:
    out = []
    for r in rows:
        v = r.values
        sensitive = SimpleNamespace()  # apply_sensitive only sets the encrypted, hashed and masked attributes
        people_services.apply_sensitive(sensitive, v)
        person = {
            "name": v["name"], "sex": v.get("sex", ""), "ethnicity": v.get("ethnicity", ""), "education": v.get("education", ""),
            "note": v.get("note", ""), "birth_date": v["birth_date"].isoformat() if v.get("birth_date") else None,
            "organization_id": r.organization_id, "community_id": r.community_id, "grid_id": r.grid_id,
            "search_text": search_blob(v["name"]),
            **vars(sensitive),
        }
        profile = None
        if r.profile:
            profile = {k: (val.isoformat() if isinstance(val, dt.date) else val) for k, val in r.profile.items()}
        out.append({"row": r.row, "person": person, "tags": r.tags, "profile": profile})
    return out


def _load_dates(prepared: list[dict]) -> None:
    for item in prepared:
        if item["person"].get("birth_date"):
            item["person"]["birth_date"] = dt.date.fromisoformat(item["person"]["birth_date"])
        for key in _PROFILE_DATES:
            if item["profile"] and item["profile"].get(key):
                item["profile"][key] = dt.date.fromisoformat(item["profile"][key])


def recheck_people(user, prepared: list[dict]) -> list[RowError]:
    """What may have changed since the dry run: the organisations, the user's scope, people registered meanwhile."""
    index = OrgIndex(user)
    from tongxin.people.selectors import community_choices

    communities = set(community_choices(user).values_list("pk", flat=True))
    errors = []

    def check(row, key, pk, perms, what):
        org = index.by_id.get(pk)
        if org is None or org[5] is not None:
            errors.append(RowError(row, PERSON_HEADERS[key], f"{what}已被删除或归档"))
        elif not index.in_scope(org, *perms):
            errors.append(RowError(row, PERSON_HEADERS[key], f"{what}“{org[1]}”不在您的权限范围内"))

    grids = GridIndex(user).by_id
    for item in prepared:
        p, row = item["person"], item["row"]
        check(row, "organization", p["organization_id"], (P.MANAGE_PEOPLE, P.IMPORT_DATA), "所属组织")
        if p["community_id"] and p["community_id"] not in communities:
            errors.append(RowError(row, PERSON_HEADERS["community"], "所在社区已被删除、归档或不在您的权限范围内"))
        if p.get("grid_id") and p["grid_id"] not in grids:
            errors.append(RowError(row, PERSON_HEADERS["grid"], "所在网格已被删除或不在您的权限范围内"))
        if item["profile"]:
            check(row, "branch", item["profile"]["branch_id"], (P.VIEW_ORGS,), "所在支部")
            if item["profile"].get("work_unit_id"):
                check(row, "work_unit", item["profile"]["work_unit_id"], (P.VIEW_ORGS,), "工作单位")
    errors += db_duplicates(user, [(i["row"], i["person"]["name"], i["person"]["id_number_hash"], i["person"]["phone_hash"])
                                   for i in prepared])
    return sorted(errors, key=lambda e: e.row)


def write_people(user, prepared: list[dict], *, reason: str) -> list[int]:
    """Create the people, their roles and party profiles, with history rows. Caller holds the transaction."""
    _load_dates(prepared)
    if not fast_path():
        return _write_people_orm(user, prepared, reason=reason)
    now = timezone.now()
    today = timezone.localdate()
    ids = _reserve_ids(Person, len(prepared))
    people, roles, profiles = [], [], []
    for item, pk in zip(prepared, ids, strict=True):
        people.append({"id": pk, "grid_id": None, "archived_at": None, "created_at": now, "updated_at": now, **item["person"]})
        profile = item["profile"]
        for tag in item["tags"]:
            org_id = profile["branch_id"] if (tag == RoleTag.PARTY_MEMBER and profile) else None
            grid_id = item["person"].get("grid_id") if tag in GRID_TAGS else None
            roles.append({"person_id": pk, "tag": tag, "organization_id": org_id, "grid_id": grid_id, "since": today, "until": None})
        if profile:
            profiles.append({"person_id": pk, "lost_contact_since": None, "in_service": False, "work_unit_id": None,
                             "home_community_id": None, "is_central_household": False, "status": "full", **profile})
    for row, pk in zip(roles, _reserve_ids(PersonRole, len(roles)), strict=True):
        row["id"] = pk
    for row, pk in zip(profiles, _reserve_ids(PartyMemberProfile, len(profiles)), strict=True):
        row["id"] = pk
    _insert_with_history(Person, people, user=user, reason=reason, now=now)
    _insert_with_history(PersonRole, roles, user=user, reason=reason, now=now)
    _insert_with_history(PartyMemberProfile, profiles, user=user, reason=reason, now=now)
    return ids


def _write_people_orm(user, prepared: list[dict], *, reason: str) -> list[int]:
    """The same through bulk_create, for database backends without the fast path."""
    now = timezone.now()
    today = timezone.localdate()
    people = [Person(created_at=now, **item["person"]) for item in prepared]
    Person.objects.bulk_create(people, batch_size=BATCH)
    Person.history.bulk_history_create(people, batch_size=BATCH, default_user=user, default_change_reason=reason, default_date=now)
    roles, profiles = [], []
    for item, person in zip(prepared, people, strict=True):
        profile = item["profile"]
        for tag in item["tags"]:
            org_id = profile["branch_id"] if (tag == RoleTag.PARTY_MEMBER and profile) else None
            roles.append(PersonRole(person_id=person.pk, tag=tag, organization_id=org_id, since=today,
                                    grid_id=person.grid_id if tag in GRID_TAGS else None))
        if profile:
            profiles.append(PartyMemberProfile(person_id=person.pk, **profile))
    PersonRole.objects.bulk_create(roles, batch_size=BATCH)
    PersonRole.history.bulk_history_create(roles, batch_size=BATCH, default_user=user, default_change_reason=reason, default_date=now)
    PartyMemberProfile.objects.bulk_create(profiles, batch_size=BATCH)
    PartyMemberProfile.history.bulk_history_create(profiles, batch_size=BATCH, default_user=user, default_change_reason=reason,
                                                   default_date=now)
    return [p.pk for p in people]


# --- organisations -------------------------------------------------------------------------------

@dataclass
class OrgRow:
    row: int
    data: dict
    parent_id: int | None  # an existing organisation
    parent_row: int | None  # or another row of the file


def validate_organizations(user, rows: Iterable[tuple[int, dict]], *, progress: Callable[[int], None] | None = None) -> Result:
    from tongxin.orgs.services import _clean_org_data

    index = OrgIndex(user)
    res = Result()
    parsed: list[tuple[int, dict, str]] = []
    file_names: dict[str, list[int]] = defaultdict(list)
    file_codes: dict[str, int] = {}
    errors: dict[int, list[RowError]] = defaultdict(list)

    def err(number, key, message):
        errors[number].append(RowError(number, ORG_HEADERS[key], message))

    for number, raw in rows:
        res.total += 1
        name = raw.get("name", "")
        kind = ""
        if raw.get("kind"):
            kind = ORG_KIND_BY_LABEL.get(raw["kind"], "")
            if not kind:
                err(number, "kind", f"组织类型“{raw['kind']}”无效，可填：{'、'.join(ORG_KIND_LABELS.values())}")
        else:
            err(number, "kind", "组织类型不能为空")
        data = {k: raw.get(k, "") for k in ("name", "short_name", "code", "original_affiliation", "address", "contact_name", "description")}
        data["kind"] = kind or OrgKind.BRANCH
        try:
            data = _clean_org_data(data)
        except DomainError as exc:
            err(number, exc.field if exc.field in ORG_HEADERS else "name", exc.message)
        for key, limit in (("short_name", 40), ("code", 40), ("original_affiliation", 200), ("address", 200), ("contact_name", 40)):
            if len(data.get(key) or "") > limit:
                err(number, key, f"不能超过 {limit} 个字")
        if name:
            file_names[name].append(number)
        code = data.get("code") or ""
        if code:
            first = file_codes.setdefault(code, number)
            if first != number:
                err(number, "code", f"与第 {first} 行的组织代码重复")
            elif index.by_code.get(code):
                err(number, "code", f"组织代码“{code}”已被“{index.by_code[code][0][1]}”使用")
        parsed.append((number, data, raw.get("parent", "")))
        if progress and res.total % 2000 == 0:
            progress(res.total)

    row_by_code = {c: n for c, n in file_codes.items()}
    resolved: dict[int, OrgRow] = {}
    for number, data, parent_text in parsed:
        parent_id = parent_row = None
        if not parent_text:
            if not getattr(user, "is_superuser", False):
                err(number, "parent", "上级组织不能为空：只能在您管理的组织之下导入")
        else:
            in_file = row_by_code.get(parent_text) or (file_names.get(parent_text) or [None])[0]
            existing = index.by_code.get(parent_text) or [r for r in index.by_name.get(parent_text, []) if r[5] is None]
            if in_file and existing:
                err(number, "parent", f"上级组织“{parent_text}”既是已有组织，又是本表中的一行：请改填组织代码以区分")
            elif in_file:
                if len(file_names.get(parent_text, [])) > 1 and parent_text not in row_by_code:
                    err(number, "parent", f"本表中有多行名为“{parent_text}”，无法确定上级组织")
                elif in_file == number:
                    err(number, "parent", "上级组织不能是它自己")
                else:
                    parent_row = in_file
            else:
                parent, problem = _resolve(index, parent_text, (P.MANAGE_ORGS, P.IMPORT_DATA), "上级组织")
                if problem:
                    err(number, "parent", problem)
                else:
                    parent_id = parent[0]
                    if (parent_id, data.get("name")) in index.children_names:
                        err(number, "name", f"“{parent[1]}”下已有名为“{data.get('name')}”的组织")
        resolved[number] = OrgRow(number, data, parent_id, parent_row)

    # Same name under the same parent inside the file.
    seen_pair: dict[tuple, int] = {}
    for r in resolved.values():
        key = (r.parent_id, r.parent_row, r.data.get("name"))
        first = seen_pair.setdefault(key, r.row)
        if first != r.row and r.data.get("name"):
            err(r.row, "name", f"与第 {first} 行重复：同一上级组织下已有同名组织")

    # Cycles among rows of the file (a → b → a): each row on a cycle is named.
    state: dict[int, int] = {}
    for start in resolved:
        path, node = [], start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = resolved[node].parent_row if node in resolved else None
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node):]
            chain = " → ".join(f"第 {n} 行" for n in [*cycle, node])
            for n in cycle:
                err(n, "parent", f"上级组织关系成环（{chain}）：组织树不能成环")
        for n in path:
            state[n] = 2

    res.rows = [r for n, r in resolved.items() if n not in errors]
    res.errors = sorted((e for errs in errors.values() for e in errs), key=lambda e: e.row)
    return res


def prepare_organizations(rows: list[OrgRow]) -> list[dict]:
    return [{"row": r.row, "data": r.data, "parent_id": r.parent_id, "parent_row": r.parent_row} for r in rows]


def recheck_organizations(user, prepared: list[dict]) -> list[RowError]:
    """What may have changed since the dry run: parents archived or out of scope, names or codes taken meanwhile."""
    index = OrgIndex(user)
    errors = []
    for item in prepared:
        row, data, parent_id = item["row"], item["data"], item["parent_id"]
        if parent_id:
            parent = index.by_id.get(parent_id)
            if parent is None or parent[5] is not None:
                errors.append(RowError(row, ORG_HEADERS["parent"], "上级组织已被删除或归档"))
            elif not index.in_scope(parent, P.MANAGE_ORGS, P.IMPORT_DATA):
                errors.append(RowError(row, ORG_HEADERS["parent"], f"上级组织“{parent[1]}”不在您的权限范围内"))
            elif (parent_id, data["name"]) in index.children_names:
                errors.append(RowError(row, ORG_HEADERS["name"], f"“{parent[1]}”下已有名为“{data['name']}”的组织"))
        if data.get("code") and index.by_code.get(data["code"]):
            errors.append(RowError(row, ORG_HEADERS["code"], f"组织代码“{data['code']}”已被“{index.by_code[data['code']][0][1]}”使用"))
    return errors


def write_organizations(user, prepared: list[dict], *, reason: str) -> list[int]:
    """Create organisations with their materialised paths (ids reserved first, so paths are known up front)."""
    rows = [OrgRow(i["row"], i["data"], i["parent_id"], i["parent_row"]) for i in prepared]
    if not fast_path():
        return _write_organizations_orm(user, rows, reason=reason)
    now = timezone.now()
    ids = _reserve_ids(Organization, len(rows))
    pk_of = {r.row: pk for r, pk in zip(rows, ids, strict=True)}
    by_row = {r.row: r for r in rows}
    parents = {pk: (path, depth) for pk, path, depth in Organization.objects.filter(
        pk__in={r.parent_id for r in rows if r.parent_id}).values_list("pk", "path", "depth")}
    placed: dict[int, tuple[str, int]] = {}

    def place(row_number: int) -> tuple[str, int]:
        chain = []
        n = row_number
        while n not in placed:  # walk up to an existing organisation or a row already placed (no recursion)
            chain.append(n)
            r = by_row[n]
            if r.parent_row is None:
                break
            n = r.parent_row
        for n in reversed(chain):
            r = by_row[n]
            if r.parent_row is not None:
                ppath, pdepth = placed[r.parent_row]
            elif r.parent_id:
                ppath, pdepth = parents[r.parent_id]
            else:
                ppath, pdepth = "/", -1
            placed[n] = (f"{ppath}{pk_of[n]}/", pdepth + 1)
        return placed[row_number]

    out = []
    kind_labels = dict(OrgKind.choices)
    for r in rows:
        path, depth = place(r.row)
        d = r.data
        parent_id = r.parent_id if r.parent_row is None else pk_of[r.parent_row]
        out.append({
            "id": pk_of[r.row], "name": d["name"], "short_name": d.get("short_name", ""), "kind": d["kind"], "code": d.get("code", ""),
            "parent_id": parent_id, "path": path, "depth": depth, "original_affiliation": d.get("original_affiliation", ""),
            "address": d.get("address", ""), "contact_name": d.get("contact_name", ""), "description": d.get("description", ""),
            "party_instructor_id": None, "archived_at": None, "archived_reason": "", "created_at": now,
            "search_text": search_blob(d["name"], d.get("short_name"), d.get("code"), d.get("original_affiliation"),
                                       str(kind_labels[d["kind"]])),
        })
    _insert_with_history(Organization, out, user=user, reason=reason, now=now)
    return ids


def _write_organizations_orm(user, rows: list[OrgRow], *, reason: str) -> list[int]:
    """Parent-first, layer by layer, through bulk_create, for backends without the fast path."""
    now = timezone.now()
    created: dict[int, Organization] = {}
    parents = {pk: (path, depth) for pk, path, depth in Organization.objects.filter(
        pk__in={r.parent_id for r in rows if r.parent_id}).values_list("pk", "path", "depth")}
    pending = list(rows)
    all_orgs: list[Organization] = []
    while pending:
        layer = [r for r in pending if r.parent_row is None or r.parent_row in created]
        if not layer:  # cannot happen after validation; refuse rather than loop
            raise DomainError("上级组织关系成环，导入已取消")
        placed = {r.row for r in layer}
        pending = [r for r in pending if r.row not in placed]
        objs = []
        for r in layer:
            parent_id = r.parent_id if r.parent_row is None else created[r.parent_row].pk
            org = Organization(parent_id=parent_id, created_at=now, **r.data)
            org.search_text = search_blob(org.name, org.short_name, org.code, org.original_affiliation, org.get_kind_display())
            objs.append(org)
        Organization.objects.bulk_create(objs, batch_size=BATCH)
        for r, org in zip(layer, objs, strict=True):
            if r.parent_row is None:
                ppath, pdepth = parents[r.parent_id] if r.parent_id else (None, -1)
            else:
                parent = created[r.parent_row]
                ppath, pdepth = parent.path, parent.depth
            org.path = f"{ppath}{org.pk}/" if ppath else f"/{org.pk}/"
            org.depth = pdepth + 1
            created[r.row] = org
        Organization.objects.bulk_update(objs, ["path", "depth"], batch_size=BATCH)
        all_orgs.extend(objs)
    Organization.history.bulk_history_create(all_orgs, batch_size=BATCH, default_user=user, default_change_reason=reason, default_date=now)
    return [o.pk for o in all_orgs]


def id_ranges(ids: list[int]) -> list[list[int]]:
    """[1,2,3,7,8] → [[1,3],[7,8]]: the ids of a job, compact enough for one event."""
    out: list[list[int]] = []
    for i in sorted(ids):
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def scope_root(user) -> Organization | None:
    """The organisation an import's event is filed under (for scoped audits): the user's first import scope."""
    paths = scope_paths(user, P.IMPORT_DATA)
    if paths == ALL or not paths:
        return None
    pk = int(paths[0].strip("/").split("/")[-1])
    return Organization.objects.filter(pk=pk).first()


def job_event(*, job, user, ids: list[int], model) -> Event:
    from tongxin.audit import events

    return events.record(
        actor=user, verb=f"dataio.imported_{job.kind}", target=job, organization=scope_root(user),
        reason=f"Excel 导入（任务 #{job.pk}，文件“{job.original_name}”）",
        payload={"kind": job.kind, "count": len(ids), "model": model._meta.label_lower, "ids": id_ranges(ids)},
    )


def organizations_q(paths) -> Q:
    if paths == ALL:
        return Q()
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return q


# --- fast inserts -----------------------------------------------------------------------------------
# bulk_create builds a model instance per row and prepares every value through the field API; on
# 100,000 people (≈ 500,000 rows with roles, profiles and their history) that alone took minutes on
# our test machine. Here rows are plain dicts, ids are reserved up front (so history rows and
# children can point at them) and each table gets one executemany. Dates and datetimes go through the
# backend's own adapters, so what lands in the table is what the ORM would have written.

def _reserve_ids(model, n: int) -> list[int]:
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return [row[0] for row in cur.fetchall()]
        # SQLite: the import transaction holds the write lock, so nobody takes these ids meanwhile.
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        top = cur.fetchone()[0]
        cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cur.fetchone()
        start = max(top, row[0] if row else 0) + 1
        return list(range(start, start + n))


def _columns(model, *, skip_auto: bool):
    """(column names, [(attname, converter, default)]) for a model's table."""
    ops = connection.ops
    cols, spec = [], []
    for f in model._meta.concrete_fields:
        if skip_auto and f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"):
            continue
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            conv = ops.adapt_datetimefield_value
        elif kind == "DateField":
            conv = ops.adapt_datefield_value
        else:
            conv = None
        default = f.get_default() if f.has_default() or f.null or f.blank else None
        cols.append(f.column)
        spec.append((f.attname, conv, default))
    return cols, spec


def _insert_many(model, rows: list[dict], *, skip_auto: bool = False) -> None:
    if not rows:
        return
    cols, spec = _columns(model, skip_auto=skip_auto)
    qn = connection.ops.quote_name
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
    plain = [(attname, default) for attname, _conv, default in spec]
    converted = [(i, conv, {}) for i, (_a, conv, _d) in enumerate(spec) if conv is not None]
    params = []
    for row in rows:
        values = [row.get(attname, default) for attname, default in plain]
        for i, conv, memo in converted:  # the same few dates and "now" repeat: adapt each once
            value = values[i]
            if value is not None:
                out = memo.get(value)
                if out is None:
                    out = memo[value] = conv(value)
                values[i] = out
        params.append(values)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one command: much faster than executemany's one statement per row.
            copy_sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) FROM STDIN"
            with cur.cursor.copy(copy_sql) as copy:
                for values in params:
                    copy.write_row(values)
            return
        for i in range(0, len(params), 5000):
            cur.executemany(sql, params[i : i + 5000])


def _insert_with_history(model, rows: list[dict], *, user, reason: str, now) -> None:
    """Insert `rows` (ids set) and one "created" history row for each."""
    _insert_many(model, rows)
    history = model.history.model
    tracked = {f.attname for f in history._meta.concrete_fields}
    extra = {"history_date": now, "history_change_reason": reason, "history_type": "+", "history_user_id": getattr(user, "pk", None)}
    _insert_many(history, [{**{k: v for k, v in row.items() if k in tracked}, **extra} for row in rows], skip_auto=True)


def refresh_statistics(kind: str, count: int) -> None:
    """After a large load, let PostgreSQL's planner see the new rows now rather than at the next autovacuum."""
    if connection.vendor != "postgresql" or count < 1000:
        return
    tables = ["people_person", "people_personrole", "people_partymemberprofile"] if kind == "people" else ["orgs_organization"]
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def fast_path() -> bool:
    return connection.vendor in ("sqlite", "postgresql")
