"""API: token auth, the same scope as the pages, and refusals as Chinese JSON {detail, field, code}."""

import datetime as dt

from tongxin.orgs import services
from tongxin.orgs.models import AllianceMembership, Organization, OrgKind


def test_401_without_a_token(world):
    from django.test import Client

    assert Client().get("/api/v1/organizations").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer tx_wrong").get("/api/v1/alliances").status_code == 401


def test_list_is_scoped(world, api_for):
    r = api_for(world.dispatcher_a).get("/organizations")
    assert r.status_code == 200
    names = {o["name"] for o in r.json()["items"]}
    assert names == {"甲社区党委", "甲社区第一党支部", "甲医院"}
    assert r.json()["count"] == 3
    r = api_for(world.admin).get("/organizations", limit=2, offset=1)
    body = r.json()
    assert body["count"] == 6 and len(body["items"]) == 2


def test_list_filters(world, api_for):
    services.create_organization(by=world.admin, parent=world.community_a, name="甲社区党建联盟服务站", kind=OrgKind.CLUB)
    api = api_for(world.admin)
    assert [o["name"] for o in api.get("/organizations", q="黨建聯盟").json()["items"]] == ["甲社区党建联盟服务站"]
    assert {o["name"] for o in api.get("/organizations", kind="branch").json()["items"]} == {"甲社区第一党支部", "乙社区第一党支部"}
    children = api.get("/organizations", parent=world.community_a.pk).json()["items"]
    assert {o["name"] for o in children} == {"甲社区第一党支部", "甲医院", "甲社区党建联盟服务站"}
    services.archive_organization(org=world.branch_b, by=world.admin, reason="合并")
    assert "乙社区第一党支部" not in {o["name"] for o in api.get("/organizations").json()["items"]}
    assert "乙社区第一党支部" in {o["name"] for o in api.get("/organizations", include_archived="true").json()["items"]}


def test_detail_and_404_for_another_community(world, api_for):
    api = api_for(world.dispatcher_a)
    body = api.get(f"/organizations/{world.unit_a.pk}").json()
    assert body["original_affiliation"] == "市卫健委党委"
    assert body["kind_label"] == "医院" and body["party_type_code"] == "799"
    assert [a["name"] for a in body["ancestors"]] == ["测试街道党工委", "甲社区党委"]
    r = api.get(f"/organizations/{world.branch_b.pk}")
    assert r.status_code == 404
    assert r.json() == {"detail": "对象不存在或不在您的权限范围内", "field": None, "code": "not_found"}
    assert api.get("/organizations", parent=world.community_b.pk).status_code == 404


def test_create_and_patch(world, api_for):
    api = api_for(world.dispatcher_a)
    r = api.post("/organizations", {"parent": world.community_a.pk, "name": "甲社区第二党支部", "kind": "branch", "reason": "新建"})
    assert r.status_code == 201
    body = r.json()
    assert body["parent"] == {"id": world.community_a.pk, "name": "甲社区党委"} and body["depth"] == 2
    r = api.patch(f"/organizations/{body['id']}", {"short_name": "二支部", "reason": "补充简称"})
    assert r.status_code == 200 and r.json()["short_name"] == "二支部"


def test_create_refusals_are_chinese_json(world, api_for):
    api = api_for(world.dispatcher_a)
    r = api.post("/organizations", {"parent": world.community_b.pk, "name": "越权", "kind": "branch"})
    assert r.status_code == 400
    assert r.json() == {"detail": "所选上级组织不存在或不在您的权限范围内", "field": "parent", "code": "invalid"}
    r = api.post("/organizations", {"parent": world.community_a.pk, "name": "无效类型", "kind": "castle"})
    assert r.status_code == 400 and r.json()["field"] == "kind" and "无效" in r.json()["detail"]
    assert not Organization.objects.filter(name__in=["越权", "无效类型"]).exists()


def test_patch_of_another_community_is_404(world, api_for):
    r = api_for(world.dispatcher_b).patch(f"/organizations/{world.unit_a.pk}", {"name": "改名"})
    assert r.status_code == 404
    world.unit_a.refresh_from_db()
    assert world.unit_a.name == "甲医院"


def test_move_refuses_a_cycle(world, api_for):
    api = api_for(world.admin)
    r = api.post(f"/organizations/{world.community_a.pk}/move", {"parent": world.branch_a.pk})
    assert r.status_code == 400
    assert r.json()["field"] == "parent" and "组织树不能成环" in r.json()["detail"]
    r = api.post(f"/organizations/{world.unit_a.pk}/move", {"parent": world.community_b.pk, "reason": "划转"})
    assert r.status_code == 200 and r.json()["parent"]["id"] == world.community_b.pk


def test_archive_restore_delete(world, api_for):
    api = api_for(world.admin)
    r = api.post(f"/organizations/{world.branch_b.pk}/archive", {"reason": ""})
    assert r.status_code == 400 and r.json()["detail"] == "归档需要填写原因"
    r = api.post(f"/organizations/{world.branch_b.pk}/archive", {"reason": "合并"})
    assert r.status_code == 200 and r.json()["archived"] is True and r.json()["archived_reason"] == "合并"
    r = api.post(f"/organizations/{world.branch_b.pk}/restore", {"reason": "恢复"})
    assert r.json()["archived"] is False
    r = api.delete(f"/organizations/{world.community_b.pk}")
    assert r.status_code == 400 and r.json()["code"] == "has_members" and "请改为归档" in r.json()["detail"]
    r = api.delete(f"/organizations/{world.branch_b.pk}")
    assert r.status_code == 204
    assert not Organization.objects.filter(pk=world.branch_b.pk).exists()


def test_dispatcher_cannot_delete_another_communitys_org(world, api_for):
    assert api_for(world.dispatcher_a).delete(f"/organizations/{world.branch_b.pk}").status_code == 404
    assert Organization.objects.filter(pk=world.branch_b.pk).exists()


def test_alliances(world, api_for):
    api = api_for(world.admin)
    assert [a["structure_label"] for a in api.get("/alliances").json()] == ["1+2+N"]
    r = api.post(f"/alliances/{world.alliance.pk}/members", {"organization": world.unit_a.pk, "joined_on": "2024-03-01",
                                                              "liaison": world.person_a.pk, "committee_post": "兼职委员"})
    assert r.status_code == 201
    mid = r.json()["id"]
    assert r.json()["liaison"] == {"id": world.person_a.pk, "name": "张三"}
    world.unit_a.refresh_from_db()
    assert world.unit_a.original_affiliation == "市卫健委党委"
    r = api.post(f"/alliances/{world.alliance.pk}/members", {"organization": world.unit_a.pk, "joined_on": "2024-03-01"})
    assert r.status_code == 400 and r.json()["field"] == "organization"
    r = api.patch(f"/alliances/{world.alliance.pk}/members/{mid}", {"committee_member": world.person_a.pk})
    assert r.status_code == 200 and r.json()["committee_member"]["name"] == "张三"
    r = api.post(f"/alliances/{world.alliance.pk}/duty-chairs", {"organization": world.unit_a.pk, "starts_on": "2026-03-01",
                                                                  "ends_on": "2026-01-01"})
    assert r.status_code == 400 and r.json() == {"detail": "轮值结束日期不能早于开始日期", "field": "ends_on", "code": "invalid"}
    r = api.post(f"/alliances/{world.alliance.pk}/duty-chairs", {"organization": world.unit_a.pk, "starts_on": "2026-01-01",
                                                                  "ends_on": "2026-03-31"})
    assert r.status_code == 201
    r = api.post(f"/alliances/{world.alliance.pk}/departments", {"name": "组织工作部", "head": world.person_b.pk})
    assert r.status_code == 201
    did = r.json()["id"]
    r = api.put(f"/alliances/{world.alliance.pk}/departments/{did}", {"name": "组织工作部", "head": world.person_a.pk, "reason": "换届"})
    assert r.json()["head"]["name"] == "张三"
    r = api.post(f"/alliances/{world.alliance.pk}/members/{mid}/end", {"left_on": "2024-12-31", "reason": "搬迁"})
    assert r.status_code == 200 and r.json()["left_on"] == "2024-12-31"
    body = api.get(f"/alliances/{world.alliance.pk}").json()
    assert {m["organization"]["name"] for m in body["memberships"]} == {"测试街道党工委", "甲医院"}
    assert len(body["duty_chairs"]) == 1 and body["departments"][0]["head"]["name"] == "张三"
    assert AllianceMembership.objects.get(pk=mid).left_reason == "搬迁"


def test_create_alliance_and_scope(world, api_for):
    r = api_for(world.admin).post("/alliances", {"name": "甲社区共建联盟", "core_organization": world.community_a.pk,
                                                 "structure_label": "1+N", "founded_on": "2025-01-01"})
    assert r.status_code == 201 and r.json()["memberships"][0]["role"] == "core"
    api_b = api_for(world.dispatcher_b)
    assert api_b.get("/alliances").json() == []
    assert api_b.get(f"/alliances/{r.json()['id']}").status_code == 404
    r = api_for(world.dispatcher_a).post(f"/alliances/{world.alliance.pk}/members",
                                         {"organization": world.unit_a.pk, "joined_on": str(dt.date(2024, 3, 1))})
    assert r.status_code == 404  # the street's alliance is outside dispatcher A's scope
