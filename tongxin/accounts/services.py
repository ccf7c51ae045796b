import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from tongxin.audit import events
from tongxin.core.errors import DomainError

from . import permissions as P
from .models import ApiToken, Role, RoleAssignment, User
from .scope import ensure_can


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, name: str, by: User | None = None) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it and the key, which is shown only this once."""
    by = by or user
    if by.pk != user.pk and not by.is_superuser:
        raise DomainError("只能为自己创建接口令牌")
    ensure_can(by, P.MANAGE_TOKENS, message="您的角色不能创建接口令牌")
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写令牌名称（例如接入的系统名）", field="name")
    key = "tx_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:80], prefix=key[:10], key_hash=_hash_key(key))
    events.record(actor=by, verb="token.created", target=token, payload={"name": token.name, "prefix": token.prefix})
    return token, key


@transaction.atomic
def revoke_api_token(*, token: ApiToken, by: User, reason: str = "") -> ApiToken:
    if token.user_id != by.pk and not by.is_superuser:
        raise DomainError("只能吊销自己的接口令牌")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    events.record(actor=by, verb="token.revoked", target=token, reason=reason)
    return token


def user_for_key(key: str) -> User | None:
    if not key or not key.startswith("tx_"):
        return None
    token = ApiToken.objects.filter(key_hash=_hash_key(key), revoked_at__isnull=True).select_related("user").first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def assign_role(*, user: User, role: str, organization, by: User | None, reason: str = "") -> RoleAssignment:
    if role not in Role.values:
        raise DomainError(f"角色“{role}”无效", field="role")
    if by is not None:
        ensure_can(by, P.MANAGE_ORGS, organization, "只能在自己管理的组织范围内分配角色")
        if role == Role.ALLIANCE_ADMIN and not by.is_superuser and not any(
            a.role == Role.ALLIANCE_ADMIN for a in RoleAssignment.objects.filter(user=by)
        ):
            raise DomainError("只有联盟管理员可以任命联盟管理员")
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, organization=organization)
    if created:
        events.record(actor=by, verb="role.assigned", target=user, organization=organization, reason=reason,
                      payload={"role": role, "organization": organization.name})
    user.__dict__.pop("_tongxin_roles", None)
    return assignment
