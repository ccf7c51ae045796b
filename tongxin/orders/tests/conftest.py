"""Orders fixtures on top of the shared `world` (tongxin/conftest.py): unit A is a member of the
alliance, community A has a grid, the default categories exist, and helpers move a request
along the loop through the services."""

import io

import pytest
from PIL import Image


@pytest.fixture
def ow(world):
    """The world, ready for orders."""
    import datetime as dt

    from tongxin.grids.models import GridLevel
    from tongxin.grids.services import create_grid
    from tongxin.orders import services
    from tongxin.orgs import services as orgs

    w = world
    orgs.add_member(alliance=w.alliance, organization=w.community_a, by=w.system, joined_on=dt.date(2024, 1, 1), role="community")
    orgs.add_member(alliance=w.alliance, organization=w.community_b, by=w.system, joined_on=dt.date(2024, 1, 1), role="community")
    orgs.add_member(alliance=w.alliance, organization=w.unit_a, by=w.system, joined_on=dt.date(2024, 1, 1))
    square = {"type": "Polygon", "coordinates": [[[112.0, 37.0], [112.01, 37.0], [112.01, 37.01], [112.0, 37.01], [112.0, 37.0]]]}
    big = {"type": "Polygon", "coordinates": [[[111.9, 36.9], [112.1, 36.9], [112.1, 37.1], [111.9, 37.1], [111.9, 36.9]]]}
    street_grid = create_grid(by=w.system, name="测试街道", code="J", level=GridLevel.STREET, organization=w.street, geometry=big)
    com_grid = create_grid(by=w.system, name="甲社区", code="JA", level=GridLevel.COMMUNITY, organization=w.community_a,
                           parent=street_grid, geometry=square)
    w.grid_a = create_grid(by=w.system, name="甲社区第1网格", code="JA01", level=GridLevel.GRID, organization=w.community_a,
                           parent=com_grid, geometry=square)
    services.seed_categories(alliance=w.alliance)
    from tongxin.orders.models import Category

    w.cat = {c.code: c for c in Category.objects.filter(alliance=w.alliance)}
    w.grid_worker_a = w.user("t-grid-a", "grid_worker", w.community_a)
    w.member_a = w.user("t-member-a", "party_member", w.branch_a)
    w.liaison_b_unit = None
    return w


@pytest.fixture
def submit(ow):
    from tongxin.orders import services

    def _submit(**kw):
        kw.setdefault("by", ow.resident_a)
        kw.setdefault("text", "小区门口路灯不亮了，晚上很黑")
        return services.submit_request(**kw)

    return _submit


@pytest.fixture
def dispatched(ow, submit):
    from tongxin.orders import services

    def _make(**kw):
        req = submit(**kw)
        return services.dispatch(req=req, by=ow.dispatcher_a, unit=ow.unit_a, category=ow.cat["municipal"])

    return _make


@pytest.fixture
def done(ow, dispatched):
    from tongxin.orders import services

    def _make(**kw):
        req = dispatched(**kw)
        services.accept(req=req, by=ow.liaison_a)
        return services.complete(req=req, by=ow.liaison_a, result="已更换灯泡")

    return _make


def make_image(fmt="JPEG", size=(64, 48), gps=True) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    buf = io.BytesIO()
    kwargs = {}
    if gps and fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "TestCamera"  # Make
        exif[0x8825] = {1: "N", 2: (37.0, 52.0, 1.0), 3: "E", 4: (112.0, 33.0, 2.0)}  # GPS IFD
        kwargs["exif"] = exif
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


@pytest.fixture
def image_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    def _file(name="photo.jpg", fmt="JPEG", **kw):
        return SimpleUploadedFile(name, make_image(fmt, **kw), content_type="image/jpeg")

    return _file


@pytest.fixture
def api(db):
    """api(user)(method, path, json=None, **headers) calls /api/v1/orders with a bearer token of `user`."""
    from django.test import Client

    from tongxin.accounts import permissions as P
    from tongxin.accounts.scope import has_perm
    from tongxin.accounts.services import create_api_token

    def for_user(user):
        headers = {}
        c = Client()
        if user is not None and has_perm(user, P.MANAGE_TOKENS):
            _, key = create_api_token(user=user, name="测试集成")
            headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        elif user is not None:
            c.force_login(user)  # residents and members use the browser session

        def call(method, path, json=None, **extra):
            url = "/api/v1/orders" + path
            fn = getattr(c, method.lower())
            if json is None:
                return fn(url, **headers, **extra)
            return fn(url, data=json, content_type="application/json", **headers, **extra)

        return call

    return for_user
