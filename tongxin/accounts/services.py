import hashlib
import secrets
import threading
import time

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


# Bearer keys are looked up on every API call; a verified key is remembered for a few seconds so
# a busy integration does not pay a token + user query each time. A revocation, deactivation or
# password change in this process forgets it at once (signals below); other processes within
# TOKEN_MEMO_SECONDS. Only the user's column values are kept: each request gets its own instance.
TOKEN_MEMO_SECONDS = 5.0
_token_memo: dict[str, tuple[float, tuple]] = {}
_token_memo_lock = threading.Lock()
_USER_FIELDS = None


def forget_tokens(*_args, **_kwargs) -> None:
    with _token_memo_lock:
        _token_memo.clear()


def user_for_key(key: str) -> User | None:
    global _USER_FIELDS
    if not key or not key.startswith("tx_"):
        return None
    key_hash = _hash_key(key)
    hit = _token_memo.get(key_hash)
    if _USER_FIELDS is None:
        _USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
    if hit is not None and hit[0] > time.monotonic():
        return User.from_db("default", _USER_FIELDS, hit[1])
    token = ApiToken.objects.filter(key_hash=key_hash, revoked_at__isnull=True).select_related("user").first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    with _token_memo_lock:
        _token_memo[key_hash] = (time.monotonic() + TOKEN_MEMO_SECONDS, tuple(getattr(token.user, f) for f in _USER_FIELDS))
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


USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-@")


def _temporary_password() -> str:
    # Readable on a phone screen and typed once: no 0/O or 1/l confusion.
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def create_account(*, by: User, username: str, person, role: str, organization, reason: str = "") -> tuple[User, str]:
    """A login for a person, with its first role; returns the user and a temporary password shown once."""
    username = (username or "").strip().lower()
    if not username:
        raise DomainError("请填写登录名", field="username")
    if len(username) > 40 or not set(username) <= USERNAME_CHARS:
        raise DomainError("登录名只能使用小写字母、数字和 _ . - @，最长 40 个字符", field="username")
    if User.objects.filter(username=username).exists():
        raise DomainError(f"登录名“{username}”已被使用", field="username")
    if person is None:
        raise DomainError("请选择这个账号对应的人员", field="person")
    if User.objects.filter(person=person).exists():
        raise DomainError(f"{person.name} 已有账号，请在该账号上增加角色", field="person")
    ensure_can(by, P.MANAGE_ORGS, organization, "只能在自己管理的组织范围内创建账号")
    password = _temporary_password()
    user = User.objects.create_user(username=username, password=password, person=person)
    events.record(actor=by, verb="account.created", target=user, organization=organization, reason=reason,
                  payload={"username": username, "person": person.pk})
    assign_role(user=user, role=role, organization=organization, by=by, reason=reason)
    return user, password


@transaction.atomic
def remove_role(*, assignment: RoleAssignment, by: User, reason: str) -> None:
    ensure_can(by, P.MANAGE_ORGS, assignment.organization, "只能在自己管理的组织范围内撤销角色")
    if not (reason or "").strip():
        raise DomainError("请填写撤销角色的原因", field="reason")
    if assignment.user_id == by.pk and assignment.role == Role.ALLIANCE_ADMIN:
        raise DomainError("不能撤销自己的联盟管理员角色，请由另一位管理员操作")
    user = assignment.user
    events.record(actor=by, verb="role.removed", target=user, organization=assignment.organization, reason=reason,
                  payload={"role": assignment.role, "organization": assignment.organization.name})
    assignment.delete()
    user.__dict__.pop("_tongxin_roles", None)


def _ensure_manages_user(by: User, user: User) -> None:
    assignments = list(user.role_assignments.select_related("organization"))
    if by.is_superuser:
        return
    if not assignments or not all(_can_manage_org(by, a.organization) for a in assignments):
        raise DomainError("该账号有超出您管理范围的角色，请由上级管理员操作", code="forbidden")


def _can_manage_org(by: User, organization) -> bool:
    from .scope import has_perm

    return has_perm(by, P.MANAGE_ORGS, organization)


@transaction.atomic
def set_active(*, user: User, by: User, active: bool, reason: str) -> User:
    _ensure_manages_user(by, user)
    if user.pk == by.pk:
        raise DomainError("不能停用自己的账号")
    if not (reason or "").strip():
        raise DomainError("请填写原因", field="reason")
    user.is_active = active
    user.save(update_fields=["is_active"])
    events.record(actor=by, verb="account.activated" if active else "account.deactivated", target=user, reason=reason)
    return user


@transaction.atomic
def reset_password(*, user: User, by: User, reason: str = "") -> str:
    _ensure_manages_user(by, user)
    password = _temporary_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    events.record(actor=by, verb="account.password_reset", target=user, reason=reason)
    return password
