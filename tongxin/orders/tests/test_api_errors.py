"""Malformed API calls get a Chinese 4xx in JSON, never a 500 or an English message."""

from django.test import Client

from tongxin.orders.models import ServiceRequest


def test_a_body_without_text_is_a_chinese_422_not_a_500(ow, api):
    call = api(ow.dispatcher_a)
    r = call("post", "/", {})
    assert r.status_code == 422 and r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["code"] == "invalid" and "text（必填）" in body["detail"]
    assert body["errors"] == [{"field": "text", "type": "missing", "msg": "必填"}]
    r = call("post", "/", {"text": "路灯坏了", "lng": "abc", "lat": 37.8})
    assert r.status_code == 422 and "lng（应为数字）" in r.json()["detail"]
    assert ServiceRequest.objects.count() == 0


def test_a_multipart_body_without_text_too(ow, api):
    from tongxin.accounts.services import create_api_token

    _, key = create_api_token(user=ow.dispatcher_a, name="测试集成")
    r = Client().post("/api/v1/orders/", {"contact_phone": "13800138000"}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 422 and "必填" in r.json()["detail"]


def test_no_token_and_no_session_is_the_chinese_401_also_for_a_post():
    c = Client(enforce_csrf_checks=True)
    for method in ("get", "post"):
        r = getattr(c, method)("/api/v1/orders/", content_type="application/json")
        assert r.status_code == 401 and "未登录或令牌无效" in r.json()["detail"], (method, r.content)


def test_a_session_post_without_the_csrf_token_is_refused_in_chinese(ow):
    c = Client(enforce_csrf_checks=True)
    c.force_login(ow.resident_a)
    r = c.post("/api/v1/orders/", {"text": "门口路灯坏了"}, content_type="application/json")
    assert r.status_code == 403 and "CSRF 校验失败" in r.json()["detail"]
    assert ServiceRequest.objects.count() == 0
    c.get("/orders/new/")  # a page sets the CSRF cookie, as in the browser
    token = c.cookies["csrftoken"].value
    r = c.post("/api/v1/orders/", {"text": "门口路灯坏了"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 201


def test_the_list_count_is_exact_below_the_cap_and_says_when_capped(ow, api, submit, monkeypatch):
    from tongxin.orders import api as orders_api

    for n in range(3):
        submit(text=f"第{n}处路灯坏了", community=ow.community_a)
    call = api(ow.dispatcher_a)
    body = call("get", "/?limit=2").json()
    assert body["count"] == 3 and body["count_capped"] is False and len(body["items"]) == 2
    monkeypatch.setattr(orders_api, "LIST_COUNT_CAP", 2)
    body = call("get", "/").json()
    assert body["count"] == 2 and body["count_capped"] is True and len(body["items"]) == 3
