"""The home page's to-do panel: each line comes from the page it links to, and only the user's own work."""

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def members(world):
    from tongxin.orgs import services as orgs

    for org, role in ((world.community_a, "community"), (world.community_b, "community"), (world.unit_a, "member_unit")):
        orgs.add_member(alliance=world.alliance, organization=org, by=world.system, joined_on=dt.date(2024, 1, 1), role=role)
    return world


def test_dispatcher_sees_requests_waiting_and_the_other_community_does_not(members, client):
    from tongxin.orders import services

    w = members
    services.seed_categories(alliance=w.alliance)
    services.submit_request(by=w.resident_a, text="楼道灯坏了", community=w.community_a)
    client.force_login(w.dispatcher_a)
    html = client.get("/").content.decode()
    assert "待派单的诉求" in html and 'href="/orders/inbox/"' in html
    client.force_login(w.dispatcher_b)
    assert "待派单的诉求" not in client.get("/").content.decode()


def test_liaison_sees_the_units_open_and_overdue_action_items(members, client):
    from tongxin.meetings.services import create_action_item

    w = members
    today = timezone.localdate()
    create_action_item(by=w.admin, alliance=w.alliance, title="修缮活动室", owner=w.unit_a, due_on=today - dt.timedelta(days=3))
    create_action_item(by=w.admin, alliance=w.alliance, title="组织义诊", owner=w.unit_a, due_on=today + dt.timedelta(days=10))
    client.force_login(w.liaison_a)
    resp = client.get("/")
    lines = {t["label"]: t for t in resp.context["todo"]}
    item = lines[f"{w.unit_a.name}未完成的行动事项"]
    assert (item["count"], item["overdue"]) == (2, 1)
    assert "逾期 1 项" in resp.content.decode()
    client.force_login(w.resident_a)
    assert client.get("/").context["todo"] == []


def test_menus_speak_chinese(members, client):
    client.force_login(members.admin)
    html = client.get("/").content.decode()
    for label in ("共建", "联盟", "晒单", "清单与项目", "共建协议", "联席会议", "党群议事", "季度调度", "智能分派"):
        assert f">{label}<" in html, label
