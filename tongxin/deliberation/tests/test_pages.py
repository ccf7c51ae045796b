"""The pages: list with filters, raise form, detail with htmx discussion, moderation, ballot, consultation,
resolution, and the public page without personal data."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tongxin.deliberation import services
from tongxin.deliberation.models import Ballot, Consultation, Opinion, Stage, Topic

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_index_lists_own_community_only(dw, raise_topic):
    t = raise_topic()
    body = client_for(dw.resident_a).get("/topics/").content.decode()
    assert t.title in body and "data-testid=\"raise-link\"" in body
    assert t.title not in client_for(dw.resident_b).get("/topics/").content.decode()
    assert client_for(dw.resident_b).get(f"/topics/{t.pk}/").status_code == 404
    r = client_for(dw.resident_a).get("/topics/?stage=resolved", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and t.title not in r.content.decode() and "<html" not in r.content.decode()


def test_raise_form_refusal_shown_then_created(dw):
    c = client_for(dw.resident_a)
    assert c.get("/topics/new/").status_code == 200
    r = c.post("/topics/new/", {"title": "停", "description": "院里停车太难了，需要商量"})
    assert r.status_code == 400 and "请填写议题标题" in r.content.decode()
    assert not Topic.objects.exists()
    r = c.post("/topics/new/", {"title": "院里停车难", "description": "院里停车太难了，需要商量", "community": dw.community_a.pk,
                                "grid": dw.grid_a.pk, "compound": "11号院"})
    topic = Topic.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/topics/{topic.pk}/"
    assert topic.grid == dw.grid_a and topic.raised_by == dw.resident_a


def test_opinion_posted_with_htmx_and_refusal_inline(dw, raise_topic):
    t = raise_topic()
    c = client_for(dw.resident_c)
    r = c.post(f"/topics/{t.pk}/opinion/", {"text": "赞成错时停车"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and 'id="discussion"' in body and "赞成错时停车" in body and "<html" not in body
    r = c.post(f"/topics/{t.pk}/opinion/", {"text": ""}, HTTP_HX_REQUEST="true")
    assert "请填写意见" in r.content.decode()
    assert Opinion.objects.count() == 1


def test_hide_from_page_and_visibility(dw, raise_topic):
    t = raise_topic()
    op = services.add_opinion(topic=t, by=dw.resident_c, text="某人家的车天天乱停")
    assert client_for(dw.resident_a).post(f"/topics/opinions/{op.pk}/hide/", {"reason": "针对个人"}).status_code == 302
    assert Opinion.objects.get().hidden_at is None  # a resident cannot hide
    r = client_for(dw.dispatcher_a).post(f"/topics/opinions/{op.pk}/hide/", {"reason": "针对个人"}, HTTP_HX_REQUEST="true")
    assert "针对个人" in r.content.decode()
    assert "某人家的车" not in client_for(dw.resident_a).get(f"/topics/{t.pk}/").content.decode()
    assert "某人家的车" in client_for(dw.dispatcher_a).get(f"/topics/{t.pk}/").content.decode()
    assert "某人家的车" not in client_for(None).get(f"/topics/p/{t.pk}/").content.decode()


def test_escalate_and_close_from_page(dw, raise_topic):
    t = raise_topic()
    client_for(dw.resident_a).post(f"/topics/{t.pk}/act/escalate/", {"to": "community"})
    assert Topic.objects.get().stage == Stage.ONLINE
    r = client_for(dw.dispatcher_a).post(f"/topics/{t.pk}/act/escalate/", {"to": "community"}, follow=True)
    assert Topic.objects.get().stage == Stage.COMMUNITY and "社区党群议事" in r.content.decode()


def test_ballot_form_and_vote(dw, raise_topic):
    t = raise_topic()
    disp = client_for(dw.dispatcher_a)
    assert client_for(dw.resident_a).get(f"/topics/{t.pk}/ballot/").status_code == 404
    closes = timezone.localtime(timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = disp.post(f"/topics/{t.pk}/ballot/", {"question": "是否同意？", "options": "同意", "closes_at": closes, "eligibility": "community",
                                             "secret": "on"})
    assert r.status_code == 400 and "至少填写两个" in r.content.decode()
    r = disp.post(f"/topics/{t.pk}/ballot/", {"question": "是否同意？", "options": "同意\n不同意", "closes_at": closes,
                                             "eligibility": "community", "secret": "on"})
    assert r.status_code == 302
    b = Ballot.objects.get()
    res = client_for(dw.resident_a)
    r = res.post(f"/topics/ballots/{b.pk}/vote/", {"option": b.options.first().pk}, HTTP_HX_REQUEST="true")
    assert 'data-testid="voted"' in r.content.decode()
    r = res.post(f"/topics/ballots/{b.pk}/vote/", {"option": b.options.last().pk}, HTTP_HX_REQUEST="true")
    assert "已经投过票" in r.content.decode() or 'data-testid="voted"' in r.content.decode()
    assert b.participations.count() == 1


def test_consultation_and_record_pages(dw, raise_topic):
    t = raise_topic()
    disp = client_for(dw.dispatcher_a)
    assert disp.get(f"/topics/{t.pk}/consultation/").status_code == 200
    held = timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    r = disp.post(f"/topics/{t.pk}/consultation/", {"title": "停车协商会", "held_at": held, "residents": [dw.person_a.pk],
                                                   "units": [dw.unit_a.pk], "shops": "铁匠巷烟酒店"})
    assert r.status_code == 302, r.content.decode()[:2000]
    c = Consultation.objects.get()
    assert c.invitees.count() == 3
    inv = list(c.invitees.all())
    r = disp.post(f"/topics/consultations/{c.pk}/record/", {"summary": "短", **{f"attended_{i.pk}": "1" for i in inv}})
    assert r.status_code == 400 and "会议纪要" in r.content.decode()
    r = disp.post(f"/topics/consultations/{c.pk}/record/", {"summary": "各方同意夜间开放停车场", f"attended_{inv[0].pk}": "1",
                                                           f"position_{inv[0].pk}": "支持"})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.recorded_at and c.invitees.filter(attended=True).count() == 1


def test_resolve_page_into_request(dw, raise_topic):
    t = raise_topic()
    disp = client_for(dw.dispatcher_a)
    assert disp.get(f"/topics/{t.pk}/resolve/").status_code == 200
    assert client_for(dw.resident_a).get(f"/topics/{t.pk}/resolve/").status_code == 404
    r = disp.post(f"/topics/{t.pk}/resolve/", {"kind": "request", "decision": "由社区协调城管划定临时车位", "request_title": "划定临时车位"})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.stage == Stage.RESOLVED
    body = disp.get(f"/topics/{t.pk}/").content.decode()
    assert "划定临时车位" in body and "/orders/" in body


def test_public_page_without_personal_data(dw, raise_topic):
    t = raise_topic(description="张三家门口停满了车，电话13800000001联系我")
    services.add_opinion(topic=t, by=dw.resident_c, text="我是王五，同意，我的电话13800000003")
    b = services.create_ballot(topic=t, by=dw.dispatcher_a, question="是否同意错时停车？", options=["同意", "不同意"],
                               closes_at=timezone.now() + dt.timedelta(days=1), secret=False)
    services.cast_vote(ballot=b, by=dw.resident_a, option=b.options.first())
    services.resolve_topic(topic=t, by=dw.dispatcher_a, kind="request", decision="由社区协调划定临时车位")
    r = Client().get(f"/topics/p/{t.pk}/")
    body = r.content.decode()
    assert r.status_code == 200
    for secret in ("张三", "王五", "13800000001", "13800000003", dw.resident_a.username, dw.resident_c.username):
        assert secret not in body, secret
    assert "居民" in body and "由社区协调划定临时车位" in body and 'data-testid="turnout"' in body
    api = Client().get(f"/api/v1/topics/{t.pk}/public").json()
    assert "张三" not in str(api) and "13800000003" not in str(api) and api["outcome"]["decision"] == "由社区协调划定临时车位"
    assert Client().get("/topics/p/999999/").status_code == 404


def test_settings_page_admin_only(dw):
    assert client_for(dw.dispatcher_a).get(f"/topics/settings/{dw.alliance.pk}/").status_code == 404
    r = client_for(dw.admin).post(f"/topics/settings/{dw.alliance.pk}/", {"online_days": 5, "property_days": 7, "community_days": 9,
                                                                          "auto_escalate": "on"})
    assert r.status_code == 302
    assert services.config_for(dw.alliance).online_days == 5


def test_public_redaction_keeps_places_hides_flats():
    from tongxin.deliberation.selectors import redact

    out = redact("宁化府11号院3号楼2单元302室的张三，电话13800000001，身份证11010519491231002X，有车的约 30 户", names=["张三"])
    assert "11号院" in out and "3号楼" in out and "30 户" in out
    assert "302室" not in out and "2单元" not in out and "张三" not in out and "13800000001" not in out and "1101051949" not in out


def test_building_roll_page(dw):
    from tongxin.deliberation.models import BuildingResident

    assert client_for(dw.resident_a).get("/topics/rolls/").status_code == 404
    c = client_for(dw.dispatcher_a)
    assert c.get("/topics/rolls/").status_code == 200
    r = c.post("/topics/rolls/", {"community": dw.community_a.pk, "building": "3号楼", "people": [dw.person_a.pk, dw.person_c.pk]})
    assert r.status_code == 302 and BuildingResident.objects.filter(building="3号楼").count() == 2
    r = c.post("/topics/rolls/", {"community": dw.community_a.pk, "building": "", "people": [dw.person_a.pk]})
    assert r.status_code == 400 and "请填写楼栋" in r.content.decode()
    entry = BuildingResident.objects.get(person=dw.person_c)
    c.post("/topics/rolls/", {"community": dw.community_a.pk, "remove": entry.pk})
    assert list(BuildingResident.objects.values_list("person__name", flat=True)) == ["张三"]
