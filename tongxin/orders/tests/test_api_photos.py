"""Photos through the REST API: multipart on submit, progress and complete, with the same checks as
the pages (type, size, count; re-encoded JPEG without EXIF); a refused file saves nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tongxin.orders import images, services
from tongxin.orders.models import RequestPhoto, ServiceRequest, Status

from .conftest import make_image

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def jpeg(name="现场.jpg"):
    return SimpleUploadedFile(name, make_image("JPEG", gps=True), content_type="image/jpeg")


def assert_clean(photo):
    with photo.image.open("rb") as fh:
        img = Image.open(io.BytesIO(fh.read()))
        assert img.format == "JPEG"
        assert not img.getexif()  # no EXIF at all, so no GPS location


def test_submit_multipart_with_photos(ow):
    c = client_for(ow.resident_a)
    r = c.post("/api/v1/orders/", {"text": "井盖松动，踩上去会晃", "address": "3号楼东侧", "lng": "", "category_id": "",
                                   "photos": [jpeg("a.jpg"), jpeg("b.jpg")]}, HTTP_IDEMPOTENCY_KEY="mp-1")
    assert r.status_code == 201, r.content
    req = ServiceRequest.objects.get(pk=r.json()["id"])
    photos = list(req.photos.all())
    assert len(photos) == 2 and {p.stage for p in photos} == {"report"}
    assert all(p.image.name.endswith(".jpg") for p in photos)
    assert_clean(photos[0])
    detail = c.get(f"/api/v1/orders/{req.pk}").json()
    assert len(detail["photos"]) == 2 and detail["photos"][0]["width"] == 64
    # Retried with the same key: the same request, no second set of photos.
    again = c.post("/api/v1/orders/", {"text": "井盖松动，踩上去会晃", "photos": [jpeg()]}, HTTP_IDEMPOTENCY_KEY="mp-1")
    assert again.json()["id"] == req.pk and RequestPhoto.objects.count() == 2


def test_submit_json_still_works(ow):
    r = client_for(ow.resident_a).post("/api/v1/orders/", {"text": "路灯不亮了"}, content_type="application/json")
    assert r.status_code == 201 and ServiceRequest.objects.count() == 1


def test_progress_and_complete_multipart(ow, dispatched):
    req = dispatched()
    c = client_for(ow.liaison_a)
    assert c.post(f"/api/v1/orders/{req.pk}/accept", {}, content_type="application/json").status_code == 200
    r = c.post(f"/api/v1/orders/{req.pk}/progress", {"note": "已到现场", "photos": [jpeg()]})
    assert r.status_code == 200, r.content
    r = c.post(f"/api/v1/orders/{req.pk}/complete", {"result": "已更换井盖", "photos": [jpeg(), jpeg()]})
    assert r.status_code == 200 and r.json()["status"] == Status.DONE
    stages = sorted(RequestPhoto.objects.filter(request=req).values_list("stage", flat=True))
    assert stages == ["progress", "proof", "proof"]
    timeline = r.json()["timeline"]
    assert [e["verb"] for e in timeline][-2:] == ["progress", "complete"]
    assert RequestPhoto.objects.filter(request=req, stage="proof").first().event.verb == "complete"
    assert_clean(RequestPhoto.objects.filter(request=req, stage="proof").first())


def test_photo_only_progress_update(ow, dispatched):
    req = dispatched()
    services.accept(req=req, by=ow.liaison_a)
    r = client_for(ow.liaison_a).post(f"/api/v1/orders/{req.pk}/progress", {"photos": [jpeg()]})
    assert r.status_code == 200 and r.json()["status"] == Status.IN_PROGRESS


def test_not_an_image_is_refused_and_nothing_saved(ow):
    c = client_for(ow.resident_a)
    fake = SimpleUploadedFile("发票.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    r = c.post("/api/v1/orders/", {"text": "路灯不亮了", "photos": [fake]})
    assert r.status_code == 400
    assert r.json()["field"] == "photos" and "“发票.jpg”不是有效的图片" in r.json()["detail"]
    assert ServiceRequest.objects.count() == 0 and RequestPhoto.objects.count() == 0


def test_too_many_and_too_large(ow, dispatched, monkeypatch):
    c = client_for(ow.resident_a)
    r = c.post("/api/v1/orders/", {"text": "路灯不亮了", "photos": [jpeg(f"{i}.jpg") for i in range(7)]})
    assert r.status_code == 400 and "最多上传 6 张图片，收到 7 张" in r.json()["detail"]
    req = dispatched()
    services.accept(req=req, by=ow.liaison_a)
    monkeypatch.setattr(images, "MAX_BYTES", 100)
    r = client_for(ow.liaison_a).post(f"/api/v1/orders/{req.pk}/complete", {"result": "已修好", "photos": [jpeg("大图.jpg")]})
    assert r.status_code == 400 and "图片“大图.jpg”超过" in r.json()["detail"]
    req.refresh_from_db()
    assert req.status == Status.ACCEPTED and RequestPhoto.objects.count() == 0  # refused before anything changed


def test_photos_on_other_actions_are_refused(ow, dispatched):
    req = dispatched()
    r = client_for(ow.liaison_a).post(f"/api/v1/orders/{req.pk}/accept", {"note": "收到", "photos": [jpeg()]})
    assert r.status_code == 400 and "不能附带照片" in r.json()["detail"]
    req.refresh_from_db()
    assert req.status == Status.DISPATCHED


def test_multipart_bad_number_is_a_chinese_422(ow):
    r = client_for(ow.resident_a).post("/api/v1/orders/", {"text": "路灯不亮了", "community_id": "甲社区"})
    assert r.status_code == 422 and "community_id" in r.json()["detail"] and "请求数据格式有误" in r.json()["detail"]
    r = client_for(ow.resident_a).post("/api/v1/orders/", "not json", content_type="application/json")
    assert r.status_code == 422 and ServiceRequest.objects.count() == 0


def test_unit_of_another_organisation_cannot_upload(ow, dispatched):
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    req = dispatched()
    services.accept(req=req, by=ow.liaison_a)
    other_unit = orgs.create_organization(by=ow.system, parent=ow.community_b, name="乙学校", kind=OrgKind.SCHOOL)
    stranger = ow.user("t-liaison-x", "liaison", other_unit)
    r = client_for(stranger).post(f"/api/v1/orders/{req.pk}/progress", {"note": "我来", "photos": [jpeg()]})
    assert r.status_code == 404 and RequestPhoto.objects.count() == 0


def test_openapi_documents_multipart(ow):
    spec = Client().get("/api/v1/openapi.json").json()
    body = spec["paths"]["/api/v1/orders/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body and "photos" in body["multipart/form-data"]["schema"]["properties"]
    assert "application/json" in body
