"""The REST API: idempotent submit, scoped list and detail, transitions with Chinese refusals, public walls."""

from tongxin.orders import services
from tongxin.orders.models import ServiceRequest, Status


def test_submit_with_idempotency_key_header(ow, api):
    call = api(ow.resident_a)
    body = {"text": "楼道里堆满杂物，有消防隐患"}
    r1 = call("post", "/", body, HTTP_IDEMPOTENCY_KEY="abc-1")
    r2 = call("post", "/", body, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert r1.status_code == 201 and r2.status_code == 201
    assert r1.json()["id"] == r2.json()["id"] and ServiceRequest.objects.count() == 1
    data = r1.json()
    assert data["tracking_number"].startswith("TX") and data["contact_phone_masked"] == "138****0001"
    assert data["access_key"]


def test_submit_refusal_is_chinese_json(ow, api):
    r = api(ow.resident_a)("post", "/", {"text": "x", "community_id": ow.community_a.pk})
    assert r.status_code == 400
    assert r.json()["field"] == "text" and "请描述" in r.json()["detail"]
    r = api(None)("post", "/", {"text": "没有登录的提交"})
    assert r.status_code == 401


def test_list_and_detail_are_scoped(ow, api, submit):
    req = submit()
    other = services.submit_request(by=None, text="乙社区的诉求", community=ow.community_b, contact_phone="13900000009")
    a = api(ow.dispatcher_a)
    ids = [i["id"] for i in a("get", "/").json()["items"]]
    assert req.pk in ids and other.pk not in ids
    assert "13800000001" not in a("get", "/").content.decode()
    assert a("get", f"/{other.pk}").status_code == 404
    assert a("get", f"/{req.pk}").json()["actions"] == ["inquire", "dispatch", "cancel", "merge"]
    b = api(ow.dispatcher_b)
    assert b("get", f"/{req.pk}").status_code == 404
    r = b("post", f"/{req.pk}/dispatch", {"unit_id": ow.unit_a.pk})
    assert r.status_code == 404 and "不在您的权限范围内" in r.json()["detail"]


def test_transitions_over_the_api(ow, api, submit):
    req = submit()
    d, u, res = api(ow.dispatcher_a), api(ow.liaison_a), api(ow.resident_a)
    r = d("post", f"/{req.pk}/dispatch", {"use_suggestion": True, "unit_id": ow.unit_a.pk})
    assert r.status_code == 200 and r.json()["status"] == "dispatched"
    r = u("post", f"/{req.pk}/complete", {"result": "好了"})
    assert r.status_code == 400 and "不能办结" in r.json()["detail"] and r.json()["code"] == "wrong_state"
    r = u("post", f"/{req.pk}/reveal")
    assert r.status_code == 403 and "接单后" in r.json()["detail"]
    assert u("post", f"/{req.pk}/accept", {}).json()["status"] == "accepted"
    assert u("post", f"/{req.pk}/reveal").json()["contact_phone"] == "13800000001"
    assert u("post", f"/{req.pk}/complete", {"result": "已修好"}).json()["status"] == "done"
    r = u("post", f"/{req.pk}/rate", {"rating": 5})
    assert r.status_code == 403 and "只有社区派单员或提交人可以评价" in r.json()["detail"]
    assert res("post", f"/{req.pk}/rate", {"rating": 5, "comment": "好"}).json()["status"] == "rated"
    assert d("post", f"/{req.pk}/publish", {}).json()["status"] == "published"
    wall = api(None)("get", "/wall").json()["items"]
    assert wall[0]["tracking_number"] == req.tracking_number and "13800000001" not in str(wall)
    track = api(None)("get", f"/track/{req.tracking_number}").json()
    assert track["status"] == "published" and "contact" not in str(track)


def test_wish_claim_over_the_api(ow, api):
    wish = services.submit_request(by=ow.resident_a, kind="wish", text="想学剪纸")
    services.post_wish(req=wish, by=ow.dispatcher_a)
    items = api(None)("get", "/wishes").json()["items"]
    assert items[0]["id"] == wish.pk and not items[0]["claimed"]
    r = api(ow.member_a)("post", f"/{wish.pk}/claim", {})
    assert r.status_code == 200 and r.json()["status"] == Status.ACCEPTED
    r = api(ow.liaison_a)("post", f"/{wish.pk}/claim", {})
    assert r.status_code == 400 and "该心愿已被认领" in r.json()["detail"]


def test_figures_need_a_role(ow, api):
    assert api(ow.resident_a)("get", "/figures").status_code == 403
    r = api(ow.dispatcher_a)("get", "/figures")
    assert r.status_code == 200 and "response_rate" in r.json()["definitions"]
