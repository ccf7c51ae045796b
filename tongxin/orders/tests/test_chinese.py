"""Every page of the loop speaks Chinese (no English msgid left untranslated, no colliding
translation from another app), the timeline shows who, when and the note, and each step
notifies the right people in their inbox."""

import re

import pytest
from django.utils.html import strip_tags

from tongxin.notify.models import Notification
from tongxin.orders import services

pytestmark = pytest.mark.django_db

# ASCII words a Chinese page may show: product names, formats, codes, units.
ALLOWED = {"english", "open", "open311", "service_code", "jpeg", "png", "webp", "gif", "api", "mb", "tongxin"}


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", html)
    html = re.sub(r"(?is)<(select|textarea)\b[^>]*>", " ", html)  # keep option labels, drop attributes
    return strip_tags(html)


def english_words(html: str, extra=()) -> set[str]:
    """English words in the page's <main> (the navigation belongs to base.html and the project catalogue)."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    text = re.sub(r"TX\d{6}[0-9A-Z]{5}", " ", visible_text("<main" + main))  # tracking numbers
    words = set(re.findall(r"[A-Za-z][A-Za-z_]{2,}", text))
    return {w for w in words if w.lower() not in ALLOWED and w not in extra and not re.fullmatch(r"TX\w+", w)}


def get(client, user, url):
    client.force_login(user) if user is not None else client.logout()
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.content.decode()


def test_every_page_of_the_loop_is_chinese(ow, client, done):
    req = done()
    codes = {c.code for c in ow.cat.values()} | {"disp", "liaison"}  # test users have no name: usernames t-disp-a…
    pages = [
        (ow.resident_a, "/orders/new/"), (None, "/orders/new/?kind=wish"), (ow.dispatcher_a, "/orders/new/?kind=grid_report"),
        (ow.resident_a, f"/orders/t/{req.tracking_number}/?k={req.access_key}"), (None, "/orders/wall/"),
        (None, "/orders/wishes/"), (ow.dispatcher_a, "/orders/inbox/"), (ow.dispatcher_a, "/orders/inbox/?status=all"),
        (ow.liaison_a, "/orders/unit/"), (ow.liaison_a, "/orders/unit/?status=done"), (ow.dispatcher_a, f"/orders/{req.pk}/"),
        (ow.liaison_a, f"/orders/{req.pk}/"), (ow.dispatcher_a, "/orders/figures/"), (ow.resident_a, "/orders/mine/"),
        (ow.admin, "/orders/categories/"), (ow.admin, f"/orders/categories/{ow.cat['parking'].pk}/"),
        (ow.admin, "/orders/categories/new/"),
    ]
    fresh = services.submit_request(by=ow.resident_a, text="路边有人乱停车")
    pages += [(ow.dispatcher_a, f"/orders/{fresh.pk}/"), (ow.resident_a, f"/orders/t/{fresh.tracking_number}/")]
    for user, url in pages:
        html = get(client, user, url)
        assert english_words(html, extra=codes) == set(), url


def test_status_labels_are_the_loops_own(ow, client, done, submit):
    """Other apps translate "Done" as 已完成 and "Cancelled" as 已取消; the loop says 已办结 and 已撤销."""
    req = done()
    html = get(client, ow.dispatcher_a, f"/orders/{req.pk}/")
    assert "已办结" in html and "已完成" not in html
    other = submit()
    services.cancel(req=other, by=ow.dispatcher_a, reason="居民电话说已自行解决")
    html = get(client, ow.dispatcher_a, f"/orders/{other.pk}/")
    assert "已撤销" in html and "已取消" not in html
    assert "承办单位" in html


def test_timeline_shows_actor_time_and_note(ow, client, dispatched):
    req = dispatched(text="小区门口的井盖松了")
    services.accept(req=req, by=ow.liaison_a, note="今天下午到场")
    services.update_progress(req=req, by=ow.liaison_a, note="已设置警示牌")
    html = get(client, ow.dispatcher_a, f"/orders/{req.pk}/")
    timeline = visible_text(html.split('data-testid="timeline"', 1)[1])
    liaison_name = ow.liaison_a.person.name if ow.liaison_a.person_id else ow.liaison_a.username
    dispatcher_name = ow.dispatcher_a.person.name if ow.dispatcher_a.person_id else ow.dispatcher_a.username
    for text in ("提交人", "已提交", dispatcher_name, "已派单", "甲医院", liaison_name, "已接单", "今天下午到场",
                 "更新进度", "已设置警示牌"):
        assert text in timeline, text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", timeline)
    assert "张三" not in timeline  # the resident appears as 提交人
    # The resident's tracking page shows the steps and notes but not the staff names.
    page = get(client, ow.resident_a, f"/orders/t/{req.tracking_number}/")
    assert "已设置警示牌" in page and "已接单" in page and liaison_name not in visible_text(page)


def test_notifications_along_the_loop(ow, submit):
    req = submit()
    n = Notification.objects.get(recipient=ow.dispatcher_a, verb="order.submitted", target_id=str(req.pk))
    assert n.target == req and n.organization == ow.community_a and n.status == "sent" and n.sent_at is not None
    assert req.tracking_number in n.body and n.title.startswith("新")
    # Written with the request, before it had an id: the link goes by the tracking number to the work page.
    assert n.url == f"/orders/go/{req.tracking_number}/"
    services.dispatch(req=req, by=ow.dispatcher_a, unit=ow.unit_a, category=ow.cat["municipal"])
    n = Notification.objects.get(recipient=ow.liaison_a, verb="order.dispatched", target_id=str(req.pk))
    assert n.channel == "inbox" and n.url == f"/orders/{req.pk}/" and req.tracking_number in n.body
    assert not Notification.objects.filter(recipient=ow.dispatcher_b, target_id=str(req.pk)).exists()
    services.accept(req=req, by=ow.liaison_a)
    n = Notification.objects.get(recipient=ow.resident_a, verb="order.accepted", target_id=str(req.pk))
    assert "已被接单" in n.title and "甲医院" in n.body and n.url == f"/orders/t/{req.tracking_number}/"
    services.complete(req=req, by=ow.liaison_a, result="已修好")
    n = Notification.objects.get(recipient=ow.resident_a, verb="order.done", target_id=str(req.pk))
    assert "已办结" in n.title and n.url == f"/orders/t/{req.tracking_number}/"
    # The resident reads them in the inbox.
    from django.test import Client

    c = Client()
    c.force_login(ow.resident_a)
    inbox = c.get("/notifications/").content.decode()
    assert "您的诉求已被接单" in inbox and "您的诉求已办结" in inbox


def test_declined_request_notifies_the_dispatcher(ow, dispatched):
    req = dispatched()
    services.decline(req=req, by=ow.liaison_a, reason="不属于本单位职责")
    n = Notification.objects.get(recipient=ow.dispatcher_a, verb="order.declined", target_id=str(req.pk))
    assert "不属于本单位职责" in n.body
