"""Accounts over the API: who am I, and the logins an admin manages (same scope as the pages)."""

from ninja import Router, Schema, Status

from tongxin.core.errors import DomainError, NotFound
from tongxin.orgs.selectors import manageable_organizations
from tongxin.people.selectors import visible_people

from . import permissions as P
from . import selectors, services
from .scope import ensure_can, roles_of

router = Router(tags=["accounts"])


class RoleOut(Schema):
    id: int
    role: str
    role_label: str
    organization_id: int
    organization: str


class UserOut(Schema):
    id: int
    username: str
    name: str
    is_active: bool
    person_id: int | None
    roles: list[RoleOut]


class AccountIn(Schema):
    username: str
    person_id: int
    role: str
    organization_id: int
    reason: str = ""


class AccountCreated(Schema):
    user: UserOut
    temporary_password: str


class RoleIn(Schema):
    role: str
    organization_id: int
    reason: str = ""


class ReasonIn(Schema):
    reason: str = ""


def _out(user, assignments=None) -> UserOut:
    assignments = assignments if assignments is not None else user.role_assignments.select_related("organization")
    return UserOut(
        id=user.pk, username=user.username, name=str(user), is_active=user.is_active, person_id=user.person_id,
        roles=[RoleOut(id=a.pk, role=a.role, role_label=str(a.get_role_display()), organization_id=a.organization_id,
                       organization=a.organization.name) for a in assignments],
    )


def _org(user, pk):
    org = manageable_organizations(user).filter(pk=pk).first()
    if org is None:
        raise DomainError("组织不存在或不在您的管理范围内", field="organization_id")
    return org


@router.get("/me", response=UserOut, summary="当前账号及其角色")
def me(request):
    return _out(request.user, roles_of(request.user))


@router.get("/users", response=list[UserOut], summary="我管理范围内的账号")
def users(request, q: str = "", limit: int = 100, offset: int = 0):
    ensure_can(request.user, P.MANAGE_ORGS)
    page = selectors.manageable_users(request.user, q=q)[offset: offset + min(limit, 500)]
    return [_out(u, u.role_assignments.all()) for u in page]


@router.post("/users", response={201: AccountCreated}, summary="为人员创建账号（返回一次性临时密码）")
def create_user(request, data: AccountIn):
    ensure_can(request.user, P.MANAGE_ORGS)
    person = visible_people(request.user).filter(pk=data.person_id).first()
    if person is None:
        raise DomainError("人员不存在或不在您的权限范围内", field="person_id")
    user, password = services.create_account(by=request.user, username=data.username, person=person, role=data.role,
                                             organization=_org(request.user, data.organization_id), reason=data.reason)
    return Status(201, AccountCreated(user=_out(user), temporary_password=password))


@router.post("/users/{int:user_id}/roles", response=UserOut, summary="增加角色")
def add_role(request, user_id: int, data: RoleIn):
    target = selectors.get_manageable_user(request.user, user_id)
    services.assign_role(user=target, role=data.role, organization=_org(request.user, data.organization_id),
                         by=request.user, reason=data.reason)
    return _out(target)


@router.post("/users/{int:user_id}/roles/{int:role_id}/remove", response=UserOut, summary="撤销角色（需填写原因）")
def remove_role(request, user_id: int, role_id: int, data: ReasonIn):
    target = selectors.get_manageable_user(request.user, user_id)
    try:
        assignment = selectors.get_assignment(request.user, target, role_id)
    except NotFound:
        raise
    services.remove_role(assignment=assignment, by=request.user, reason=data.reason)
    return _out(target)
