"""The agreements API: the same services, refusals as Chinese JSON, scope."""

import datetime as dt
import json

import pytest
from django.test import Client


@pytest.fixture
def api(db):
    from tongxin.accounts import permissions as P
    from tongxin.accounts.scope import has_perm
    from tongxin.accounts.services import create_api_token

    def for_user(user):
        c = Client()
        headers = {}
        if has_perm(user, P.MANAGE_TOKENS):
            _, key = create_api_token(user=user, name="测试")
            headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        else:
            c.force_login(user)

        def call(method, path, body=None, **extra):
            fn = getattr(c, method)
            url = "/api/v1/agreements" + path
            if body is None:
                return fn(url, **headers, **extra)
            return fn(url, data=json.dumps(body), content_type="application/json", **headers, **extra)

        return call

    return for_user


def test_full_cycle_over_the_api(gw, api):
    admin, liaison = api(gw.admin), api(gw.liaison_a)
    body = {"kind": "cobuilding", "title": "甲社区与甲医院共驻共建协议书", "starts_on": str(gw.today - dt.timedelta(days=10)),
            "ends_on": str(gw.today + dt.timedelta(days=40)), "signed_on": str(gw.today - dt.timedelta(days=10)),
            "party_ids": [gw.community_a.pk, gw.unit_a.pk]}
    r = admin("post", "/", body)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = admin("post", f"/{pk}/obligations", {"title": "每月清扫门前路段", "debtor_id": gw.unit_b.pk, "recurrence": "monthly"})
    assert r.status_code == 400 and r.json()["field"] == "debtor" and "不是本协议的签约方" in r.json()["detail"]
    r = admin("post", f"/{pk}/obligations", {"title": "每月清扫门前路段", "debtor_id": gw.unit_a.pk, "recurrence": "monthly"})
    assert r.status_code == 201 and len(r.json()["dues"]) >= 2
    ob = r.json()["id"]
    r = liaison("post", f"/obligations/{ob}/fulfilments", {"note": "已清扫"})
    assert r.status_code == 400 and "尚未生效" in r.json()["detail"]
    assert admin("post", f"/{pk}/activate").json()["status"] == "in_force"
    r = liaison("post", f"/obligations/{ob}/fulfilments", {"note": "已清扫门前道路"})
    assert r.status_code == 201
    d = liaison("get", f"/{pk}").json()
    assert d["obligations"][0]["done"] == 1 and d["obligations"][0]["fulfilments"][0]["note"] == "已清扫门前道路"
    assert [e["verb"] for e in d["timeline"]] == ["created", "obligation_added", "activated", "fulfilled"]
    exp = admin("get", "/expiring?within_days=60").json()["items"]
    assert [a["id"] for a in exp] == [pk]
    due = admin("get", f"/due?organization_id={gw.unit_a.pk}&start={gw.today}&end={gw.today + dt.timedelta(days=40)}").json()["items"]
    assert due and due[0]["obligation"]["id"] == ob
    assert api(gw.dispatcher_b)("get", f"/due?organization_id={gw.unit_a.pk}&start={gw.today}&end={gw.today}").status_code == 404
    r = admin("post", f"/{pk}/terminate", {"reason": "合作调整"})
    assert r.json()["status"] == "terminated"
    r = liaison("post", f"/obligations/{ob}/fulfilments", {"note": "再清扫一次"})
    assert r.status_code == 400 and "终止" in r.json()["detail"]


def test_api_refusals(gw, api):
    admin = api(gw.admin)
    body = {"kind": "cobuilding", "title": "协议", "starts_on": "2026-05-01", "ends_on": "2026-04-01", "party_ids": [gw.community_a.pk, gw.unit_a.pk]}
    r = admin("post", "/", body)
    assert r.status_code == 400 and r.json()["field"] == "ends_on"
    body["ends_on"] = "2026-12-31"
    body["party_ids"] = [gw.community_a.pk, gw.outsider.pk]
    r = admin("post", "/", body)
    assert r.status_code == 400 and "不是测试党建联盟的成员单位" in r.json()["detail"]
    r = api(gw.liaison_a)("post", "/", {**body, "party_ids": [gw.community_a.pk, gw.unit_a.pk]})
    assert r.status_code == 403 and "您的角色不能起草共建协议" in r.json()["detail"]
    r = api(gw.dispatcher_b)("post", "/", {**body, "party_ids": [gw.community_a.pk, gw.unit_a.pk], "organization_id": gw.community_a.pk})
    assert r.status_code == 403 and "不在您的组织范围内" in r.json()["detail"]


def test_segments_and_adopter_over_the_api(gw, api):
    admin = api(gw.admin)
    line = {"type": "LineString", "coordinates": [[112.002, 37.005], [112.003, 37.005]]}
    r = admin("post", "/segments", {"unit_id": gw.unit_a.pk, "name": "甲医院门前", "geometry": line})
    assert r.status_code == 201 and r.json()["properties"]["unit"] == "甲医院"
    r = admin("post", "/segments", {"unit_id": gw.unit_a.pk, "name": "甲医院门前", "geometry": {"type": "Point", "coordinates": [1, 2]}})
    assert r.status_code == 400 and r.json()["field"] == "geometry"
    hit = admin("get", "/adopter?lng=112.0025&lat=37.00515").json()
    assert hit["unit"]["name"] == "甲医院"
    assert admin("get", "/adopter?lng=112.0025&lat=37.01").json()["unit"] is None
    assert len(admin("get", "/segments").json()["features"]) == 1


def test_patch_and_scan_over_the_api(gw, api, make_agreement):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ag = make_agreement()
    admin = api(gw.admin)
    r = admin("patch", f"/{ag.pk}", {"title": "新名称", "number": "柳党联〔2026〕9号"})
    assert r.status_code == 200 and r.json()["title"] == "新名称"
    r = admin("patch", f"/{ag.pk}", {"ends_on": str(ag.ends_on + dt.timedelta(days=30))})
    assert r.status_code == 400 and "不能修改期限" in r.json()["detail"]
    c = Client()
    c.force_login(gw.admin)
    pdf = SimpleUploadedFile("协议.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    r = c.post(f"/api/v1/agreements/{ag.pk}/scan", {"scan": pdf})
    assert r.status_code == 200 and r.json()["scan"]["type"] == "application/pdf"
    r = c.get(f"/api/v1/agreements/{ag.pk}/scan")
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF-")
    other = Client()
    other.force_login(gw.liaison_b)
    assert other.get(f"/api/v1/agreements/{ag.pk}/scan").status_code == 404
