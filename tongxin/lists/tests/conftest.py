import pytest


@pytest.fixture
def lw(world):
    """The shared world plus the alliance membership of unit A and a second unit (under community B)."""
    import datetime as dt

    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind
    from tongxin.orgs.services import ensure_cobuilding_areas

    w = world
    orgs.add_member(alliance=w.alliance, organization=w.unit_a, by=w.system, joined_on=dt.date(2024, 1, 1))
    w.unit_b = orgs.create_organization(by=w.system, parent=w.community_b, name="乙学校", kind=OrgKind.SCHOOL)
    orgs.add_member(alliance=w.alliance, organization=w.unit_b, by=w.system, joined_on=dt.date(2024, 1, 1))
    w.liaison_b = w.user("t-liaison-b", "liaison", w.unit_b)
    w.areas = {a.code: a for a in ensure_cobuilding_areas(w.alliance)}
    return w


WINDOWS = [{"weekday": 5, "start": "09:00", "end": "12:00"}]


def make_resource(w, by=None, unit=None, **kw):
    from tongxin.lists import services

    data = dict(kind="volunteer", title="助老志愿服务队", description="为独居老人提供上门助餐、陪伴聊天服务", capacity=10,
                availability=WINDOWS, contact_phone="13912345678", contact_name="王老师")
    data.update(kw)
    return services.save_resource(by=by or w.liaison_a, unit=unit or w.unit_a, **data)


def make_need(w, by=None, community=None, **kw):
    from tongxin.lists import services

    data = dict(title="独居老人助餐", description="社区独居老人午餐无人照料，需要助餐志愿者", quantity=5, beneficiaries="独居老人")
    data.update(kw)
    return services.save_need(by=by or w.dispatcher_a, community=community or w.community_a, **data)
