"""Consultation meetings and their record; resolutions into a project, a request or action items, linked both ways."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.deliberation import services
from tongxin.deliberation.models import Consultation, Resolution, ResolutionKind, Stage, StakeholderKind, Topic
from tongxin.notify.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def property_co(dw):
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    co = orgs.create_organization(by=dw.system, parent=dw.community_a, name="甲物业公司", kind=OrgKind.PROPERTY_COMPANY)
    orgs.add_member(alliance=dw.alliance, organization=co, by=dw.system, joined_on=dt.date(2024, 1, 1))
    return co


def _invitees(dw, property_co):
    return [
        {"kind": StakeholderKind.RESIDENT, "person": dw.person_a},
        {"kind": StakeholderKind.PROPERTY_COMPANY, "organization": property_co},
        {"kind": StakeholderKind.SHOP, "name": "铁匠巷烟酒店"},
        {"kind": StakeholderKind.MEMBER_UNIT, "organization": dw.unit_a},
    ]


def test_consultation_invites_and_record(dw, raise_topic, property_co):
    topic = raise_topic()
    held = timezone.now() - dt.timedelta(hours=1)
    c = services.schedule_consultation(topic=topic, by=dw.dispatcher_a, title="停车问题协商会", held_at=held, place="社区会议室",
                                       invitees=_invitees(dw, property_co))
    assert c.invitees.count() == 4 and c.stage == Stage.ONLINE
    assert Notification.objects.filter(recipient=dw.resident_a, verb="deliberation.invited").exists()
    assert Notification.objects.filter(recipient=dw.liaison_a, verb="deliberation.invited").exists()
    inv = {i.kind: i for i in c.invitees.all()}
    services.record_consultation(
        consultation=c, by=dw.dispatcher_a, summary="各方同意夜间向居民开放商铺车位，白天商铺员工停院外。",
        attendance={inv["resident"].pk: True, inv["property_company"].pk: True, inv["shop"].pk: False, inv["member_unit"].pk: True},
        positions={inv["property_company"].pk: "愿意划线并安排夜间值守"},
        guests=[{"kind": StakeholderKind.RESIDENT, "name": "院落长", "position": "支持"}],
    )
    c.refresh_from_db()
    assert c.recorded_at is not None and c.invitees.filter(attended=True).count() == 4
    assert c.invitees.get(kind="property_company").position == "愿意划线并安排夜间值守"
    assert topic.events.filter(verb="consultation_recorded").exists()


def test_consultation_refusals(dw, raise_topic, property_co):
    topic = raise_topic()
    with pytest.raises(PermissionDenied):
        services.schedule_consultation(topic=topic, by=dw.resident_a, title="协商会", held_at=timezone.now(),
                                       invitees=_invitees(dw, property_co))
    with pytest.raises(DomainError) as exc:
        services.schedule_consultation(topic=topic, by=dw.dispatcher_a, title="协商会", held_at=timezone.now(), invitees=[])
    assert exc.value.field == "invitees"
    with pytest.raises(DomainError) as exc:
        services.schedule_consultation(topic=topic, by=dw.dispatcher_a, title="协商会", held_at=timezone.now(),
                                       invitees=[{"kind": StakeholderKind.PROPERTY_COMPANY, "organization": dw.unit_a}])
    assert "不是物业公司" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.schedule_consultation(topic=topic, by=dw.dispatcher_a, title="协商会", held_at=timezone.now(),
                                       invitees=[{"kind": StakeholderKind.IN_SERVICE_MEMBER, "person": dw.person_c}])
    assert "不是在职党员" in exc.value.message
    future = services.schedule_consultation(topic=topic, by=dw.dispatcher_a, title="协商会", held_at=timezone.now() + dt.timedelta(days=2),
                                            invitees=_invitees(dw, property_co))
    with pytest.raises(DomainError) as exc:
        services.record_consultation(consultation=future, by=dw.dispatcher_a, summary="各方充分发表意见")
    assert "开会后才能登记" in exc.value.message
    assert Consultation.objects.count() == 1


def test_resolve_into_request(dw, raise_topic):
    from tongxin.orders.models import Kind, ServiceRequest

    topic = raise_topic(grid=dw.grid_a, compound="11号院")
    services.escalate(topic=topic, by=dw.dispatcher_a, to=Stage.COMMUNITY)
    res = services.resolve_topic(topic=topic, by=dw.dispatcher_a, kind=ResolutionKind.REQUEST,
                                 decision="由社区协调城管在院外划定临时停车位。")
    topic.refresh_from_db()
    assert topic.stage == Stage.RESOLVED and topic.outcome.startswith("由社区协调")
    req = ServiceRequest.objects.get()
    assert req.kind == Kind.PRACTICAL and req.community == dw.community_a and f"/topics/{topic.pk}/" in req.text
    link = res.links.get()
    assert link.target == req and link.url == f"/orders/{req.pk}/"
    assert Notification.objects.filter(recipient=dw.resident_a, verb="deliberation.resolved").exists()
    with pytest.raises(DomainError):
        services.resolve_topic(topic=topic, by=dw.dispatcher_a, kind=ResolutionKind.REQUEST, decision="再来一次决议")


def test_resolve_into_project_links_both_ways(dw, raise_topic):
    from tongxin.lists import models as lists

    topic = raise_topic()
    res = services.resolve_topic(topic=topic, by=dw.dispatcher_a, kind=ResolutionKind.PROJECT, decision="实施错时停车共建项目",
                                 project={"title": "错时停车共建项目", "lead_unit": dw.unit_a})
    project = lists.Project.objects.get()
    assert res.links.get().target == project
    assert project.origin_id == str(topic.pk) and project.origin_type.model_class() is Topic


def test_topic_page_links_the_project_only_for_those_who_may_open_it(dw, raise_topic, client):
    topic = raise_topic()
    services.resolve_topic(topic=topic, by=dw.dispatcher_a, kind=ResolutionKind.PROJECT, decision="实施错时停车共建项目",
                           project={"title": "错时停车共建项目", "lead_unit": dw.unit_a})
    from tongxin.lists.models import Project

    href = f'href="/lists/projects/{Project.objects.get().pk}/"'
    client.force_login(dw.dispatcher_a)
    assert href in client.get(f"/topics/{topic.pk}/").content.decode()
    client.force_login(dw.resident_a)
    page = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "错时停车共建项目" in page and href not in page


def test_resolve_into_action_items(dw, raise_topic):
    from tongxin.meetings import models as meetings

    topic = raise_topic()
    due = timezone.localdate() + dt.timedelta(days=14)
    res = services.resolve_topic(topic=topic, by=dw.dispatcher_a, kind=ResolutionKind.ACTION_ITEMS, decision="各方分头落实停车方案",
                                 action_items=[{"title": "夜间开放单位停车场", "owner": dw.unit_a, "due_on": due},
                                               {"title": "院内划线", "owner": dw.community_a, "due_on": due}])
    items = list(meetings.ActionItem.objects.order_by("id"))
    assert len(items) == 2 and {i.origin_id for i in items} == {str(topic.pk)}
    assert res.links.count() == 2


def test_failed_resolution_leaves_topic_open(dw, raise_topic):
    topic = raise_topic()
    outsider = dw.community_b.__class__.objects.create(name="联盟外单位", kind="private_enterprise", parent=dw.community_a)
    with pytest.raises(DomainError):
        services.resolve_topic(topic=topic, by=dw.dispatcher_a, kind=ResolutionKind.ACTION_ITEMS, decision="由联盟外单位负责",
                               action_items=[{"title": "夜间开放停车场", "owner": outsider, "due_on": timezone.localdate()}])
    topic.refresh_from_db()
    assert topic.stage == Stage.ONLINE and not Resolution.objects.exists()


def test_resolution_refusals(dw, raise_topic):
    topic = raise_topic()
    with pytest.raises(PermissionDenied):
        services.resolve_topic(topic=topic, by=dw.resident_a, kind=ResolutionKind.REQUEST, decision="我决定这样办吧")
    with pytest.raises(DomainError) as exc:
        services.resolve_topic(topic=topic, by=dw.dispatcher_a, kind="vote", decision="我决定这样办吧")
    assert exc.value.field == "kind"
    with pytest.raises(DomainError) as exc:
        services.resolve_topic(topic=topic, by=dw.dispatcher_a, kind=ResolutionKind.PROJECT, decision="立项", project={})
    assert exc.value.field == "decision"
