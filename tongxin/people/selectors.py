"""Reads on people, always scoped: a person is visible where the record is kept or where
they live, and always to themselves."""

from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ALL, has_perm, scope_paths
from tongxin.core.crypto import lookup_hash
from tongxin.core.errors import NotFound
from tongxin.core.text import normalize_for_search
from tongxin.core.validators import ID_RE, MOBILE_RE, normalize_phone
from tongxin.orgs.models import Organization, OrgKind

from .models import PartyMemberProfile, Person, PersonRole

# Organisation kinds that keep person records (party branches keep members through profiles).
_BRANCH_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.JOINT_BRANCH, OrgKind.PARTY_GROUP)


def _paths_q(paths: list[str]) -> Q:
    return reduce(or_, (Q(path__startswith=p) for p in paths))


def people_scope_q(user) -> Q:
    """Rows kept by, or living in, an organisation of the user's scope, plus the user's own record.

    The organisations are resolved in a sub-select on the (small) organisation table, so the
    person table is filtered on its foreign keys instead of joining the organisation table twice.
    """
    paths = scope_paths(user, P.VIEW_PEOPLE)
    if paths == ALL:
        return Q()
    own = Q(pk=user.person_id) if getattr(user, "person_id", None) else Q(pk__in=[])
    if not paths:
        return own
    shape = _scope_shape(user, paths)
    if shape == "everything":
        return Q()  # the scope holds every organisation, so every record is kept inside it
    org_ids = Organization.objects.filter(_paths_q(paths)).values("pk")
    if shape == "wide" and connection.vendor == "sqlite":
        # SQLite would answer "organization_id IN (…) OR community_id IN (…)" by walking both
        # indexes once per organisation, which is slower than one scan when the scope is wide.
        # "+ 0" hides the indexes from its planner (measured: 255 ms → 25 ms on 100,000 people).
        return Q(_tx_org__in=org_ids) | Q(_tx_com__in=org_ids) | own
    if shape == "narrow" and connection.vendor == "postgresql":
        # A sub-select under OR becomes a "hashed SubPlan" filter on a full (parallel) scan of the
        # person table; a literal id list lets PostgreSQL OR two index scans instead (measured on
        # 100,000 people: p95 130 ms → see bench/README.md). A narrow scope is a few hundred ids.
        org_ids = list(org_ids.values_list("pk", flat=True))
    return Q(organization_id__in=org_ids) | Q(community_id__in=org_ids) | own


def _scope_shape(user, paths: list[str]) -> str:
    """"everything", "wide" or "narrow": how much of the organisation table the scope covers."""
    cache = getattr(user, "_tx_people_scope_shape", None)
    if cache is not None and cache[0] == paths:
        return cache[1]
    inside = Organization.objects.filter(_paths_q(paths)).count()
    outside = Organization.objects.exclude(_paths_q(paths)).count()
    shape = "everything" if outside == 0 else ("wide" if inside * 5 >= inside + outside else "narrow")
    user._tx_people_scope_shape = (paths, shape)
    return shape


def _people_scope_is_narrow(user) -> bool:
    paths = scope_paths(user, P.VIEW_PEOPLE)
    if paths == ALL or not paths:
        return paths != ALL
    return _scope_shape(user, paths) == "narrow"


def _scoped(qs: QuerySet[Person]) -> QuerySet[Person]:
    if connection.vendor == "sqlite":
        qs = qs.alias(_tx_org=F("organization_id") + 0, _tx_com=F("community_id") + 0)
    return qs


def visible_people(user, *, include_archived: bool = False) -> QuerySet[Person]:
    if not user or not user.is_authenticated:
        return Person.objects.none()
    qs = _scoped(Person.objects.all()).filter(people_scope_q(user))
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs


def visible_person_ids(user, ids) -> set[int]:
    """Which of `ids` the user may open (to link a name only where the record is visible)."""
    ids = [i for i in ids if i]
    if not ids:
        return set()
    return set(visible_people(user, include_archived=True).filter(pk__in=ids).values_list("pk", flat=True))


def active_roles_prefetch() -> Prefetch:
    return Prefetch(
        "roles",
        queryset=PersonRole.objects.filter(until__isnull=True).select_related("organization", "grid").order_by("tag", "id"),
        to_attr="active_roles",
    )


def search_people(user, *, q: str = "", tag: str = "", organization=None, include_archived: bool = False) -> QuerySet[Person]:
    """The user's people matching a name (traditional or simplified), or exactly a phone or ID number.

    Name terms filter `search_text LIKE '%term%'`, which a pg_trgm GIN index serves on PostgreSQL.
    """
    qs = visible_people(user, include_archived=include_archived)
    q = (q or "").strip()
    if q:
        phone = normalize_phone(q)
        if MOBILE_RE.match(phone):
            qs = qs.filter(phone_hash=lookup_hash(phone))
        elif ID_RE.match(q.upper()):
            qs = qs.filter(id_number_hash=lookup_hash(q.upper()))
        else:
            for term in normalize_for_search(q).split():
                qs = qs.filter(search_text__contains=term)
    if tag:
        current = PersonRole.objects.filter(tag=tag, until__isnull=True)
        if _people_scope_is_narrow(user):
            qs = qs.filter(Exists(current.filter(person=OuterRef("pk"))))  # a few probes per row in scope
        else:
            qs = qs.filter(pk__in=current.values("person_id"))  # one pass over the tag's (partial) index
    if organization is not None:
        org_ids = Organization.objects.filter(path__startswith=organization.path).values("pk")
        qs = qs.filter(Q(organization_id__in=org_ids) | Q(community_id__in=org_ids))
    # Prefetched, not joined: with a join SQLite's planner walks the organisation table first
    # and reads the person table in index order (measured 10× slower on 100,000 people).
    return qs.prefetch_related("organization", "community")


def list_page_queryset(qs: QuerySet[Person]) -> QuerySet[Person]:
    """What a list row needs, in a constant number of queries."""
    return qs.prefetch_related(active_roles_prefetch())


def get_person(user, pk) -> Person:
    person = visible_people(user, include_archived=True).filter(pk=pk).select_related(
        "organization", "community", "grid"
    ).first()
    if person is None:
        raise NotFound("人员不存在或不在您的权限范围内")
    return person


def person_roles(person: Person) -> list[PersonRole]:
    """All roles, current first, with where they apply."""
    return list(person.roles.select_related("organization", "grid").order_by("until", "tag", "id"))


def party_profile(person: Person) -> PartyMemberProfile | None:
    return (
        PartyMemberProfile.objects.filter(person=person)
        .select_related("branch", "work_unit", "home_community")
        .first()
    )


def get_role(person: Person, pk) -> PersonRole:
    role = PersonRole.objects.filter(person=person, pk=pk).select_related("person__organization").first()
    if role is None:
        raise NotFound("角色不存在")
    return role


# --- permissions on one person (for showing buttons; services check again) ---------------

def can_manage(user, person: Person) -> bool:
    return has_perm(user, P.MANAGE_PEOPLE, person.organization)


def can_reveal(user, person: Person) -> bool:
    if not user or not user.is_authenticated:
        return False
    if getattr(user, "person_id", None) == person.pk:
        return True
    if has_perm(user, P.REVEAL_PEOPLE, person.organization):
        return True
    return bool(person.community_id and has_perm(user, P.REVEAL_PEOPLE, person.community))


# --- choices for forms and API references ------------------------------------------------

def organizations_for_people(user) -> QuerySet[Organization]:
    """Organisations where the user may keep (create, move) person records."""
    return Organization.objects.filter(archived_at__isnull=True).filter(_scope_orgs_q(user, P.MANAGE_PEOPLE)).order_by("path")


def filter_organizations(user, limit: int = 500) -> QuerySet[Organization]:
    """Organisations offered in the list filter: the visible ones that keep records (not branches)."""
    qs = Organization.objects.filter(archived_at__isnull=True).filter(_scope_orgs_q(user, P.VIEW_PEOPLE))
    return qs.exclude(kind__in=_BRANCH_KINDS).order_by("path")[:limit]


def visible_people_org(user, pk) -> Organization | None:
    """An organisation the user may filter people by (any in their people scope)."""
    return Organization.objects.filter(_scope_orgs_q(user, P.VIEW_PEOPLE), pk=pk).first()


def community_choices(user) -> QuerySet[Organization]:
    """Home communities a user may pick: every active community under the same street tree(s).

    A unit's in-service members live, and report, in communities other than the unit's, so the
    choice is wider than the user's own scope; community names are not personal data.
    """
    qs = Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE, archived_at__isnull=True).order_by("path")
    paths = _union_paths(user)
    if paths == ALL:
        return qs
    roots = sorted({"/" + p.strip("/").split("/")[0] + "/" for p in paths})
    if not roots:
        return qs.none()
    return qs.filter(_paths_q(roots))


def branch_choices(user) -> QuerySet[Organization]:
    """Party organisations the user can see (a member's branch)."""
    from tongxin.orgs.models import PARTY_KINDS

    return Organization.objects.filter(_scope_orgs_q(user, P.VIEW_ORGS), kind__in=PARTY_KINDS, archived_at__isnull=True).order_by("path")


def org_choices(user) -> QuerySet[Organization]:
    """Organisations the user can see (team or unit of a role, work unit)."""
    return Organization.objects.filter(_scope_orgs_q(user, P.VIEW_ORGS), archived_at__isnull=True).order_by("path")


def grid_choices(user):
    from tongxin.grids.selectors import visible_grids

    return visible_grids(user).filter(level__gte=3).order_by("code")


def _scope_orgs_q(user, perm: str) -> Q:
    paths = scope_paths(user, perm)
    if paths == ALL:
        return Q()
    if not paths:
        return Q(pk__in=[])
    return _paths_q(paths)


def _union_paths(user):
    out = set()
    for perm in (P.VIEW_PEOPLE, P.MANAGE_PEOPLE, P.VIEW_ORGS):
        paths = scope_paths(user, perm)
        if paths == ALL:
            return ALL
        out.update(paths)
    return out
