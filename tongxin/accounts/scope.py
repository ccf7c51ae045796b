"""Scope: the organisation subtrees where a user holds a permission.

Every selector filters through here, so pages, exports and the API see the same rows.
"""

from django.db.models import Q

from tongxin.core.errors import PermissionDenied

from .models import RoleAssignment
from .permissions import ROLE_PERMISSIONS

ALL = "ALL"


def _assignments(user):
    cache = getattr(user, "_tongxin_roles", None)
    if cache is None:
        cache = list(RoleAssignment.objects.filter(user=user, organization__archived_at__isnull=True).select_related("organization"))
        user._tongxin_roles = cache
    return cache


def scope_paths(user, perm: str) -> list[str] | str:
    """Organisation path prefixes where `user` holds `perm`; ALL for superusers."""
    if not user or not user.is_authenticated:
        return []
    if user.is_superuser:
        return ALL
    paths = sorted({a.organization.path for a in _assignments(user) if perm in ROLE_PERMISSIONS.get(a.role, ())})
    # Drop paths already covered by a shorter one.
    out: list[str] = []
    for p in paths:
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return out


def scope_q(user, perm: str, field: str = "path") -> Q:
    """A Q restricting rows whose organisation path (via `field`) lies in the user's scope."""
    paths = scope_paths(user, perm)
    if paths == ALL:
        # Every row, also inside an OR: an empty Q() would vanish there (Q(a) | Q() is Q(a)),
        # and a superuser would see only what matched the other branches. Django drops this
        # condition from the SQL.
        return ~Q(pk__in=[])
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q


def has_perm(user, perm: str, organization=None) -> bool:
    paths = scope_paths(user, perm)
    if paths == ALL:
        return True
    if organization is None:
        return bool(paths)
    return any(organization.path.startswith(p) for p in paths)


def ensure_can(user, perm: str, organization=None, message: str | None = None) -> None:
    if not has_perm(user, perm, organization):
        raise PermissionDenied(message or "您没有权限执行此操作（超出您的组织范围）")


def roles_of(user) -> list[RoleAssignment]:
    return _assignments(user) if user and user.is_authenticated else []
