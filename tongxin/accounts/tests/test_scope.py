"""Role scope: a role held at an organisation reaches its whole subtree, and nothing else."""

import pytest

from tongxin.accounts import permissions as P
from tongxin.accounts.models import Role
from tongxin.accounts.scope import ALL, ensure_can, has_perm, roles_of, scope_paths, scope_q
from tongxin.accounts.services import assign_role
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.orgs.models import Organization


def test_scope_paths_reach_the_subtree(world):
    assert scope_paths(world.dispatcher_a, P.VIEW_PEOPLE) == [world.community_a.path]
    assert scope_paths(world.admin, P.MANAGE_ALLIANCE) == [world.street.path]
    assert scope_paths(world.system, P.VIEW_PEOPLE) == ALL
    assert scope_paths(world.resident_a, P.VIEW_PEOPLE) == []
    assert scope_paths(world.dispatcher_a, P.MANAGE_ALLIANCE) == []


def test_has_perm_follows_the_tree(world):
    d = world.dispatcher_a
    assert has_perm(d, P.MANAGE_PEOPLE, world.community_a)
    assert has_perm(d, P.MANAGE_PEOPLE, world.unit_a)  # below community A
    assert has_perm(d, P.MANAGE_PEOPLE, world.branch_a)
    assert not has_perm(d, P.MANAGE_PEOPLE, world.community_b)
    assert not has_perm(d, P.MANAGE_PEOPLE, world.street)  # above is out of reach
    assert has_perm(d, P.VIEW_PEOPLE) and not has_perm(world.resident_a, P.VIEW_PEOPLE)
    assert has_perm(world.admin, P.VIEW_PEOPLE, world.community_b)


def test_scope_q_filters_organisations(world):
    mine = set(Organization.objects.filter(scope_q(world.dispatcher_a, P.VIEW_ORGS)))
    assert mine == {world.community_a, world.branch_a, world.unit_a}
    assert not Organization.objects.filter(scope_q(world.resident_a, P.VIEW_ORGS)).exists()
    assert Organization.objects.filter(scope_q(world.system, P.VIEW_ORGS)).count() == Organization.objects.count()


def test_nested_paths_collapse_into_the_shorter_one(world):
    assign_role(user=world.dispatcher_a, role=Role.DISPATCHER, organization=world.unit_a, by=None)
    assert scope_paths(world.dispatcher_a, P.VIEW_PEOPLE) == [world.community_a.path]
    assign_role(user=world.dispatcher_a, role=Role.DISPATCHER, organization=world.community_b, by=None)
    assert scope_paths(world.dispatcher_a, P.VIEW_PEOPLE) == sorted([world.community_a.path, world.community_b.path])
    assert len(roles_of(world.dispatcher_a)) == 3


def test_ensure_can_raises_in_chinese(world):
    ensure_can(world.dispatcher_a, P.MANAGE_ORGS, world.unit_a)
    with pytest.raises(PermissionDenied) as exc:
        ensure_can(world.dispatcher_a, P.MANAGE_ORGS, world.community_b)
    assert exc.value.message == "您没有权限执行此操作（超出您的组织范围）" and exc.value.status_code == 403


def test_anonymous_users_have_no_scope(db):
    from django.contrib.auth.models import AnonymousUser

    assert scope_paths(AnonymousUser(), P.VIEW_ORGS) == []
    assert not has_perm(AnonymousUser(), P.VIEW_ORGS)
    assert roles_of(AnonymousUser()) == []


def test_roles_of_an_archived_organisation_lapse(world):
    Organization.objects.filter(pk=world.community_a.pk).update(archived_at="2026-01-01T00:00:00Z")
    world.dispatcher_a.__dict__.pop("_tongxin_roles", None)
    assert scope_paths(world.dispatcher_a, P.VIEW_PEOPLE) == []


def test_assigning_roles_is_scoped(world):
    from tongxin.accounts.models import User

    u = User.objects.create_user(username="new", password="x")
    with pytest.raises(PermissionDenied):
        assign_role(user=u, role=Role.DISPATCHER, organization=world.community_b, by=world.dispatcher_a)
    with pytest.raises(DomainError) as exc:
        assign_role(user=u, role=Role.ALLIANCE_ADMIN, organization=world.community_a, by=world.dispatcher_a)
    assert "只有联盟管理员可以任命联盟管理员" in exc.value.message
    with pytest.raises(DomainError):
        assign_role(user=u, role="emperor", organization=world.community_a, by=world.admin)
    assign_role(user=u, role=Role.GRID_WORKER, organization=world.community_a, by=world.dispatcher_a, reason="新聘网格员")
    assert has_perm(u, P.VIEW_PEOPLE, world.community_a)
    from tongxin.audit.models import Event

    assert Event.objects.get(verb="role.assigned", target_id=str(u.pk)).reason == "新聘网格员"


@pytest.mark.parametrize(
    ("role", "perms", "not_perms"),
    [
        (Role.RESIDENT, {P.VIEW_GRIDS}, {P.VIEW_PEOPLE, P.REVEAL_PEOPLE, P.MANAGE_TOKENS}),
        (Role.PARTY_MEMBER, {P.VIEW_ORGS, P.VIEW_GRIDS}, {P.VIEW_PEOPLE}),
        (Role.GRID_WORKER, {P.VIEW_PEOPLE}, {P.REVEAL_PEOPLE, P.MANAGE_PEOPLE}),
        (Role.LIAISON, {P.VIEW_PEOPLE, P.MANAGE_PEOPLE}, {P.REVEAL_PEOPLE, P.IMPORT_DATA}),
        (Role.DISPATCHER, {P.REVEAL_PEOPLE, P.VIEW_AUDIT}, {P.MANAGE_ALLIANCE}),
    ],
)
def test_permission_table(role, perms, not_perms):
    from tongxin.accounts.permissions import ROLE_PERMISSIONS

    assert perms <= ROLE_PERMISSIONS[role]
    assert not (not_perms & ROLE_PERMISSIONS[role])


def test_everywhere_survives_an_or(world):
    """A superuser's scope matches every row also when OR-ed with other conditions (an empty
    Q() would vanish there, leaving only the other branches)."""
    from django.db.models import Q

    everything = Organization.objects.count()
    q = Q(pk__in=[]) | scope_q(world.system, P.VIEW_PEOPLE, "path")
    assert Organization.objects.filter(q).count() == everything
    assert Organization.objects.filter(Q(name="没有这个组织") | scope_q(world.system, P.VIEW_PEOPLE)).count() == everything
    assert Organization.objects.filter(scope_q(world.system, P.VIEW_PEOPLE)).count() == everything
    assert Organization.objects.filter(Q(pk__in=[]) | scope_q(world.resident_a, P.VIEW_PEOPLE)).count() == 0
