"""/api/v1/people: token auth, the same scope as the pages, masked lists, logged reveals and
Chinese error JSON."""

import json

import pytest

from tongxin.audit.models import Event, SensitiveRead
from tongxin.people.models import PartyMemberProfile, Person, PersonRole


def test_without_auth_the_api_answers_401(world, client):
    assert client.get("/api/v1/people/").status_code == 401
    assert client.post(f"/api/v1/people/{world.person_a.pk}/reveal/phone").status_code == 401
    assert client.get("/api/v1/people/", HTTP_AUTHORIZATION="Bearer tx_not-a-token").status_code == 401
    assert not SensitiveRead.objects.exists()


def test_a_revoked_token_is_refused(world, api):
    from tongxin.accounts.models import ApiToken
    from tongxin.accounts.services import revoke_api_token

    call = api(world.dispatcher_a)
    assert call("get", "/").status_code == 200
    revoke_api_token(token=ApiToken.objects.get(user=world.dispatcher_a), by=world.dispatcher_a)
    assert call("get", "/").status_code == 401


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_list_is_scoped_and_masked(world, api, header):
    resp = api(world.dispatcher_a, header)("get", "/")
    body = resp.json()
    assert resp.status_code == 200
    assert body["count"] == 1
    assert [p["name"] for p in body["items"]] == ["张三"]
    item = body["items"][0]
    assert item["phone_masked"] == "138****0001" and item["id_number_masked"] == "1101**********002X"
    assert item["organization"] == {"id": world.community_a.pk, "name": "甲社区党委"}
    text = resp.content.decode()
    assert "13800000001" not in text and "11010519491231002X" not in text and "_enc" not in text and "_hash" not in text


def test_list_search_filters_and_pagination(world, api):
    from tongxin.people import services

    services.add_role(person=world.person_b, tag="volunteer", by=world.admin)
    call = api(world.admin)
    assert [p["name"] for p in call("get", "/?q=張三").json()["items"]] == ["张三"]
    assert [p["name"] for p in call("get", "/?q=13800000002").json()["items"]] == ["李四"]
    assert [p["name"] for p in call("get", "/?tag=volunteer").json()["items"]] == ["李四"]
    assert [p["name"] for p in call("get", f"/?organization={world.community_a.pk}").json()["items"]] == ["张三"]
    page = call("get", "/?limit=1&offset=1").json()
    assert (page["count"], page["limit"], page["offset"], len(page["items"])) == (2, 1, 1, 1)
    assert api(world.dispatcher_a)("get", "/?q=李四").json()["count"] == 0


def test_filtering_by_an_organisation_out_of_scope_is_404(world, api):
    resp = api(world.dispatcher_a)("get", f"/?organization={world.community_b.pk}")
    assert resp.status_code == 404
    assert resp.json()["detail"] == "组织不存在或不在您的权限范围内"


def test_detail_is_masked_and_scoped(world, api):
    call = api(world.dispatcher_a)
    body = call("get", f"/{world.person_a.pk}").json()
    assert body["name"] == "张三" and body["phone_masked"] == "138****0001" and body["roles"] == []
    assert "13800000001" not in json.dumps(body)
    resp = call("get", f"/{world.person_b.pk}")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "人员不存在或不在您的权限范围内", "field": None, "code": "not_found"}


def test_resident_session_sees_own_record_only(world, client):
    # Residents may not create tokens (no MANAGE_TOKENS); the browser session reaches the API.
    client.force_login(world.resident_a)
    assert client.get(f"/api/v1/people/{world.person_a.pk}").status_code == 200
    assert client.get(f"/api/v1/people/{world.person_b.pk}").status_code == 404
    assert [p["name"] for p in client.get("/api/v1/people/").json()["items"]] == ["张三"]


def test_create_returns_201_and_logs_the_event(world, api):
    resp = api(world.dispatcher_a)("post", "/", {"organization": world.community_a.pk, "community": world.community_a.pk,
                                                "name": "王五", "phone": "13912345678", "tags": ["resident"], "reason": "接口导入"})
    assert resp.status_code == 201
    body = resp.json()
    assert body["phone_masked"] == "139****5678" and body["tags"] == ["resident"]
    assert Event.objects.get(verb="person.created", target_id=str(body["id"])).reason == "接口导入"


@pytest.mark.parametrize(
    ("payload", "field", "text"),
    [
        ({"name": "王五", "phone": "1234"}, "phone", "手机号码“1234”格式不正确"),
        ({"name": "王五", "id_number": "110105198001011230"}, "id_number", "身份证号校验位不正确"),
        ({"name": ""}, "name", "姓名不能为空"),
        ({"name": "张三", "phone": "13800000001"}, "phone", "姓名和手机号与已登记的“张三”（甲社区党委）重复"),
    ],
)
def test_create_errors_are_chinese_json_naming_the_field(world, api, payload, field, text):
    before = Person.objects.count()
    resp = api(world.dispatcher_a)("post", "/", {"organization": world.community_a.pk, **payload})
    assert resp.status_code == 400
    body = resp.json()
    assert body["field"] == field and text in body["detail"]
    assert Person.objects.count() == before


def test_create_in_another_community_is_refused(world, api):
    resp = api(world.dispatcher_a)("post", "/", {"organization": world.community_b.pk, "name": "越权"})
    assert resp.status_code == 400
    assert resp.json() == {"detail": "所选组织不存在或不在您的权限范围内", "field": "organization", "code": "invalid"}


def test_patch_changes_only_what_is_sent(world, api):
    call = api(world.dispatcher_a)
    resp = call("patch", f"/{world.person_a.pk}", {"note": "独居老人", "reason": "走访更新"})
    assert resp.status_code == 200 and resp.json()["note"] == "独居老人"
    world.person_a.refresh_from_db()
    assert world.person_a.phone_masked == "138****0001" and world.person_a.sex == "F"
    assert Event.objects.get(verb="person.updated").reason == "走访更新"
    resp = call("patch", f"/{world.person_a.pk}", {"phone": "1"})
    assert resp.status_code == 400 and resp.json()["field"] == "phone"
    assert call("patch", f"/{world.person_b.pk}", {"note": "越权"}).status_code == 404
    world.person_b.refresh_from_db()
    assert world.person_b.note == ""


def test_reveal_returns_one_value_and_logs_it(world, api):
    call = api(world.dispatcher_a)
    resp = call("post", f"/{world.person_a.pk}/reveal/phone", {"purpose": "电话回访"})
    assert resp.status_code == 200 and resp.json() == {"field": "phone", "value": "13800000001"}
    assert call("post", f"/{world.person_a.pk}/reveal/id_number").json()["value"] == "11010519491231002X"
    reads = list(SensitiveRead.objects.order_by("id").values_list("field", "purpose", "channel"))
    assert reads == [("phone", "电话回访", "api"), ("id_number", "", "api")]
    assert call("post", f"/{world.person_a.pk}/reveal/phone_hash").status_code == 422
    assert call("post", f"/{world.person_b.pk}/reveal/phone").status_code == 404
    assert SensitiveRead.objects.count() == 2


def test_reveal_without_permission_is_403_in_chinese(world, api):
    from tongxin.people import services

    doctor = services.create_person(by=world.system, organization=world.unit_a, name="医生", phone="13700000001")
    resp = api(world.liaison_a)("post", f"/{doctor.pk}/reveal/phone")
    assert resp.status_code == 403 and resp.json()["detail"] == "您无权查看此人的完整个人信息"
    assert not SensitiveRead.objects.exists()


def test_roles_add_and_end(world, api):
    call = api(world.dispatcher_a)
    resp = call("post", f"/{world.person_a.pk}/roles", {"tag": "volunteer", "reason": "报名"})
    assert resp.status_code == 201 and resp.json()["label"] == "志愿者"
    role_id = resp.json()["id"]
    resp = call("post", f"/{world.person_a.pk}/roles", {"tag": "grid_worker"})
    assert resp.status_code == 400 and resp.json()["field"] == "grid"
    resp = call("post", f"/{world.person_a.pk}/roles/{role_id}/end", {"reason": "退出"})
    assert resp.status_code == 200 and resp.json()["until"] is not None
    assert call("post", f"/{world.person_a.pk}/roles/{role_id}/end", {}).json()["detail"] == "该角色已经结束"
    assert api(world.dispatcher_b)("post", f"/{world.person_a.pk}/roles", {"tag": "volunteer"}).status_code == 404
    assert PersonRole.objects.filter(person=world.person_a).count() == 1


def test_party_profile_put(world, api):
    call = api(world.dispatcher_a)
    resp = call("put", f"/{world.person_a.pk}/party-profile", {"branch": world.branch_a.pk, "joined_on": "2010-07-01",
                                                                "full_member_on": "2009-01-01"})
    assert resp.status_code == 400 and resp.json()["field"] == "full_member_on"
    resp = call("put", f"/{world.person_a.pk}/party-profile", {"branch": world.branch_a.pk, "status": "probationary",
                                                                "joined_on": "2025-07-01"})
    assert resp.status_code == 200 and resp.json()["branch"]["name"] == "甲社区第一党支部"
    assert PartyMemberProfile.objects.get(person=world.person_a).status == "probationary"
    assert call("get", f"/{world.person_a.pk}").json()["party_profile"]["status"] == "probationary"
    resp = call("put", f"/{world.person_a.pk}/party-profile", {"branch": world.branch_b.pk})
    assert resp.status_code == 400 and resp.json()["detail"] == "所选党支部不存在或不在您的权限范围内"
