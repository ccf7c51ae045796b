"""Deliberation fixtures on top of the shared `world`: community A has a grid with two residents on
it, a building roll, a member of the alliance and the default categories; helpers raise topics."""

import datetime as dt

import pytest


@pytest.fixture
def dw(world):
    from tongxin.accounts.models import Role
    from tongxin.grids.models import GridLevel
    from tongxin.grids.services import create_grid
    from tongxin.orders import services as orders
    from tongxin.orgs import services as orgs
    from tongxin.people import services as people

    w = world
    for org, role in ((w.community_a, "community"), (w.community_b, "community"), (w.unit_a, "member_unit")):
        orgs.add_member(alliance=w.alliance, organization=org, by=w.system, joined_on=dt.date(2024, 1, 1), role=role)
    square = {"type": "Polygon", "coordinates": [[[112.0, 37.0], [112.01, 37.0], [112.01, 37.01], [112.0, 37.01], [112.0, 37.0]]]}
    street = create_grid(by=w.system, name="测试街道", code="J", level=GridLevel.STREET, organization=w.street)
    com_a = create_grid(by=w.system, name="甲社区", code="JA", level=GridLevel.COMMUNITY, organization=w.community_a, parent=street)
    com_b = create_grid(by=w.system, name="乙社区", code="JB", level=GridLevel.COMMUNITY, organization=w.community_b, parent=street)
    w.grid_a = create_grid(by=w.system, name="甲社区第1网格", code="JA01", level=GridLevel.GRID, organization=w.community_a,
                           parent=com_a, geometry=square)
    w.micro_a = create_grid(by=w.system, name="甲社区第1网格1号楼片", code="JA0101", level=GridLevel.MICRO,
                            organization=w.community_a, parent=w.grid_a)
    w.grid_a2 = create_grid(by=w.system, name="甲社区第2网格", code="JA02", level=GridLevel.GRID, organization=w.community_a, parent=com_a)
    w.grid_b = create_grid(by=w.system, name="乙社区第1网格", code="JB01", level=GridLevel.GRID, organization=w.community_b, parent=com_b)
    orders.seed_categories(alliance=w.alliance)
    people.update_person(person=w.person_a, by=w.system, grid=w.grid_a)
    w.person_c = people.create_person(by=w.system, organization=w.community_a, community=w.community_a, name="王五",
                                      phone="13800000003", grid=w.grid_a)
    w.person_d = people.create_person(by=w.system, organization=w.community_a, community=w.community_a, name="赵六",
                                      phone="13800000004", grid=w.grid_a2)
    w.resident_c = w.user("t-resident-c", Role.RESIDENT, w.community_a, w.person_c)
    w.resident_d = w.user("t-resident-d", Role.RESIDENT, w.community_a, w.person_d)
    w.resident_b = w.user("t-resident-b", Role.RESIDENT, w.community_b, w.person_b)
    w.member_a = w.user("t-member-a", Role.PARTY_MEMBER, w.branch_a)
    w.person_a.refresh_from_db()
    return w


@pytest.fixture
def raise_topic(dw):
    from tongxin.deliberation import services

    def _raise(**kw):
        kw.setdefault("by", dw.resident_a)
        kw.setdefault("title", "小区停车难")
        kw.setdefault("description", "周边商铺员工把车停进院里，居民下班回来没有车位。")
        return services.raise_topic(**kw)

    return _raise


@pytest.fixture
def ballot(dw, raise_topic):
    from django.utils import timezone

    from tongxin.deliberation import services

    def _make(topic=None, **kw):
        topic = topic or raise_topic()
        kw.setdefault("question", "是否实行错时停车方案？")
        kw.setdefault("options", ["同意", "不同意", "弃权"])
        kw.setdefault("closes_at", timezone.now() + dt.timedelta(days=3))
        return services.create_ballot(topic=topic, by=dw.dispatcher_a, **kw)

    return _make
