"""Pages and API: each renders for the right people, refuses the others, and shows refusals in Chinese."""

import json

import pytest
from django.test import Client

from tongxin.lists import services
from tongxin.lists.models import Need, Project, Resource

from .conftest import make_need, make_resource

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_pages_render_for_staff(lw):
    r = make_resource(lw)
    n = make_need(lw)
    p = services.create_project(by=lw.admin, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a)
    c = services.save_campaign(by=lw.admin, alliance=lw.alliance, name="区域化党建+红色物业")
    admin = _client(lw.admin)
    for url in ["/lists/", "/lists/?tab=needs", "/lists/?tab=projects&brand=1", "/lists/?tab=campaigns", f"/lists/resources/{r.pk}/",
                f"/lists/needs/{n.pk}/", f"/lists/needs/{n.pk}/match/", f"/lists/projects/{p.pk}/", f"/lists/campaigns/{c.pk}/",
                "/lists/resources/new/", "/lists/needs/new/", "/lists/projects/new/", "/lists/pairing/", "/lists/campaigns/new/"]:
        assert admin.get(url).status_code == 200, url
    page = admin.get(f"/lists/needs/{n.pk}/match/").content.decode()
    assert r.title in page and "共同词语" in page
    assert "13912345678" not in admin.get(f"/lists/resources/{r.pk}/").content.decode()
    # Community B's dispatcher does not see A's need; a resident sees no list at all.
    assert _client(lw.dispatcher_b).get(f"/lists/needs/{n.pk}/").status_code == 404
    assert _client(lw.resident_a).get("/lists/").status_code == 404


def test_resource_form_refusal_shown_and_nothing_saved(lw):
    c = _client(lw.liaison_a)
    resp = c.post("/lists/resources/new/", {"unit": lw.unit_a.pk, "kind": "venue", "title": "会议室", "capacity": "10", "availability": ""})
    assert resp.status_code == 400 and "没有可用时间的资源不能登记" in resp.content.decode()
    assert not Resource.objects.exists()
    resp = c.post("/lists/resources/new/", {"unit": lw.unit_a.pk, "kind": "venue", "title": "会议室", "capacity": "10",
                                            "availability": "周六 09:00-12:00"})
    assert resp.status_code == 302 and Resource.objects.get().availability[0]["weekday"] == 5


def test_need_form_zero_quantity_refused(lw):
    c = _client(lw.dispatcher_a)
    resp = c.post("/lists/needs/new/", {"community": lw.community_a.pk, "title": "老人助餐", "quantity": "0", "urgency": "normal"})
    assert resp.status_code == 400 and "需求数量不能小于 1" in resp.content.decode()
    assert not Need.objects.exists()


def test_pairing_pages_accept_into_project(lw):
    make_resource(lw)
    make_need(lw)
    c = _client(lw.dispatcher_a)
    resp = c.post("/lists/pairing/", {"title": "十一月配对会"})
    assert resp.status_code == 302
    page = c.get(resp.url).content.decode()
    assert "十一月配对会" in page and "助老志愿服务队" in page
    from tongxin.lists.models import Pair

    pair = Pair.objects.get()
    resp = c.post(f"/lists/pairs/{pair.pk}/accept/", {"into": "project"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and "pair-outcome" in resp.content.decode()
    assert Project.objects.get().origin == pair
    resp = c.post(f"/lists/pairs/{pair.pk}/reject/", {}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 400 and "不能再改" in resp.content.decode()


def test_project_page_complete_refusal_in_chinese(lw):
    p = services.create_project(by=lw.admin, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a)
    c = _client(lw.liaison_a)
    resp = c.post(f"/lists/projects/{p.pk}/act/approve/")
    assert resp.status_code == 403 and "联盟管理员" in resp.content.decode()
    resp = _client(lw.admin).post(f"/lists/projects/{p.pk}/act/reject/")
    assert resp.status_code == 400 and "说明原因" in resp.content.decode()


def test_api_round_trip(lw):
    c = _client(lw.liaison_a)
    body = {"unit_id": lw.unit_a.pk, "kind": "volunteer", "title": "助老志愿服务队", "description": "为独居老人提供助餐服务", "capacity": 5,
            "availability": [{"weekday": 5, "start": "09:00", "end": "12:00"}], "contact_phone": "13912345678"}
    resp = c.post("/api/v1/lists/resources", json.dumps(body), content_type="application/json")
    assert resp.status_code == 201, resp.content
    rid = resp.json()["id"]
    assert resp.json()["contact_phone_masked"] == "139****5678"
    bad = c.post("/api/v1/lists/resources", json.dumps({**body, "availability": []}), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "availability" and "可用时间" in bad.json()["detail"]
    d = _client(lw.dispatcher_a)
    resp = d.post("/api/v1/lists/needs", json.dumps({"community_id": lw.community_a.pk, "title": "独居老人助餐", "quantity": 0}),
                  content_type="application/json")
    assert resp.status_code == 400 and resp.json()["field"] == "quantity"
    resp = d.post("/api/v1/lists/needs", json.dumps({"community_id": lw.community_a.pk, "title": "独居老人助餐", "quantity": 3,
                                                     "description": "老人需要助餐志愿服务"}), content_type="application/json")
    nid = resp.json()["id"]
    m = d.get(f"/api/v1/lists/needs/{nid}/matches").json()
    assert m["items"][0]["resource"]["id"] == rid and m["items"][0]["lines"]
    s = d.post("/api/v1/lists/pairing-sessions", json.dumps({"title": "API 配对会"}), content_type="application/json")
    assert s.status_code == 201
    pair = s.json()["pairs"][0]
    acc = d.post(f"/api/v1/lists/pairs/{pair['id']}/accept", json.dumps({"into": "project"}), content_type="application/json")
    assert acc.status_code == 200 and acc.json()["outcome"]["type"] == "project"
    pid = acc.json()["outcome"]["id"]
    a = _client(lw.admin)
    assert a.post(f"/api/v1/lists/projects/{pid}/act/approve", "{}", content_type="application/json").json()["status"] == "approved"
    assert c.post(f"/api/v1/lists/projects/{pid}/act/start", "{}", content_type="application/json").json()["status"] == "in_progress"
    done = c.post(f"/api/v1/lists/projects/{pid}/act/complete", json.dumps({"outcome": "助餐点开通", "beneficiaries": 3, "figures": {"供餐人次": 90}}),
                  content_type="application/json")
    assert done.status_code == 200 and done.json()["outcome"]["figures"] == {"供餐人次": 90}
    wall = Client().get("/api/v1/orders/wall").json()
    assert wall["projects"][0]["id"] == pid
    assert "助餐点开通" in Client().get("/orders/wall/").content.decode()
    assert _client(lw.resident_a).get(f"/api/v1/lists/needs/{nid}").status_code == 404


def test_project_and_campaign_forms_and_reveal(lw):
    admin = _client(lw.admin)
    resp = admin.post("/lists/projects/new/", {"title": "", "lead_unit": lw.unit_a.pk, "source": "street"})
    assert resp.status_code == 400 and "请填写项目名称" in resp.content.decode() and not Project.objects.exists()
    resp = admin.post("/lists/projects/new/", {"title": "共建助老食堂", "lead_unit": lw.unit_a.pk, "source": "street", "budget": "3000",
                                               "participants": [lw.unit_b.pk], "brand": "on"})
    assert resp.status_code == 302
    p = Project.objects.get()
    assert p.brand and p.budget == 3000 and list(p.participants.all()) == [lw.unit_b] and p.status == "proposed"
    resp = admin.post("/lists/campaigns/new/", {"name": "区域化党建+红色物业", "description": "物业服务"})
    assert resp.status_code == 302
    assert _client(lw.dispatcher_a).get("/lists/campaigns/new/").status_code == 404
    r = make_resource(lw)
    resp = _client(lw.liaison_a).post(f"/lists/resources/{r.pk}/reveal/", HTTP_HX_REQUEST="true")
    assert "13912345678" in resp.content.decode()
    assert _client(lw.resident_a).post(f"/lists/resources/{r.pk}/reveal/").status_code == 404


def test_propose_needs_page(lw):
    resp = _client(lw.dispatcher_a).post("/lists/needs/propose/", {"days": "30", "threshold": "1"}, follow=True)
    assert "人数门槛不能小于 2" in resp.content.decode()
