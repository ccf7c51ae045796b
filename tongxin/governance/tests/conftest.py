"""Governance fixtures on the shared `world`: units A (community A) and B (community B) are members
of the alliance, with liaisons; an outsider unit is not; helpers make an agreement in force."""

import datetime as dt

import pytest


@pytest.fixture
def gw(world):
    from tongxin.accounts.models import Role
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    w = world
    S = w.system
    for org, role in ((w.community_a, "community"), (w.community_b, "community"), (w.unit_a, "member_unit")):
        orgs.add_member(alliance=w.alliance, organization=org, by=S, joined_on=dt.date(2024, 1, 1), role=role)
    w.unit_b = orgs.create_organization(by=S, parent=w.community_b, name="乙学校", kind=OrgKind.SCHOOL)
    orgs.add_member(alliance=w.alliance, organization=w.unit_b, by=S, joined_on=dt.date(2024, 1, 1))
    w.outsider = orgs.create_organization(by=S, parent=w.community_b, name="未入盟商店", kind=OrgKind.INDIVIDUAL_BUSINESS)
    w.liaison_b = w.user("t-liaison-b", Role.LIAISON, w.unit_b)
    from django.utils import timezone

    w.today = timezone.localdate()
    return w


@pytest.fixture
def make_agreement(gw):
    from tongxin.governance import services

    def _make(*, by=None, parties=None, activate=True, **kw):
        today = gw.today
        kw.setdefault("kind", "cobuilding")
        kw.setdefault("title", "甲社区与甲医院共驻共建协议书")
        kw.setdefault("starts_on", today - dt.timedelta(days=90))
        kw.setdefault("ends_on", today + dt.timedelta(days=275))
        kw.setdefault("signed_on", today - dt.timedelta(days=90))
        ag = services.create_agreement(by=by or gw.admin, alliance=gw.alliance,
                                       parties=parties if parties is not None else [gw.community_a, gw.unit_a], **kw)
        if activate:
            ag = services.activate(agreement=ag, by=by or gw.admin)
        return ag

    return _make


@pytest.fixture
def pdf_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    def _f(name="scan.pdf", size=None):
        body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
        if size:
            body = body + b"0" * (size - len(body))
        return SimpleUploadedFile(name, body, content_type="application/pdf")

    return _f


@pytest.fixture
def image_file():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    def _f(name="photo.jpg"):
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 120, 30)).save(buf, format="JPEG")
        return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")

    return _f
