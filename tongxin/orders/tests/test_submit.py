"""Intake: resident, anonymous, staff on behalf, grid report; idempotency; refusals in Chinese."""

import pytest
from PIL import Image

from tongxin.audit.models import Event
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.orders import services
from tongxin.orders.models import Channel, Kind, RequestEvent, ServiceRequest, Status


def test_resident_submit_prefills_contact_and_suggests(ow, submit):
    req = submit()
    assert req.status == Status.SUBMITTED
    assert req.tracking_number.startswith("TX") and len(req.tracking_number) == 13
    assert req.community == ow.community_a  # from the resident's person record
    assert req.contact_name == "张三"
    assert req.contact_phone_masked == "138****0001"
    assert "13800000001" not in req.contact_phone_enc
    assert req.suggested_category == ow.cat["municipal"]
    assert any("路灯" in r for r in req.suggestion["reasons"])
    assert RequestEvent.objects.filter(request=req, verb="submitted").count() == 1
    assert Event.objects.filter(verb="order.submitted", target_id=str(req.pk)).exists()


def test_submission_writes_its_rows_in_one_statement_on_postgresql(ow, submit):
    """The request, its timeline row, its audit event and every dispatcher's notification."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tongxin.accounts.models import Role
    from tongxin.notify.models import Notification

    dispatchers = services.users_with_roles(ow.community_a, [Role.DISPATCHER])
    assert dispatchers
    submit()  # warms the memoised reads (categories, dispatchers, alliance)
    with CaptureQueriesContext(connection) as queries:
        req = submit(text="楼道灯坏了好几天")
    # A statement psycopg has prepared before is logged without its text (None).
    statements = [q["sql"] or "" for q in queries.captured_queries if "SAVEPOINT" not in (q["sql"] or "")]
    if connection.vendor == "postgresql":
        assert len(statements) == 1, statements
    else:
        assert len([q for q in statements if q.startswith("INSERT")]) == 3 + len(dispatchers)
    notes = Notification.objects.filter(verb="order.submitted", target_id=str(req.pk))
    assert sorted(n.recipient_id for n in notes) == sorted(u.pk for u in dispatchers)


def test_same_idempotency_key_returns_the_same_request(ow, submit):
    a = submit(idempotency_key="phone-retry-1")
    b = submit(idempotency_key="phone-retry-1", text="完全不同的文字也不会产生第二单")
    assert a.pk == b.pk
    assert ServiceRequest.objects.count() == 1
    c = submit(idempotency_key="phone-retry-2")
    assert c.pk != a.pk


def test_idempotency_keys_of_different_users_do_not_collide(ow, submit):
    a = submit(idempotency_key="k1")
    b = submit(by=None, idempotency_key="k1", community=ow.community_b, contact_phone="13900000009")
    assert a.pk != b.pk


def test_anonymous_needs_phone_and_place(ow):
    with pytest.raises(DomainError) as exc:
        services.submit_request(by=None, text="楼道灯坏了", community=ow.community_a)
    assert exc.value.field == "contact_phone" and "联系电话" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.submit_request(by=None, text="楼道灯坏了", contact_phone="13900000009")
    assert exc.value.field == "community" and "社区" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.submit_request(by=None, text="楼道灯坏了", community=ow.community_a, contact_phone="12345")
    assert exc.value.field == "contact_phone" and "格式不正确" in exc.value.message
    req = services.submit_request(by=None, text="楼道灯坏了", community=ow.community_a, contact_phone="139 0000 0009")
    assert req.submitter is None and req.contact_phone_masked == "139****0009"


def test_text_is_required(ow, submit):
    with pytest.raises(DomainError) as exc:
        submit(text="  ")
    assert exc.value.field == "text" and "请描述" in exc.value.message


def test_point_finds_grid_and_community(ow):
    req = services.submit_request(by=None, text="这里有一堆垃圾", lng="112.005", lat="37.005", contact_phone="13900000009")
    assert req.grid == ow.grid_a and req.community == ow.community_a
    assert req.suggested_category == ow.cat["sanitation"]


def test_bad_coordinates_are_refused(ow):
    with pytest.raises(DomainError) as exc:
        services.submit_request(by=None, text="垃圾", lng="abc", lat="37", contact_phone="13900000009", community=ow.community_a)
    assert exc.value.field == "lng" and "经度" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.submit_request(by=None, text="垃圾", lng="112", contact_phone="13900000009", community=ow.community_a)
    assert "经度和纬度" in exc.value.message


def test_grid_of_another_community_is_refused(ow):
    with pytest.raises(DomainError) as exc:
        services.submit_request(by=None, text="垃圾", grid=ow.grid_a, community=ow.community_b, contact_phone="13900000009")
    assert exc.value.field == "grid" and "不属于" in exc.value.message


def test_staff_on_behalf_needs_enter_permission_in_scope(ow):
    req = services.submit_request(by=ow.dispatcher_a, text="电话反映：楼下有人占道摆摊", community=ow.community_a,
                                  channel=Channel.PHONE, contact_name="王阿姨", contact_phone="13700000001")
    assert req.entered_by == ow.dispatcher_a and req.submitter is None and req.channel == "phone"
    with pytest.raises(PermissionDenied) as exc:
        services.submit_request(by=ow.dispatcher_a, text="电话反映", community=ow.community_b, channel=Channel.PHONE,
                                contact_phone="13700000001")
    assert "不在您的组织范围内" in exc.value.message
    with pytest.raises(PermissionDenied) as exc:
        services.submit_request(by=ow.resident_a, text="巡查发现", kind=Kind.GRID_REPORT, community=ow.community_a)
    assert "角色不能" in exc.value.message
    with pytest.raises(PermissionDenied) as exc:
        services.submit_request(by=None, text="巡查发现", kind=Kind.GRID_REPORT, community=ow.community_a)
    assert "请先登录" in exc.value.message


def test_grid_report_with_photo_strips_exif(ow, image_file):
    req = services.submit_request(by=ow.grid_worker_a, kind=Kind.GRID_REPORT, channel=Channel.PATROL, text="井盖缺失",
                                  lng=112.001, lat=37.002, photos=[image_file()])
    assert req.kind == Kind.GRID_REPORT and req.grid == ow.grid_a
    photo = req.photos.get()
    with photo.image.open("rb") as fh:
        img = Image.open(fh)
        img.load()
        assert img.format == "JPEG"
        assert not img.getexif()  # no EXIF at all, so no GPS
        assert "exif" not in img.info


def test_bad_images_are_refused(ow, submit, image_file):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(DomainError) as exc:
        submit(photos=[SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")])
    assert exc.value.field == "photos" and "不是有效的图片" in exc.value.message
    with pytest.raises(DomainError) as exc:
        submit(photos=[image_file(f"p{i}.jpg") for i in range(7)])
    assert "最多上传 6 张" in exc.value.message
    from tongxin.orders import images

    big = image_file()
    big.size = images.MAX_BYTES + 1
    with pytest.raises(DomainError) as exc:
        submit(photos=[big])
    assert "超过" in exc.value.message
    assert ServiceRequest.objects.count() == 0  # nothing half-done


def test_png_with_alpha_is_reencoded_as_jpeg(ow, submit, image_file):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    buf = io.BytesIO()
    Image.new("RGBA", (30, 20), (0, 0, 0, 0)).save(buf, format="PNG")
    req = submit(photos=[SimpleUploadedFile("a.png", buf.getvalue(), content_type="image/png")])
    assert req.photos.get().image.name.endswith(".jpg")


def test_category_of_another_alliance_is_refused(ow, submit):
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    other_street = orgs.create_organization(by=ow.system, parent=None, name="别的街道", kind=OrgKind.STREET_COMMITTEE)
    other = orgs.create_alliance(by=ow.system, core_organization=other_street, name="别的联盟")
    cat = services.seed_categories(alliance=other)[0]
    with pytest.raises(DomainError) as exc:
        submit(category=cat)
    assert exc.value.field == "category" and "不属于本联盟" in exc.value.message
