"""Reads on organisations, always scoped to what the user may see."""

import datetime as dt

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Collate
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ALL, has_perm, scope_paths, scope_q
from tongxin.core.errors import NotFound
from tongxin.core.search import filter_words

from .models import Alliance, AllianceMembership, Department, DutyChairTerm, Organization


def visible_organizations(user, *, include_archived: bool = False) -> QuerySet[Organization]:
    qs = Organization.objects.filter(scope_q(user, P.VIEW_ORGS))
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs


def search_organizations(user, *, q: str = "", kind: str = "", include_archived: bool = False) -> QuerySet[Organization]:
    qs = visible_organizations(user, include_archived=include_archived)
    qs = filter_words(qs, q)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("parent")


def get_organization(user, pk) -> Organization:
    org = visible_organizations(user, include_archived=True).filter(pk=pk).select_related("parent").first()
    if org is None:
        raise NotFound()
    return org


def manageable_organizations(user, perm: str = P.MANAGE_ORGS) -> QuerySet[Organization]:
    return Organization.objects.filter(scope_q(user, perm), archived_at__isnull=True)


def communities(user) -> QuerySet[Organization]:
    return visible_organizations(user).filter(kind="community_committee")


def visible_alliances(user) -> QuerySet[Alliance]:
    """Alliances whose core organisation, or one of whose members, the user can see."""
    paths = scope_paths(user, P.VIEW_ORGS)
    if paths == ALL:
        return Alliance.objects.all()
    if not paths:
        return Alliance.objects.none()
    org_ids = Organization.objects.filter(scope_q(user, P.VIEW_ORGS)).values("pk")
    return Alliance.objects.filter(
        Q(core_organization__in=org_ids) | Q(memberships__organization__in=org_ids, memberships__left_on__isnull=True)
    ).distinct()


def get_alliance(user, pk) -> Alliance:
    alliance = visible_alliances(user).filter(pk=pk).select_related("core_organization").first()
    if alliance is None:
        raise NotFound()
    return alliance


def memberships(alliance: Alliance, *, active_only: bool = True) -> QuerySet[AllianceMembership]:
    qs = alliance.memberships.select_related("organization", "liaison", "committee_member")
    return qs.filter(left_on__isnull=True) if active_only else qs


def ancestors(org: Organization) -> list[Organization]:
    ids = [int(x) for x in org.path.strip("/").split("/") if x][:-1]
    by_id = Organization.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


# --- pages and API ------------------------------------------------------------------------


def can_manage(user, org: Organization) -> bool:
    return has_perm(user, P.MANAGE_ORGS, org)


def can_manage_alliance(user, alliance: Alliance) -> bool:
    return has_perm(user, P.MANAGE_ALLIANCE, alliance.core_organization)


def can_create_alliance(user) -> bool:
    return has_perm(user, P.MANAGE_ALLIANCE)


def organization_list(user, *, q: str = "", kind: str = "", parent: Organization | None = None,
                      include_archived: bool = False) -> QuerySet[Organization]:
    """The tree in path order (so children follow their parent), optionally below one organisation."""
    qs = search_organizations(user, q=q, kind=kind, include_archived=include_archived)
    if parent is not None:
        qs = qs.filter(parent=parent)
    return qs.order_by(tree_order(), "pk")


def tree_order():
    """Order by materialised path byte-wise, so a subtree follows its root ("/" sorts before digits).

    PostgreSQL's locale collations ignore punctuation, which would interleave subtrees."""
    if connection.vendor == "postgresql":
        return Collate("path", "C")
    return F("path")


def children(user, org: Organization, *, include_archived: bool = False) -> QuerySet[Organization]:
    return visible_organizations(user, include_archived=include_archived).filter(parent=org).order_by("name", "pk")


def visible_ancestors(user, org: Organization) -> list[Organization]:
    """The parent chain shown as a breadcrumb: the ancestors outside the scope are named but not linked."""
    out = ancestors(org)
    for a in out:
        a.visible = has_perm(user, P.VIEW_ORGS, a)
    return out


def people_count(user, org: Organization) -> int:
    """People kept by, or living in, the organisation or below it: the same rows /people/?organization= lists."""
    from tongxin.people.selectors import search_people

    return search_people(user, organization=org).count()


def grids_of(user, org: Organization):
    from tongxin.grids.selectors import visible_grids

    return visible_grids(user).filter(organization=org).order_by("level", "code")


def active_memberships_of(org: Organization) -> QuerySet[AllianceMembership]:
    return org.alliance_memberships.filter(left_on__isnull=True).select_related("alliance")


def parent_choices(user, *, exclude: Organization | None = None) -> QuerySet[Organization]:
    """Where the user may create or move an organisation (not into its own subtree)."""
    qs = manageable_organizations(user).order_by(tree_order())
    if exclude is not None:
        qs = qs.exclude(path__startswith=exclude.path)
    return qs


def alliance_core_choices(user) -> QuerySet[Organization]:
    return manageable_organizations(user, P.MANAGE_ALLIANCE).order_by(tree_order())


def alliance_list(user) -> QuerySet[Alliance]:
    return visible_alliances(user).select_related("core_organization").annotate(
        member_count=Count("memberships", filter=Q(memberships__left_on__isnull=True), distinct=True)
    ).order_by("name", "pk")


def alliance_member_choices(user, alliance: Alliance) -> QuerySet[Organization]:
    """Organisations that may join: visible, not archived, not already an active member."""
    current = alliance.memberships.filter(left_on__isnull=True).values("organization_id")
    return visible_organizations(user).exclude(pk__in=current).order_by(tree_order())


def active_member_organizations(alliance: Alliance) -> QuerySet[Organization]:
    ids = alliance.memberships.filter(left_on__isnull=True).values("organization_id")
    return Organization.objects.filter(pk__in=ids).order_by(tree_order())


ROLE_RANK = {"core": 0, "community": 1, "member_unit": 2}


def member_table(alliance: Alliance) -> list[AllianceMembership]:
    """Every membership, current ones first: the core, then communities, then member units by joining date."""
    rows = list(memberships(alliance, active_only=False))
    rows.sort(key=lambda m: (m.left_on is not None, ROLE_RANK.get(m.role, 9), m.joined_on, m.pk))
    return rows


def get_membership(alliance: Alliance, pk) -> AllianceMembership:
    m = alliance.memberships.filter(pk=pk).select_related("organization", "liaison", "committee_member").first()
    if m is None:
        raise NotFound("成员单位记录不存在")
    return m


def get_department(alliance: Alliance, pk) -> Department:
    d = alliance.departments.filter(pk=pk).select_related("head").first()
    if d is None:
        raise NotFound("工作部不存在")
    return d


def duty_chairs(alliance: Alliance, today: dt.date | None = None) -> list[DutyChairTerm]:
    """The rotation in date order; the term covering today carries `is_current`."""
    today = today or timezone.localdate()
    terms = list(alliance.duty_chairs.select_related("organization").order_by("starts_on"))
    for t in terms:
        t.is_current = t.starts_on <= today <= t.ends_on
    return terms


def departments(alliance: Alliance) -> QuerySet[Department]:
    return alliance.departments.select_related("head").order_by("name")


def person_choices(user, *, q: str = "", organization: Organization | None = None, limit: int = 50):
    """People a picker offers: visible to the user, optionally of one organisation, matching a name."""
    from tongxin.people.selectors import search_people

    qs = search_people(user, q=q, organization=organization).select_related("organization").order_by("name", "pk")
    return qs[:limit]


def visible_person(user, pk):
    """A person the user may pick (or None)."""
    from tongxin.people.selectors import visible_people

    return visible_people(user).filter(pk=pk).first()
