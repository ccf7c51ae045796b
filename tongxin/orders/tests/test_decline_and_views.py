"""After a decline the unit lands on its inbox and the request is not suggested back to it; a
resident's work page shows the public timeline without staff names; one-click actions update the
row's status badge."""

from tongxin.orders import selectors, services
from tongxin.orders.models import Status


def test_a_unit_that_declines_lands_on_its_inbox_not_on_a_404(ow, client, dispatched):
    req = dispatched(text="门前人行道砖块松动", community=ow.community_a)
    client.force_login(ow.liaison_a)
    r = client.post(f"/orders/{req.pk}/act/decline/", {"reason": "不在我单位门前三包范围"})
    assert r.status_code == 302 and r["Location"] == "/orders/unit/"
    page = client.get(r["Location"]).content.decode()
    assert "已保存" in page
    req.refresh_from_db()
    assert req.status == Status.DECLINED


def test_a_declined_request_is_not_suggested_to_the_same_unit_again(ow, submit):
    from tongxin.orders.models import Category

    Category.objects.filter(pk=ow.cat["municipal"].pk).update(default_unit=ow.unit_a)
    req = submit(text="路灯坏了，晚上很黑", community=ow.community_a)
    req.refresh_from_db()
    assert req.suggestion["unit_id"] == ow.unit_a.pk  # the category's default unit
    services.dispatch(req=req, by=ow.dispatcher_a, use_suggestion=True)
    services.decline(req=req, by=ow.liaison_a, reason="不属于本单位职责")
    req.refresh_from_db()
    assert req.suggestion["unit_id"] == ow.community_a.pk and req.suggestion["declined_unit_ids"] == [ow.unit_a.pk]
    assert "已退回" in req.suggestion["reasons"][0]
    services.dispatch(req=req, by=ow.dispatcher_a, use_suggestion=True)  # one click goes elsewhere now
    req.refresh_from_db()
    assert req.assigned_unit == ow.community_a


def test_the_residents_work_page_shows_the_public_timeline_without_staff_names(ow, client, dispatched):
    req = dispatched(text="楼道灯不亮", community=ow.community_a)
    services.accept(req=req, by=ow.liaison_a)
    services.reveal_contact(req=req, by=ow.liaison_a, purpose="联系居民上门")
    assert not selectors.works_on(ow.resident_a, req) and selectors.works_on(ow.liaison_a, req)
    client.force_login(ow.resident_a)
    page = client.get(f"/orders/{req.pk}/").content.decode()
    assert "已接单" in page
    labels = set(req.events.exclude(actor=ow.resident_a).exclude(actor_label="").values_list("actor_label", flat=True))
    assert labels and not any(label in page for label in labels), labels
    assert "内部" not in page  # the phone read is an internal event
    client.force_login(ow.liaison_a)
    page = client.get(f"/orders/{req.pk}/").content.decode()
    assert "内部" in page


def test_one_click_dispatch_updates_the_rows_status_badge(ow, client, submit):
    req = submit(text="路灯坏了，晚上很黑", community=ow.community_a)
    client.force_login(ow.dispatcher_a)
    inbox = client.get("/orders/inbox/").content.decode()
    assert f'id="status-{req.pk}"' in inbox
    r = client.post(f"/orders/{req.pk}/act/dispatch/", {"unit": ow.unit_a.pk, "category": ow.cat["municipal"].pk},
                    HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert f'<span id="status-{req.pk}" hx-swap-oob="true">' in body and "已派单" in body


def test_an_unknown_tracking_number_is_a_message_on_the_form_not_a_404(ow, client, submit):
    req = submit(text="井盖松动", community=ow.community_a)
    r = client.get("/orders/track/", {"number": " " + req.tracking_number.lower() + " "})
    assert r.status_code == 302 and r["Location"] == f"/orders/t/{req.tracking_number}/"
    r = client.get("/orders/track/", {"number": "TX000000XXXXX"}, follow=True)
    assert r.status_code == 200 and "没有找到编号为“TX000000XXXXX”的工单，请核对编号" in r.content.decode()
    assert 'name="number" value="TX000000XXXXX"' in r.content.decode()  # kept, to correct


def test_the_map_point_names_its_grid_and_community_to_anyone(ow, client):
    r = client.get("/orders/place/", {"lng": "112.005", "lat": "37.005"})  # inside 甲社区第1网格
    assert r.status_code == 200
    assert r.json() == {"grid": "甲社区第1网格", "community_id": ow.community_a.pk, "community": ow.community_a.name}
    assert client.get("/orders/place/", {"lng": "100", "lat": "20"}).json() == {"grid": None, "community_id": None, "community": None}
    bad = client.get("/orders/place/", {"lng": "abc", "lat": "37"})
    assert bad.status_code == 400 and bad.json()["detail"] == "经度“abc”不是数字"


def test_the_submit_map_opens_on_the_residents_community(ow, client):
    client.force_login(ow.resident_a)
    page = client.get("/orders/new/").content.decode()
    assert 'data-center="37.005000,112.005000"' in page and 'data-outlines="1"' in page
    client.logout()
    assert 'data-outlines' not in client.get("/orders/new/").content.decode()  # the grids API needs a login


def test_the_rating_answer_says_what_happened(ow, client, done):
    from tongxin.orders.models import Status

    req = done()
    r = client.post(f"/orders/t/{req.tracking_number}/rate/", {"k": req.access_key, "rating": "1"}, follow=True)
    assert "工单已重新办理" in r.content.decode()
    req.refresh_from_db()
    assert req.status == Status.REOPENED
    services.complete(req=req, by=ow.liaison_a, result="已重新处理")
    r = client.post(f"/orders/t/{req.tracking_number}/rate/", {"k": req.access_key, "rating": "2"}, follow=True)
    assert "已转交街道跟进" in r.content.decode()
    ev = req.events.filter(verb="escalated").last()
    assert ev is not None and ev.note.endswith("（2 星）")  # no dangling colon without a comment


def test_a_wish_is_thanked_without_the_reopen_rule_and_never_escalates(ow, client):
    wish = services.submit_request(by=ow.resident_a, kind="wish", text="想要一个旧书架", community=ow.community_a)
    services.post_wish(req=wish, by=ow.dispatcher_a)
    services.claim_wish(req=wish, by=ow.liaison_a)
    services.complete(req=wish, by=ow.liaison_a, result="书架已送到")
    page = client.get(f"/orders/t/{wish.tracking_number}/", {"k": wish.access_key}).content.decode()
    assert "说声谢谢" in page or 'data-testid="rate-form"' in page
    assert "1–2" not in page
    services.rate(req=wish, by=None, key=wish.access_key, rating=1)
    wish.refresh_from_db()
    assert wish.escalation_level == 0


def test_staff_only_kinds_and_tokens_are_not_offered_to_residents(ow, client):
    client.force_login(ow.resident_a)
    page = client.get("/orders/new/", {"kind": "grid_report"}).content.decode()
    assert "我要点单" in page and "网格上报" not in page.split("</h1>")[0]
    page = client.get("/accounts/tokens/").content.decode()
    assert 'data-testid="no-token-role"' in page and 'name="name"' not in page
    client.force_login(ow.dispatcher_a)
    assert "办实事" in client.get("/orders/new/", {"kind": "practical"}).content.decode().split("</h1>")[0]
    assert 'name="name"' in client.get("/accounts/tokens/").content.decode()


def test_the_wall_hides_a_name_written_with_a_space(ow, done):
    req = done(text="联系人张 三说楼道灯坏了", contact_name="张三", contact_phone="13900000002", community=ow.community_a)
    services.rate(req=req, by=None, key=req.access_key, rating=5)
    services.publish(req=req, by=ow.dispatcher_a)
    req.refresh_from_db()
    assert "张 三" not in req.public_text and "张三" not in req.public_text and "楼道灯坏了" in req.public_text
