"""Reads on organisations, always scoped to what the user may see."""

from django.db.models import Q, QuerySet

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ALL, scope_paths, scope_q
from tongxin.core.errors import NotFound
from tongxin.core.text import normalize_for_search

from .models import Alliance, AllianceMembership, Organization


def visible_organizations(user, *, include_archived: bool = False) -> QuerySet[Organization]:
    qs = Organization.objects.filter(scope_q(user, P.VIEW_ORGS))
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs


def search_organizations(user, *, q: str = "", kind: str = "", include_archived: bool = False) -> QuerySet[Organization]:
    qs = visible_organizations(user, include_archived=include_archived)
    for term in normalize_for_search(q).split():
        qs = qs.filter(search_text__contains=term)
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
