"""Resources, needs, projects, pairing: happy paths, every refusal, the recorded events and the scope."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tongxin.audit.models import Event
from tongxin.core import crypto
from tongxin.core.errors import DomainError, NotFound, PermissionDenied
from tongxin.lists import selectors, services
from tongxin.lists.models import Need, NeedStatus, Pair, PairStatus, Project, Resource

from .conftest import WINDOWS, make_need, make_resource

pytestmark = pytest.mark.django_db


def _jpeg():
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, format="JPEG")
    return SimpleUploadedFile("a.jpg", buf.getvalue(), content_type="image/jpeg")


# --- resources -----------------------------------------------------------------------------------

def test_liaison_adds_resource_contact_encrypted_and_masked(lw):
    r = make_resource(lw, lng=112.56, lat=37.86, area=lw.areas["welfare"])
    assert r.contact_phone_masked == "139****5678" and "13912345678" not in r.contact_phone_enc
    assert crypto.decrypt(r.contact_phone_enc) == "13912345678"
    assert r.tokens and "志愿" in r.tokens
    assert Event.objects.filter(verb="lists.resource_added", target_id=str(r.pk)).exists()
    assert services.reveal_resource_contact(by=lw.liaison_a, resource=r) == "13912345678"
    assert Event.objects.filter(verb="lists.resource_contact_revealed").count() == 1
    with pytest.raises(PermissionDenied):
        services.reveal_resource_contact(by=lw.resident_a, resource=r)


@pytest.mark.parametrize("change, message", [
    ({"availability": []}, "没有可用时间的资源不能登记"),
    ({"availability": "周八 9:00-10:00"}, "看不懂"),
    ({"availability": [{"weekday": 5, "start": "12:00", "end": "09:00"}]}, "结束时间应晚于开始时间"),
    ({"capacity": 0}, "数量或容量不能小于 1"),
    ({"capacity": "很多"}, "应为整数"),
    ({"title": ""}, "请填写资源名称"),
    ({"title": "asdfgh"}, "无法识别"),
    ({"title": "啊啊啊啊"}, "无法识别"),
    ({"kind": "spaceship"}, "资源类型"),
    ({"contact_phone": "12345"}, "手机号码"),
    ({"lng": 112.5}, "同时提供经度和纬度"),
])
def test_resource_bad_input_changes_nothing(lw, change, message):
    with pytest.raises(DomainError, match=message):
        make_resource(lw, **change)
    assert not Resource.objects.exists() and not Event.objects.filter(verb__startswith="lists.").exists()


def test_resource_availability_from_text(lw):
    r = make_resource(lw, availability="周六 9:00-12:00；7 14:00～17:30")
    assert r.availability == [{"weekday": 5, "start": "09:00", "end": "12:00"}, {"weekday": 6, "start": "14:00", "end": "17:30"}]


def test_resource_scope_liaison_keeps_own_list_alliance_sees_all(lw):
    r = make_resource(lw)
    with pytest.raises(PermissionDenied, match="不在您的组织范围内"):
        make_resource(lw, by=lw.liaison_b, unit=lw.unit_a)
    with pytest.raises(PermissionDenied):
        services.save_resource(by=lw.liaison_b, unit=lw.unit_a, resource=r, kind="venue", title="会议室", availability=WINDOWS)
    # Everyone in the alliance with lists.view sees the resource list; a resident does not.
    for u in (lw.admin, lw.dispatcher_b, lw.liaison_b):
        assert selectors.get_resource(u, r.pk) == r
    with pytest.raises(NotFound):
        selectors.get_resource(lw.resident_a, r.pk)
    services.set_resource_status(by=lw.liaison_a, resource=r, status="paused")
    with pytest.raises(DomainError, match="原因"):
        services.set_resource_status(by=lw.liaison_a, resource=r, status="withdrawn")


# --- needs ---------------------------------------------------------------------------------------

def test_need_registration_and_refusals(lw):
    n = make_need(lw, area=lw.areas["welfare"], wanted_windows="周六 09:00-11:00")
    assert n.status == NeedStatus.OPEN and n.quantity == 5 and n.wanted_windows[0]["weekday"] == 5
    with pytest.raises(DomainError, match="需求数量不能小于 1"):
        make_need(lw, title="助餐需要", quantity=0)
    with pytest.raises(DomainError, match="无法识别"):
        make_need(lw, title="？？？？")
    with pytest.raises(PermissionDenied):
        make_need(lw, by=lw.dispatcher_b)  # community A is not B's
    with pytest.raises(PermissionDenied):
        make_need(lw, by=lw.liaison_a)  # units do not register needs
    with pytest.raises(DomainError, match="不是社区"):
        make_need(lw, by=lw.admin, community=lw.unit_a)
    assert Need.objects.count() == 1
    # Scope: community B cannot see A's need.
    assert selectors.get_need(lw.dispatcher_a, n.pk) == n
    with pytest.raises(NotFound):
        selectors.get_need(lw.dispatcher_b, n.pk)
    assert n not in selectors.needs(lw.dispatcher_b)


def test_needs_proposed_from_requests_then_confirmed(lw):
    from tongxin.orders import services as orders
    from tongxin.orders.models import Category

    orders.ensure_categories(lw.alliance)
    cat = Category.objects.filter(alliance=lw.alliance).first()
    for i in range(3):
        orders.submit_request(by=lw.dispatcher_a, text=f"楼下需要老人助餐点第{i}次反映", community=lw.community_a, category=cat,
                              contact_phone=f"1391234500{i}", channel="phone")
    orders.submit_request(by=lw.dispatcher_b, text="乙社区也要助餐", community=lw.community_b, category=cat,
                          contact_phone="13912345009", channel="phone")
    with pytest.raises(DomainError, match="人数门槛"):
        services.propose_needs_from_requests(by=lw.admin, alliance=lw.alliance, threshold=1)
    assert services.propose_needs_from_requests(by=lw.dispatcher_a, alliance=lw.alliance, threshold=4) == []
    made = services.propose_needs_from_requests(by=lw.dispatcher_a, alliance=lw.alliance, threshold=3)
    assert len(made) == 1
    need = made[0]
    assert need.status == NeedStatus.PROPOSED and need.request_count == 3 and need.requests.count() == 3 and need.community == lw.community_a
    # Requests already behind a need are not counted again.
    assert services.propose_needs_from_requests(by=lw.dispatcher_a, alliance=lw.alliance, threshold=3) == []
    with pytest.raises(PermissionDenied):
        services.confirm_need(by=lw.dispatcher_b, need=need)
    services.confirm_need(by=lw.dispatcher_a, need=need)
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN
    with pytest.raises(DomainError, match="不能执行此操作"):
        services.confirm_need(by=lw.dispatcher_a, need=need)


# --- projects ------------------------------------------------------------------------------------

def test_project_workflow_with_outcomes_and_refusals(lw):
    p = services.create_project(by=lw.liaison_a, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a)
    with pytest.raises(PermissionDenied, match="联盟管理员"):
        services.transition(by=lw.liaison_a, project=p, action="approve")
    with pytest.raises(DomainError, match="说明原因"):
        services.transition(by=lw.admin, project=p, action="reject")
    with pytest.raises(DomainError, match="不能启动"):
        services.transition(by=lw.liaison_a, project=p, action="start")
    services.transition(by=lw.admin, project=p, action="approve")
    with pytest.raises(PermissionDenied, match="牵头单位"):
        services.transition(by=lw.liaison_b, project=p, action="start")
    services.transition(by=lw.liaison_a, project=p, action="start")
    with pytest.raises(DomainError, match="受益人数"):
        services.transition(by=lw.liaison_a, project=p, action="complete", outcome="食堂开业，每天供餐")
    with pytest.raises(DomainError, match="成效数据"):
        services.transition(by=lw.liaison_a, project=p, action="complete", outcome="食堂开业，每天供餐", beneficiaries=80, figures="很多")
    bad = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(DomainError, match="不是有效的图片"):
        services.transition(by=lw.liaison_a, project=p, action="complete", outcome="食堂开业，每天供餐", beneficiaries=80, photos=[bad])
    p.refresh_from_db()
    assert p.status == "in_progress"
    services.transition(by=lw.liaison_a, project=p, action="complete", outcome="食堂开业，每天供餐", beneficiaries=80,
                        figures="供餐人次：1200\n志愿者：15", photos=[_jpeg()])
    p.refresh_from_db()
    assert p.status == "completed" and p.beneficiaries == 80 and p.figures == {"供餐人次": 1200, "志愿者": 15} and p.photos.count() == 1
    with pytest.raises(DomainError, match="评分"):
        services.transition(by=lw.admin, project=p, action="evaluate", evaluation="群众满意度高", rating=9)
    services.transition(by=lw.admin, project=p, action="evaluate", evaluation="群众满意度高", rating=5)
    verbs = [e.verb for e in selectors.timeline(p)]
    assert verbs == ["lists.project_proposed", "lists.project_approve", "lists.project_start", "lists.project_complete", "lists.project_evaluate"]
    wall = selectors.completed_projects()
    assert wall[0]["title"] == "共建助老食堂" and wall[0]["beneficiaries"] == 80 and wall[0]["photo"]


def test_project_update_brand_and_milestones(lw):
    p = services.create_project(by=lw.liaison_a, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a)
    with pytest.raises(PermissionDenied, match="品牌项目"):
        services.update_project(by=lw.liaison_a, project=p, brand=True)
    with pytest.raises(DomainError, match="预算不能为负数"):
        services.update_project(by=lw.liaison_a, project=p, budget="-5")
    services.update_project(by=lw.admin, project=p, brand=True, budget="12,000", participants=[lw.unit_b])
    p.refresh_from_db()
    assert p.brand and str(p.budget) == "12000.00" and list(p.participants.all()) == [lw.unit_b]
    with pytest.raises(DomainError, match="截止日期"):
        services.add_milestone(by=lw.liaison_a, project=p, title="选址完成", due_on="明天")
    m = services.add_milestone(by=lw.liaison_a, project=p, title="选址完成", due_on=timezone.localdate() + dt.timedelta(days=3))
    services.complete_milestone(by=lw.liaison_a, milestone=m)
    with pytest.raises(DomainError, match="已完成"):
        services.complete_milestone(by=lw.liaison_a, milestone=m)


def test_campaign_tags_and_figures(lw):
    c = services.save_campaign(by=lw.admin, alliance=lw.alliance, name="区域化党建+红色物业")
    with pytest.raises(PermissionDenied):
        services.save_campaign(by=lw.dispatcher_a, alliance=lw.alliance, name="区域化党建+就业")
    with pytest.raises(DomainError, match="已存在"):
        services.save_campaign(by=lw.admin, alliance=lw.alliance, name="区域化党建+红色物业")
    make_resource(lw, campaigns=[c])
    make_need(lw, campaigns=[c])
    p = services.create_project(by=lw.admin, alliance=lw.alliance, title="红色物业共建", lead_unit=lw.unit_a)
    services.update_project(by=lw.admin, project=p, campaigns=[c], budget=5000)
    f = selectors.campaign_figures(c)
    assert (f["projects"], f["needs"], f["resources"], f["budget"], f["units"]) == (1, 1, 1, 5000.0, 1)


# --- matching and pairing ------------------------------------------------------------------------

def test_match_need_ranks_the_fitting_resource_first(lw):
    good = make_resource(lw, area=lw.areas["welfare"])
    make_resource(lw, kind="parking", title="夜间共享停车位", description="单位停车场夜间向居民开放", capacity=20)
    make_resource(lw, by=lw.liaison_b, unit=lw.unit_b, kind="training", title="老人智能手机培训", description="教老人使用智能手机")
    need = make_need(lw, area=lw.areas["welfare"])
    ranked = selectors.match_need(lw.dispatcher_a, need)
    assert ranked[0]["resource"] == good
    assert "助餐" in ranked[0]["explanation"]["shared_words"] and ranked[0]["explanation"]["area"] == "公益联办"
    assert all(r["resource"].kind != "parking" for r in ranked)  # shares no word


def test_pairing_session_accept_into_project_and_request(lw):
    r1 = make_resource(lw, capacity=3)
    r2 = make_resource(lw, by=lw.liaison_b, unit=lw.unit_b, kind="training", title="老人智能手机培训", description="教社区老人使用智能手机挂号",
                       capacity=30)
    n1 = make_need(lw, quantity=5, description="社区独居老人午餐无人照料，需要助餐志愿服务")
    n2 = make_need(lw, title="老人学用智能手机", description="老人不会用手机挂号", quantity=10, beneficiaries="老年居民")
    nb = make_need(lw, by=lw.dispatcher_b, community=lw.community_b, title="乙社区老人助餐", quantity=2)
    with pytest.raises(PermissionDenied):
        services.run_pairing_session(by=lw.liaison_a, alliance=lw.alliance)
    session = services.run_pairing_session(by=lw.dispatcher_a, alliance=lw.alliance)
    pairs = {(p.need_id, p.resource_id): p for p in Pair.objects.filter(session=session)}
    assert nb.pk not in {n for n, _ in pairs}  # only needs in the dispatcher's scope
    assert pairs[(n1.pk, r1.pk)].units == 3  # capacity respected
    assert pairs[(n2.pk, r2.pk)].units == 10
    for (_n, r), p in pairs.items():
        assert p.units <= Resource.objects.get(pk=r).capacity
    p1 = pairs[(n1.pk, r1.pk)]
    with pytest.raises(PermissionDenied):
        services.accept_pair(by=lw.dispatcher_b, pair=p1)
    project = services.accept_pair(by=lw.dispatcher_a, pair=p1, into="project")
    assert isinstance(project, Project) and project.status == "proposed" and project.lead_unit == lw.unit_a
    assert project.origin == p1 and list(project.needs.all()) == [n1] and list(project.resources.all()) == [r1]
    with pytest.raises(DomainError, match="不能再改"):
        services.accept_pair(by=lw.dispatcher_a, pair=Pair.objects.get(pk=p1.pk))
    n1.refresh_from_db()
    assert n1.status == NeedStatus.OPEN  # 3 of 5 covered
    p2 = pairs[(n2.pk, r2.pk)]
    req = services.accept_pair(by=lw.dispatcher_a, pair=p2, into="request")
    assert req.community == lw.community_a and req.kind == "practical" and req.assigned_unit == lw.unit_b and req.status == "dispatched"
    n2.refresh_from_db()
    assert n2.status == NeedStatus.MATCHED
    assert Event.objects.filter(verb="lists.pair_accepted", target_id=str(r2.pk)).exists()


def test_change_and_reject_pair(lw):
    r1 = make_resource(lw)
    r2 = make_resource(lw, by=lw.liaison_b, unit=lw.unit_b, title="老人助餐配送", description="为老人配送午餐")
    make_need(lw, quantity=1)
    session = services.run_pairing_session(by=lw.admin, alliance=lw.alliance)
    pair = session.pairs.get()
    other = r2 if pair.resource == r1 else r1
    with pytest.raises(DomainError, match="当前配对的资源"):
        services.change_pair(by=lw.admin, pair=pair, resource=pair.resource)
    services.change_pair(by=lw.admin, pair=pair, resource=other, reason="距离更近")
    pair.refresh_from_db()
    assert pair.resource == other and pair.changed and pair.explanation["score"] == pair.score
    services.reject_pair(by=lw.admin, pair=pair, reason="暂不需要")
    assert Pair.objects.get(pk=pair.pk).status == PairStatus.REJECTED


def test_pairing_session_with_nothing_to_pair(lw):
    with pytest.raises(DomainError, match="没有待配对的需求"):
        services.run_pairing_session(by=lw.admin, alliance=lw.alliance)
    make_need(lw)
    with pytest.raises(DomainError, match="没有可用的资源"):
        services.run_pairing_session(by=lw.admin, alliance=lw.alliance)


def test_milestone_reminder_scheduled_sent_and_skipped_when_done(lw):
    from tongxin.lists.tasks import milestone_due
    from tongxin.notify.models import Notification, ScheduledJob

    p = services.create_project(by=lw.admin, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a)
    m1 = services.add_milestone(by=lw.admin, project=p, title="选址完成", due_on=timezone.localdate() + dt.timedelta(days=5))
    m2 = services.add_milestone(by=lw.admin, project=p, title="试运营", due_on=timezone.localdate() + dt.timedelta(days=9))
    jobs = {j.target_id: j for j in ScheduledJob.objects.filter(kind="lists.milestone_due")}
    assert set(jobs) == {str(m1.pk), str(m2.pk)}
    services.complete_milestone(by=lw.admin, milestone=m2)
    for j in ScheduledJob.objects.filter(kind="lists.milestone_due"):
        milestone_due(j)
    notes = Notification.objects.filter(verb="lists.milestone_due", recipient=lw.liaison_a)
    assert notes.count() == 1 and "选址完成" in notes.get().title


def test_traditional_need_scores_like_the_simplified_one(lw):
    make_resource(lw)
    make_resource(lw, by=lw.liaison_b, unit=lw.unit_b, kind="training", title="老人智能手机培训", description="教社区老人使用智能手机")
    simp = make_need(lw, title="独居老人助餐", description="社区独居老人需要助餐志愿者")
    trad = make_need(lw, title="獨居老人(lǎo rén)助餐！", description="社區獨居老人需要助餐志願者★")
    a = [(r["resource"].pk, r["score"]) for r in selectors.match_need(lw.dispatcher_a, simp)]
    b = [(r["resource"].pk, r["score"]) for r in selectors.match_need(lw.dispatcher_a, trad)]
    assert a == b and len(a) == 2
