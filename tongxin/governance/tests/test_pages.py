"""The agreement pages: list and filters, forms with refusals shown in Chinese, files served only in scope."""

import datetime as dt
import json

from django.test import Client

from tongxin.governance import services
from tongxin.governance.models import Agreement, RoadSegment


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_create_agreement_through_the_form_and_refusal(gw):
    c = client_for(gw.admin)
    assert c.get("/agreements/new/").status_code == 200
    data = {"kind": "cobuilding", "title": "甲社区与甲医院共驻共建协议书", "organization": gw.street.pk,
            "parties": [gw.community_a.pk, gw.unit_a.pk], "starts_on": "2026-03-01", "ends_on": "2026-01-01", "signed_on": "2026-01-05"}
    r = c.post("/agreements/new/", data)
    assert r.status_code == 400 and "早于开始日期" in r.content.decode()
    assert not Agreement.objects.exists()
    data["ends_on"] = "2026-12-31"
    r = c.post("/agreements/new/", data)
    ag = Agreement.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/agreements/{ag.pk}/"
    page = c.get(f"/agreements/{ag.pk}/").content.decode()
    assert "甲医院" in page and "data-testid=\"activate\"" in page


def test_list_filters(gw, make_agreement):
    a = make_agreement()
    b = make_agreement(kind="pledge", title="保护环境责任状", parties=[gw.street, gw.unit_b], activate=False)
    c = client_for(gw.admin)
    page = c.get("/agreements/").content.decode()
    assert a.title in page and b.title in page
    page = c.get("/agreements/?kind=pledge").content.decode()
    assert b.title in page and a.title not in page
    page = c.get(f"/agreements/?party={gw.unit_b.pk}&status=draft").content.decode()
    assert b.title in page and a.title not in page
    assert a.title not in c.get("/agreements/?expiring=30").content.decode()
    assert a.title in c.get("/agreements/?q=甲医院").content.decode()


def test_liaison_sees_own_agreement_not_others(gw, make_agreement):
    ag = make_agreement()
    assert client_for(gw.liaison_a).get(f"/agreements/{ag.pk}/").status_code == 200
    assert client_for(gw.liaison_b).get(f"/agreements/{ag.pk}/").status_code == 404
    assert client_for(gw.dispatcher_b).get(f"/agreements/{ag.pk}/").status_code == 404


def test_obligation_form_refuses_non_party(gw, make_agreement):
    ag = make_agreement()
    c = client_for(gw.admin)
    r = c.post(f"/agreements/{ag.pk}/obligations/new/", {"title": "每月清扫", "debtor": gw.unit_b.pk, "recurrence": "monthly"})
    assert r.status_code == 400  # unit B is not even offered: the form refuses the choice
    r = c.post(f"/agreements/{ag.pk}/obligations/new/", {"title": "捐赠图书", "debtor": gw.unit_a.pk, "recurrence": "once",
                                                          "due_on": str(ag.ends_on + dt.timedelta(days=3))})
    assert r.status_code == 400 and "不在协议期限" in r.content.decode()
    r = c.post(f"/agreements/{ag.pk}/obligations/new/", {"title": "每月清扫门前路段", "debtor": gw.unit_a.pk, "recurrence": "monthly"})
    assert r.status_code == 302 and ag.obligations.count() == 1


def test_liaison_records_fulfilment_with_photo(gw, make_agreement, image_file):
    ag = make_agreement()
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="每月清扫门前路段", debtor=gw.unit_a, recurrence="monthly")
    c = client_for(gw.liaison_a)
    mine = c.get("/agreements/mine/").content.decode()
    assert "每月清扫门前路段" in mine
    r = c.post(f"/agreements/obligations/{ob.pk}/fulfil/", {"due": ob.dues.first().pk, "done_on": str(gw.today), "note": ""})
    assert r.status_code == 400 and "请写明履行情况" in r.content.decode()
    r = c.post(f"/agreements/obligations/{ob.pk}/fulfil/", {"due": ob.dues.first().pk, "done_on": str(gw.today),
                                                             "note": "已清扫门前道路", "photos": [image_file()]})
    assert r.status_code == 302
    f = ob.fulfilments.get()
    photo = f.photos.get()
    page = client_for(gw.admin).get(f"/agreements/{ag.pk}/").content.decode()
    assert "已清扫门前道路" in page and f"/agreements/photos/{photo.pk}/" in page
    assert c.get(f"/agreements/photos/{photo.pk}/").status_code == 200
    assert client_for(gw.liaison_b).get(f"/agreements/photos/{photo.pk}/").status_code == 404
    assert client_for(gw.liaison_b).post(f"/agreements/obligations/{ob.pk}/fulfil/", {"note": "x"}).status_code == 404


def test_fulfilment_on_terminated_agreement_is_refused_on_the_page(gw, make_agreement):
    ag = make_agreement()
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="捐赠图书", debtor=gw.unit_a, due_on=gw.today)
    due = ob.dues.get()
    services.terminate(agreement=ag, by=gw.admin, reason="单位撤并")
    r = client_for(gw.liaison_a).post(f"/agreements/obligations/{ob.pk}/fulfil/", {"due": due.pk, "done_on": str(gw.today), "note": "已捐赠"})
    assert r.status_code == 400 and "终止，不能再登记履行" in r.content.decode()


def test_scan_is_served_only_in_scope(gw, make_agreement, pdf_file):
    ag = make_agreement(scan=pdf_file())
    r = client_for(gw.liaison_a).get(f"/agreements/{ag.pk}/scan/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and b"".join(r.streaming_content).startswith(b"%PDF-")
    assert client_for(gw.liaison_b).get(f"/agreements/{ag.pk}/scan/").status_code == 404
    big = pdf_file(size=20 * 1024 * 1024 + 10)
    r = client_for(gw.admin).post(f"/agreements/{ag.pk}/scan/", {"scan": big})
    assert r.status_code == 400 and "超过 20 MB" in r.content.decode()
    r = client_for(gw.liaison_a).post(f"/agreements/{ag.pk}/scan/", {"scan": pdf_file()})
    assert r.status_code == 403 and "您的角色不能管理共建协议" in r.content.decode()


def test_terminate_and_activate_buttons(gw, make_agreement):
    ag = make_agreement(activate=False)
    c = client_for(gw.admin)
    assert c.post(f"/agreements/{ag.pk}/activate/").status_code == 302
    r = c.post(f"/agreements/{ag.pk}/terminate/", {"reason": ""})
    assert r.status_code == 400 and "请说明终止协议的原因" in r.content.decode()
    assert c.post(f"/agreements/{ag.pk}/terminate/", {"reason": "合作期满提前解除"}).status_code == 302
    ag.refresh_from_db()
    assert ag.status == "terminated"


def test_areas_page(gw):
    c = client_for(gw.admin)
    page = c.get("/agreements/areas/").content.decode()
    assert "环境联抓" in page
    r = c.post("/agreements/areas/", {"name": "环境联抓"})
    assert r.status_code == 400 and "已存在" in r.content.decode()
    assert c.post("/agreements/areas/", {"name": "物业联管", "code": "property"}).status_code == 302
    assert "物业联管" in c.get("/agreements/areas/").content.decode()
    assert client_for(gw.dispatcher_a).post("/agreements/areas/", {"name": "别的"}).status_code == 404


def test_segment_pages(gw):
    c = client_for(gw.liaison_a)
    assert c.get("/agreements/segments/new/").status_code == 200
    r = c.post("/agreements/segments/new/", {"unit": gw.unit_a.pk, "name": "甲医院门前", "buffer_m": 30, "geometry": ""})
    assert r.status_code == 400 and "请在地图上画出路段" in r.content.decode()
    r = c.post("/agreements/segments/new/", {"unit": gw.unit_a.pk, "name": "甲医院门前", "buffer_m": 30,
                                             "geometry": '{"type": "Point", "coordinates": [112, 37]}'})
    assert r.status_code == 400 and "必须是线" in r.content.decode()
    line = {"type": "LineString", "coordinates": [[112.002, 37.005], [112.003, 37.005]]}
    r = c.post("/agreements/segments/new/", {"unit": gw.unit_a.pk, "name": "甲医院门前", "buffer_m": 30, "geometry": json.dumps(line)})
    assert r.status_code == 302
    seg = RoadSegment.objects.get()
    fc = c.get("/agreements/segments/geojson/").json()
    assert fc["features"][0]["properties"]["unit"] == "甲医院"
    assert client_for(gw.liaison_b).get("/agreements/segments/geojson/").json()["features"] == []
    assert "甲医院门前" in c.get("/agreements/segments/").content.decode()
    c.post(f"/agreements/segments/{seg.pk}/release/", {"reason": "搬迁"})
    seg.refresh_from_db()
    assert not seg.active


def test_edit_page_changes_title_and_draft_term(gw, make_agreement):
    ag = make_agreement(activate=False)
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="每月清扫", debtor=gw.unit_a, recurrence="monthly")
    n = ob.dues.count()
    c = client_for(gw.admin)
    assert c.get(f"/agreements/{ag.pk}/edit/").status_code == 200
    data = {"title": "改名后的协议", "number": "", "starts_on": str(ag.starts_on), "ends_on": str(ag.ends_on + dt.timedelta(days=62)),
            "signed_on": str(ag.signed_on), "summary": ""}
    assert c.post(f"/agreements/{ag.pk}/edit/", data).status_code == 302
    ag.refresh_from_db()
    assert ag.title == "改名后的协议" and ob.dues.count() in (n + 2, n + 3)
    assert ag.events.filter(verb="edited").exists()
    r = client_for(gw.dispatcher_b).post(f"/agreements/{ag.pk}/edit/", data)
    assert r.status_code == 404
