"""Reads on accounts: an admin sees the logins holding a role inside their scope."""

from django.db.models import Prefetch, Q, QuerySet

from tongxin.core.errors import NotFound
from tongxin.core.text import normalize_for_search
from tongxin.orgs.models import Organization

from . import permissions as P
from .models import RoleAssignment, User
from .scope import scope_q


def manageable_users(user, *, q: str = "") -> QuerySet[User]:
    orgs = Organization.objects.filter(scope_q(user, P.MANAGE_ORGS)).values("pk")
    qs = User.objects.filter(role_assignments__organization__in=orgs).distinct()
    q = (q or "").strip()
    if q:
        folded = normalize_for_search(q)
        qs = qs.filter(Q(username__icontains=q) | Q(person__search_text__contains=folded))
    roles = RoleAssignment.objects.select_related("organization").order_by("organization__path", "role")
    return qs.select_related("person").prefetch_related(Prefetch("role_assignments", queryset=roles)).order_by("username")


def get_manageable_user(user, pk) -> User:
    found = manageable_users(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def get_assignment(user, target: User, pk) -> RoleAssignment:
    assignment = target.role_assignments.filter(pk=pk).select_related("organization").first()
    if assignment is None:
        raise NotFound()
    return assignment
