"""The API calls the same services and selectors; refusals come back as Chinese JSON."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tongxin.deliberation.models import Ballot, Stage, Topic

pytestmark = pytest.mark.django_db


def api(user):
    c = Client()
    if user is not None:
        c.force_login(user)

    def call(method, path, json=None):
        fn = getattr(c, method.lower())
        if json is None:
            return fn("/api/v1/topics" + path)
        return fn("/api/v1/topics" + path, data=json, content_type="application/json")

    return call


def test_full_loop_through_the_api(dw):
    res, disp = api(dw.resident_a), api(dw.dispatcher_a)
    r = res("post", "/", {"title": "院里停车难", "description": "商铺员工占用居民车位", "grid_id": dw.grid_a.pk})
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert res("post", f"/{pk}/opinions", {"text": "建议错时停车"}).status_code == 201
    assert res("post", f"/{pk}/escalate", {"reason": "想升级"}).status_code == 403
    r = disp("post", f"/{pk}/escalate", {"to": "community", "reason": "需社区协调"})
    assert r.status_code == 200 and r.json()["stage"] == Stage.COMMUNITY
    closes = (timezone.now() + dt.timedelta(days=1)).isoformat()
    r = disp("post", f"/{pk}/ballots", {"question": "是否同意？", "options": ["同意", "不同意"], "closes_at": closes, "eligibility": "grid",
                                        "grid_id": dw.grid_a.pk, "secret": True})
    assert r.status_code == 201, r.json()
    bid = r.json()["id"]
    option = r.json()["results"]["options"][0]["id"]
    assert res("post", f"/ballots/{bid}/vote", {"option_id": option}).json()["voted"] is True
    r = res("post", f"/ballots/{bid}/vote", {"option_id": option})
    assert r.status_code == 400 and "已经投过票" in r.json()["detail"]
    r = api(dw.resident_d)("post", f"/ballots/{bid}/vote", {"option_id": option})
    assert r.status_code == 403 and "不在本次投票的范围内" in r.json()["detail"]
    assert disp("get", f"/ballots/{bid}/voters").status_code == 403  # secret ballot
    r = disp("get", f"/ballots/{bid}").json()["results"]
    assert r["total"] == 1 and r["eligible"] == 2 and r["turnout"] == 50.0
    held = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    r = disp("post", f"/{pk}/consultations", {"title": "停车协商会", "held_at": held, "invitees": [
        {"kind": "resident", "person_id": dw.person_a.pk}, {"kind": "member_unit", "organization_id": dw.unit_a.pk}]})
    assert r.status_code == 201, r.json()
    cid, inv = r.json()["id"], r.json()["invitees"]
    r = disp("post", f"/consultations/{cid}/record", {"summary": "各方同意夜间开放停车场", "attendance": {str(inv[0]["id"]): True},
                                                      "positions": {str(inv[1]["id"]): "愿意开放"}})
    assert r.status_code == 200 and r.json()["recorded_at"]
    r = disp("post", f"/{pk}/resolve", {"decision": "由社区协调划定临时车位", "kind": "request"})
    assert r.status_code == 200 and r.json()["stage"] == Stage.RESOLVED and r.json()["resolution"]["links"]
    listing = res("get", "/?stage=resolved").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == pk
    assert api(dw.resident_b)("get", f"/{pk}").status_code == 404
    assert Client().get(f"/api/v1/topics/{pk}/public").status_code == 200


def test_api_refusals_are_chinese(dw):
    r = api(dw.resident_a)("post", "/", {"title": "停", "description": "商铺员工占用居民车位"})
    assert r.status_code == 400 and r.json()["field"] == "title" and "议题标题" in r.json()["detail"]
    assert api(None)("get", "/").status_code == 401
    assert not Topic.objects.exists() and not Ballot.objects.exists()


def test_settings_and_roll(dw):
    admin = api(dw.admin)
    r = admin("put", f"/settings/{dw.alliance.pk}", {"online_days": 4})
    assert r.status_code == 200 and r.json()["online_days"] == 4
    assert api(dw.dispatcher_a)("put", f"/settings/{dw.alliance.pk}", {"online_days": 4}).status_code == 403
    r = api(dw.dispatcher_a)("post", "/rolls", {"community_id": dw.community_a.pk, "building": "3号楼", "person_ids": [dw.person_a.pk]})
    assert r.status_code == 200 and r.json()["added"] == 1


def test_raise_with_photo_as_multipart(dw):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 0, 200)).save(buf, format="JPEG")
    c = Client()
    c.force_login(dw.resident_a)
    r = c.post("/api/v1/topics/", {"title": "车棚漏雨", "description": "自行车棚顶棚破了，下雨天车都淋湿", "grid_id": "",
                                    "photos": [SimpleUploadedFile("a.jpg", buf.getvalue(), content_type="image/jpeg")]})
    assert r.status_code == 201, r.json()
    assert len(r.json()["photos"]) == 1 and r.json()["grid"] is None
    r = c.post("/api/v1/topics/", {"title": "车棚漏雨", "description": "自行车棚顶棚破了，下雨天车都淋湿",
                                    "photos": [SimpleUploadedFile("b.jpg", b"nope", content_type="image/jpeg")]})
    assert r.status_code == 400 and r.json()["field"] == "photos"
