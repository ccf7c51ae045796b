"""Rhythm fixtures on top of the shared `world`: unit A is a member unit of the alliance (community
A and B are community members), categories exist, and helpers make requests waiting for unit A."""

import datetime as dt

import pytest


@pytest.fixture
def rw(world):
    from tongxin.orders import services
    from tongxin.orders.models import Category
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    w = world
    orgs.add_member(alliance=w.alliance, organization=w.community_a, by=w.system, joined_on=dt.date(2024, 1, 1), role="community")
    orgs.add_member(alliance=w.alliance, organization=w.community_b, by=w.system, joined_on=dt.date(2024, 1, 1), role="community")
    w.membership_a = orgs.add_member(alliance=w.alliance, organization=w.unit_a, by=w.system, joined_on=dt.date(2024, 1, 1))
    w.unit_b = orgs.create_organization(by=w.system, parent=w.community_b, name="乙学校", kind=OrgKind.SCHOOL)
    orgs.add_member(alliance=w.alliance, organization=w.unit_b, by=w.system, joined_on=dt.date(2024, 1, 1))
    w.liaison_b = w.user("t-liaison-b", "liaison", w.unit_b)
    services.seed_categories(alliance=w.alliance)
    w.cat = {c.code: c for c in Category.objects.filter(alliance=w.alliance)}
    return w


@pytest.fixture
def waiting(rw):
    """waiting(text=..., unit=unit_a, accept=False) -> a request dispatched to the unit (accepted if asked)."""
    from tongxin.orders import services

    def _make(text="小区门口路灯不亮了，晚上很黑", unit=None, accept=False):
        unit = unit or rw.unit_a
        req = services.submit_request(by=rw.resident_a, text=text)
        req = services.dispatch(req=req, by=rw.dispatcher_a, unit=unit, category=rw.cat["municipal"])
        if accept:
            liaison = rw.liaison_a if unit == rw.unit_a else rw.liaison_b
            req = services.accept(req=req, by=liaison)
        return req

    return _make


@pytest.fixture
def api(db):
    """api(user)(method, path, json=None) calls /api/v1/rhythm as the user (browser session)."""
    import json

    from django.test import Client

    def for_user(user):
        c = Client()
        if user is not None:
            c.force_login(user)

        def call(method, path, body=None, **extra):
            url = f"/api/v1/rhythm{path}"
            if body is not None:
                return getattr(c, method)(url, data=json.dumps(body), content_type="application/json", **extra)
            return getattr(c, method)(url, **extra)

        return call

    return for_user
