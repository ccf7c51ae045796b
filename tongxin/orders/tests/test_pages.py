"""Pages: Chinese text, one-click dispatch, scoping (404 for another community), the public walls."""

import re

from tongxin.orders import services
from tongxin.orders.models import ServiceRequest, Status


def test_resident_submits_from_the_form_and_gets_a_tracking_page(ow, client):
    client.force_login(ow.resident_a)
    page = client.get("/orders/new/")
    assert page.status_code == 200 and "我要点单" in page.content.decode()
    r = client.post("/orders/new/", {"text": "单元门门禁坏了，进不去", "idempotency_key": "form-1"})
    assert r.status_code == 302
    req = ServiceRequest.objects.get()
    assert r["Location"].startswith(f"/orders/t/{req.tracking_number}/?k=")
    again = client.post("/orders/new/", {"text": "单元门门禁坏了，进不去", "idempotency_key": "form-1"})
    assert again.status_code == 302 and ServiceRequest.objects.count() == 1  # double tap makes one request
    page = client.get(r["Location"]).content.decode()
    assert req.tracking_number in page and "已提交" in page and "单元门门禁坏了" in page


def test_anonymous_form_errors_are_chinese(ow, client):
    r = client.post("/orders/new/", {"text": "垃圾没人清运", "community": ow.community_a.pk})
    assert r.status_code == 400 and "请留下联系电话" in r.content.decode()
    assert ServiceRequest.objects.count() == 0


def test_tracking_page_without_key_hides_the_text(ow, client, submit):
    req = submit(text="我家电话13800000001，门口路灯坏了")
    page = client.get(f"/orders/t/{req.tracking_number}/").content.decode()
    assert "已提交" in page and "13800000001" not in page and "门口路灯坏了" not in page
    assert client.get("/orders/t/TXNOPE/").status_code == 404


def test_rating_from_the_tracking_link(ow, client, done):
    req = done()
    r = client.post(f"/orders/t/{req.tracking_number}/rate/", {"k": req.access_key, "rating": "4", "comment": "不错"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.RATED and req.rating == 4
    page = client.get(r["Location"]).content.decode()
    assert "感谢您的评价" in page


def test_inbox_one_click_dispatch_with_htmx(ow, client, submit):
    req = submit()
    client.force_login(ow.dispatcher_a)
    page = client.get("/orders/inbox/").content.decode()
    assert "派单台" in page and "按建议派单" in page and req.tracking_number in page
    # The suggested unit is the community's own team (no default unit on the category).
    r = client.post(f"/orders/{req.pk}/act/dispatch/", {"use_suggestion": "1"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "已派单" in r.content.decode()
    req.refresh_from_db()
    assert req.status == Status.DISPATCHED and req.assigned_unit == ow.community_a


def test_dispatcher_of_another_community_gets_404(ow, client, submit):
    req = submit()
    client.force_login(ow.dispatcher_b)
    assert client.get(f"/orders/{req.pk}/").status_code == 404
    assert client.post(f"/orders/{req.pk}/act/dispatch/", {"use_suggestion": "1"}).status_code == 404
    assert req.tracking_number not in client.get("/orders/inbox/").content.decode()


def test_notification_link_goes_to_the_work_page_by_tracking_number(ow, client, submit):
    from tongxin.notify.models import Notification

    req = submit()
    url = Notification.objects.get(recipient=ow.dispatcher_a, verb="order.submitted").url
    client.force_login(ow.dispatcher_a)
    r = client.get(url)
    assert r.status_code == 302 and r["Location"] == f"/orders/{req.pk}/"
    assert client.get(url.lower()).status_code == 302  # typed by hand
    assert client.get("/orders/go/TX000000NOPE/").status_code == 404
    client.force_login(ow.dispatcher_b)  # another community: not even whether it exists
    assert client.get(url).status_code == 404
    client.logout()
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_unit_accepts_sees_phone_and_completes(ow, client, dispatched):
    req = dispatched()
    client.force_login(ow.liaison_a)
    page = client.get("/orders/unit/").content.decode()
    assert "本单位工单" in page and req.tracking_number in page
    assert "张三" not in client.get(f"/orders/{req.pk}/").content.decode()  # name masked until accepted
    assert client.post(f"/orders/{req.pk}/reveal/").content.decode().count("接单后才能查看") == 1
    client.post(f"/orders/{req.pk}/act/accept/")
    assert "13800000001" in client.post(f"/orders/{req.pk}/reveal/").content.decode()
    r = client.post(f"/orders/{req.pk}/act/complete/", {"result": ""}, follow=True)
    assert "请填写办理结果" in r.content.decode()
    client.post(f"/orders/{req.pk}/act/complete/", {"result": "已修复"})
    req.refresh_from_db()
    assert req.status == Status.DONE
    detail = client.get(f"/orders/{req.pk}/").content.decode()
    assert "办理记录" in detail and "已修复" in detail


def test_wrong_state_on_a_page_shows_the_chinese_refusal(ow, client, submit):
    req = submit()
    client.force_login(ow.dispatcher_a)
    r = client.post(f"/orders/{req.pk}/act/publish/", {}, follow=True)
    assert "不能晒单" in r.content.decode()


def test_public_wall_has_no_personal_data(ow, client, done):
    req = done(text="张三反映：13800000001，5号楼门口路灯不亮")
    services.rate(req=req, by=ow.resident_a, rating=5)
    services.publish(req=req, by=ow.dispatcher_a)
    page = client.get("/orders/wall/").content.decode()
    assert "成果墙" in page and "路灯不亮" in page
    for secret in ("13800000001", "张三", "5号楼", "138****0001"):
        assert secret not in page


def test_wish_wall_and_claim(ow, client):
    wish = services.submit_request(by=ow.resident_a, kind="wish", text="我叫张三，想学用智能手机")
    services.post_wish(req=wish, by=ow.dispatcher_a)
    page = client.get("/orders/wishes/").content.decode()
    assert "心愿墙" in page and "想学用智能手机" in page and "张三" not in page and "登录后认领" in page
    client.force_login(ow.member_a)
    r = client.post(f"/orders/{wish.pk}/act/claim/", HTTP_HX_REQUEST="true")
    assert "已认领" in r.content.decode()
    client.force_login(ow.liaison_a)
    r = client.post(f"/orders/{wish.pk}/act/claim/", HTTP_HX_REQUEST="true")
    assert "该心愿已被认领" in r.content.decode()


def test_figures_page(ow, client, done):
    req = done()
    services.rate(req=req, by=ow.resident_a, rating=5)
    client.force_login(ow.dispatcher_a)
    page = client.get("/orders/figures/").content.decode()
    assert "响应率" in page and "满意率" in page and "甲医院" in page
    assert re.search(r"100%", page)
    client.force_login(ow.resident_a)
    assert client.get("/orders/figures/").status_code == 404


def test_inbox_counts_at_most_the_cap_and_says_so(ow, client, monkeypatch):
    from tongxin.orders import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    monkeypatch.setattr(views, "SEARCH_COUNT_CAP", 3)
    for n in range(5):
        services.submit_request(by=ow.resident_a, text=f"楼道灯坏了第{n}处", community=ow.community_a)
    client.force_login(ow.dispatcher_a)
    html = client.get("/orders/inbox/").content.decode()
    assert "1 / 2+" in html  # 3 counted (the cap), 2 per page, more exist
    assert client.get("/orders/inbox/?page=2").content.decode().count('data-testid="inbox-row"') == 1
