"""Meetings fixtures on top of the shared `world`: community A and unit A are members of the
alliance, a second alliance with unit B exists (outside the first), and a duty-chair term covers 2026."""

import datetime as dt

import pytest


@pytest.fixture
def mw(world):
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    w = world
    orgs.add_member(alliance=w.alliance, organization=w.community_a, by=w.system, joined_on=dt.date(2024, 1, 1), role="community")
    orgs.add_member(alliance=w.alliance, organization=w.unit_a, by=w.system, joined_on=dt.date(2024, 1, 1))
    w.unit_b = orgs.create_organization(by=w.system, parent=w.community_b, name="乙学校", kind=OrgKind.SCHOOL)
    w.liaison_b = w.user("t-liaison-b", "liaison", w.unit_b)
    orgs.set_duty_chair(alliance=w.alliance, organization=w.unit_a, starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2035, 12, 31), by=w.system)
    return w
