"""Account management: an admin gives a person a login and roles inside their own scope only."""

import pytest

from tongxin.accounts import services
from tongxin.accounts.models import Role, RoleAssignment, User
from tongxin.audit.models import Event
from tongxin.core.errors import DomainError
from tongxin.people import services as people


@pytest.fixture
def wang(world):
    return people.create_person(by=world.system, organization=world.community_a, community=world.community_a,
                                name="王五", phone="13800000003")


def test_dispatcher_creates_an_account_in_their_community_and_it_can_log_in(world, wang, client):
    user, password = services.create_account(by=world.dispatcher_a, username="wang5", person=wang,
                                             role=Role.GRID_WORKER, organization=world.community_a, reason="新网格员")
    assert RoleAssignment.objects.filter(user=user, role=Role.GRID_WORKER, organization=world.community_a).exists()
    assert Event.objects.filter(verb="account.created", target_id=str(user.pk), reason="新网格员").exists()
    assert client.login(username="13800000003", password=password)  # by the person's phone


def test_refusals_are_in_chinese(world, wang):
    with pytest.raises(DomainError, match="超出|管理的组织范围"):
        services.create_account(by=world.dispatcher_a, username="li4", person=world.person_b,
                                role=Role.RESIDENT, organization=world.community_b)
    with pytest.raises(DomainError, match="登录名只能使用") as err:
        services.create_account(by=world.admin, username="王 五", person=wang, role=Role.RESIDENT,
                                organization=world.community_a)
    assert err.value.field == "username"
    with pytest.raises(DomainError, match="只有联盟管理员"):
        services.create_account(by=world.dispatcher_a, username="boss", person=wang,
                                role=Role.ALLIANCE_ADMIN, organization=world.community_a)
    assert not User.objects.filter(username="boss").exists()  # nothing half-done
    with pytest.raises(DomainError, match="已有账号"):
        services.create_account(by=world.admin, username="again", person=world.person_a, role=Role.RESIDENT,
                                organization=world.community_a)  # person_a already has t-resident-a


def test_remove_role_needs_a_reason_and_scope(world):
    assignment = world.resident_a.role_assignments.get()
    with pytest.raises(DomainError, match="原因"):
        services.remove_role(assignment=assignment, by=world.dispatcher_a, reason="")
    with pytest.raises(DomainError):
        services.remove_role(assignment=assignment, by=world.dispatcher_b, reason="搬走了")
    services.remove_role(assignment=assignment, by=world.dispatcher_a, reason="搬走了")
    assert not world.resident_a.role_assignments.exists()
    assert Event.objects.filter(verb="role.removed", reason="搬走了").exists()


def test_deactivate_and_reset_password(world, client):
    services.set_active(user=world.liaison_a, by=world.dispatcher_a, active=False, reason="离职")
    assert not client.login(username="t-liaison-a", password="pass-12345")
    with pytest.raises(DomainError):
        services.set_active(user=world.liaison_a, by=world.dispatcher_b, active=True, reason="x")
    services.set_active(user=world.liaison_a, by=world.dispatcher_a, active=True, reason="返岗")
    password = services.reset_password(user=world.liaison_a, by=world.admin)
    assert client.login(username="t-liaison-a", password=password)


def test_pages_list_only_accounts_in_scope(world, client):
    client.force_login(world.dispatcher_a)
    body = client.get("/accounts/users/").content.decode()
    assert "账号" in body and "t-resident-a" in body and "t-disp-b" not in body
    assert client.get(f"/accounts/users/{world.dispatcher_b.pk}/").status_code == 404
    options = client.get("/orgs/people-options/", {"q": "張三"}).content.decode()  # traditional finds 张三
    assert "张三" in options and "李四" not in options
    client.force_login(world.resident_a)
    assert client.get("/accounts/users/").status_code == 404


def test_create_account_page_flow_shows_password_once(world, client):
    client.force_login(world.admin)
    resp = client.post("/accounts/users/new/", {"username": "li4", "person": world.person_b.pk, "role": Role.LIAISON,
                                                "organization": world.community_b.pk, "reason": "联络员"})
    assert resp.status_code == 302
    page = client.get(resp["Location"]).content.decode()
    assert "临时密码" in page and "单位联络员" in page
    assert "临时密码" not in client.get(resp["Location"]).content.decode()
    bad = client.post("/accounts/users/new/", {"username": "li4", "person": world.person_b.pk, "role": Role.LIAISON,
                                               "organization": world.community_b.pk}).content.decode()
    assert "已被使用" in bad
    assert f'<option value="{world.person_b.pk}" selected>' in bad  # the chosen person survives the refusal


def test_user_detail_actions(world, client):
    client.force_login(world.dispatcher_a)
    url = f"/accounts/users/{world.resident_a.pk}/"
    client.post(url, {"action": "add_role", "role": Role.PARTY_MEMBER, "organization": world.branch_a.pk, "reason": "报到"})
    assert world.resident_a.role_assignments.filter(role=Role.PARTY_MEMBER).exists()
    resp = client.post(url, {"action": "add_role", "role": Role.PARTY_MEMBER, "organization": world.branch_b.pk})
    assert "请选择角色所在的组织" in resp.content.decode()  # B's branch is not offered nor accepted
    history = client.get(f"/history/user/{world.resident_a.pk}/").content.decode()
    assert "报到" in history


def _bearer(user):
    from tongxin.accounts.services import create_api_token

    _, key = create_api_token(user=user, name="test", by=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_api_me_users_and_create(world, wang, client):
    me = client.get("/api/v1/accounts/me", **_bearer(world.dispatcher_a)).json()
    assert me["username"] == "t-disp-a" and me["roles"][0]["role_label"] == "社区派单员"
    names = {u["username"] for u in client.get("/api/v1/accounts/users", **_bearer(world.dispatcher_a)).json()}
    assert "t-resident-a" in names and "t-disp-b" not in names
    resp = client.post("/api/v1/accounts/users", {"username": "wang5", "person_id": wang.pk, "role": "grid_worker",
                                                  "organization_id": world.community_a.pk}, content_type="application/json",
                       **_bearer(world.dispatcher_a))
    assert resp.status_code == 201 and len(resp.json()["temporary_password"]) == 10
    refused = client.post("/api/v1/accounts/users", {"username": "li4b", "person_id": world.person_b.pk, "role": "resident",
                                                     "organization_id": world.community_b.pk}, content_type="application/json",
                          **_bearer(world.dispatcher_a))
    assert refused.status_code == 400 and "不在您的权限范围内" in refused.json()["detail"]
    assert client.get("/api/v1/accounts/users", **_bearer(world.liaison_a)).status_code == 403
