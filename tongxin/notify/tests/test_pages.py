"""Inbox pages, the navbar badge, the chat-robot admin page (scoped), and the API."""

import json

import pytest
from django.test import Client

from tongxin.notify import services
from tongxin.notify.models import ChatWebhook, DeliveryStatus, Notification


@pytest.fixture
def page_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for():
    from tongxin.accounts.services import create_api_token

    def make(user):
        _token, key = create_api_token(user=user, name="test", by=user)
        return Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    return make


def _inbox(world):
    old = services.notify(recipients=[world.dispatcher_a], verb="v", title="旧的已读通知")[0]
    services.mark_read(notification=old, by=world.dispatcher_a)
    new = services.notify(recipients=[world.dispatcher_a], verb="v", title="新的居民点单", body="请派单",
                          url="/orders/")[0]
    services.notify(recipients=[world.dispatcher_b], verb="v", title="乙社区的通知")
    return old, new


def test_login_required(world):
    r = Client().get("/notifications/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_inbox_shows_my_notifications_unread_first(world, page_for):
    _old, _new = _inbox(world)
    r = page_for(world.dispatcher_a).get("/notifications/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "通知" in html and "全部标为已读" in html and "1 条未读" in html
    assert html.index("新的居民点单") < html.index("旧的已读通知")
    assert "乙社区的通知" not in html
    assert 'name="viewport"' in html
    only_unread = page_for(world.dispatcher_a).get("/notifications/?unread=1").content.decode()
    assert "新的居民点单" in only_unread and "旧的已读通知" not in only_unread


def test_badge_fragment_counts_unread(world, page_for):
    _inbox(world)
    client = page_for(world.dispatcher_a)
    html = client.get("/notifications/badge/").content.decode()
    assert "通知" in html and '<span class="badge rounded-pill text-bg-light">1</span>' in html
    services.mark_all_read(by=world.dispatcher_a)
    assert "badge rounded-pill" not in client.get("/notifications/badge/").content.decode()


def test_mark_read_with_htmx_returns_the_item_and_triggers_the_badge(world, page_for):
    _old, new = _inbox(world)
    r = page_for(world.dispatcher_a).post(f"/notifications/{new.pk}/read/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert r["HX-Trigger"] == "notify-changed"
    assert f'id="n-{new.pk}"' in r.content.decode() and "标为已读" not in r.content.decode()
    new.refresh_from_db()
    assert new.read_at is not None


def test_cannot_read_someone_elses_notification(world, page_for):
    _inbox(world)
    theirs = Notification.objects.get(recipient=world.dispatcher_b)
    client = page_for(world.dispatcher_a)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_with_htmx(world, page_for):
    _inbox(world)
    services.notify(recipients=[world.dispatcher_a], verb="v", title="第三条")
    r = page_for(world.dispatcher_a).post("/notifications/read-all/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "0 条未读" in r.content.decode()
    assert not Notification.objects.filter(recipient=world.dispatcher_a, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world.dispatcher_b, read_at__isnull=True).count() == 1


def test_open_marks_read_and_follows_only_local_links(world, page_for):
    _old, new = _inbox(world)
    r = page_for(world.dispatcher_a).get(f"/notifications/{new.pk}/open/")
    assert r.status_code == 302 and r["Location"] == "/orders/"
    [evil] = services.notify(recipients=[world.dispatcher_a], verb="v", title="x", url="https://evil.example/")
    r = page_for(world.dispatcher_a).get(f"/notifications/{evil.pk}/open/")
    assert r["Location"] == "/notifications/"


# --- chat robots page ---------------------------------------------------------------------------

def test_webhook_page_is_for_managers_only(world, page_for):
    assert page_for(world.liaison_a).get("/notifications/webhooks/").status_code == 404
    assert page_for(world.resident_a).get("/notifications/webhooks/").status_code == 404


def test_webhook_page_lists_only_robots_in_scope(world, page_for):
    services.create_webhook(by=world.admin, organization=world.community_a, kind="wecom", name="甲社区工作群",
                            url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=aaaa1111")
    services.create_webhook(by=world.admin, organization=world.community_b, kind="dingtalk", name="乙社区工作群",
                            url="https://oapi.dingtalk.com/robot/send?access_token=bbbb2222")
    html = page_for(world.dispatcher_a).get("/notifications/webhooks/").content.decode()
    assert "群机器人" in html and "甲社区工作群" in html and "企业微信群机器人" in html
    assert "乙社区工作群" not in html
    assert "aaaa1111" not in html  # the access key is never shown in full
    options = html[html.index('name="organization"'):html.index("</select>", html.index('name="organization"'))]
    assert "甲社区党委" in options and "乙社区党委" not in options
    admin_html = page_for(world.admin).get("/notifications/webhooks/").content.decode()
    assert "甲社区工作群" in admin_html and "乙社区工作群" in admin_html


def test_add_webhook_from_the_page_and_refusals_in_chinese(world, page_for):
    client = page_for(world.dispatcher_a)
    r = client.post("/notifications/webhooks/", {"organization": world.community_a.pk, "kind": "wecom",
                                                 "name": "甲社区工作群", "url": "ftp://x", "secret": ""})
    assert r.status_code == 200 and "Webhook 地址必须以 https:// 开头" in r.content.decode()
    r = client.post("/notifications/webhooks/", {"organization": world.community_b.pk, "kind": "wecom",
                                                 "name": "越权", "url": "https://qyapi.weixin.qq.com/x", "secret": ""})
    assert r.status_code == 200 and not ChatWebhook.objects.filter(name="越权").exists()
    r = client.post("/notifications/webhooks/", {"organization": world.community_a.pk, "kind": "dingtalk",
                                                 "name": "甲社区钉钉群", "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
                                                 "secret": "SEC123"})
    assert r.status_code == 302
    hook = ChatWebhook.objects.get(name="甲社区钉钉群")
    assert (hook.organization, hook.secret, hook.created_by) == (world.community_a, "SEC123", world.dispatcher_a)


@pytest.mark.tasks
def test_send_test_message_button(world, page_for, robot_server, run_tasks, django_capture_on_commit_callbacks):
    hook = services.create_webhook(by=world.admin, organization=world.community_a, kind="wecom", name="甲社区工作群",
                                   url=robot_server.url("/cgi-bin/webhook/send?key=k"))
    client = page_for(world.dispatcher_a)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/notifications/webhooks/{hook.pk}/test/", HTTP_HX_REQUEST="true")
    run_tasks()
    assert r.status_code == 200 and f'id="hook-{hook.pk}"' in r.content.decode()
    assert robot_server.requests[0]["json"]["markdown"]["content"].startswith("**同心平台测试消息**")
    row = Notification.objects.get(webhook=hook, verb="webhook_test")
    assert row.status == DeliveryStatus.SENT
    # The row shown afterwards reports it.
    assert "已送达" in client.get("/notifications/webhooks/").content.decode()


def test_other_communitys_robot_is_404(world, page_for):
    hook = services.create_webhook(by=world.admin, organization=world.community_b, kind="wecom", name="乙社区工作群",
                                   url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=b")
    client = page_for(world.dispatcher_a)
    for action in ("test", "toggle", "delete"):
        assert client.post(f"/notifications/webhooks/{hook.pk}/{action}/").status_code == 404
    hook.refresh_from_db()
    assert hook.active and not Notification.objects.exists()


def test_toggle_and_delete(world, page_for):
    hook = services.create_webhook(by=world.admin, organization=world.community_a, kind="wecom", name="甲社区工作群",
                                   url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a")
    client = page_for(world.dispatcher_a)
    r = client.post(f"/notifications/webhooks/{hook.pk}/toggle/", HTTP_HX_REQUEST="true")
    assert "已停用" in r.content.decode()
    hook.refresh_from_db()
    assert not hook.active
    assert client.post(f"/notifications/webhooks/{hook.pk}/delete/").status_code == 302
    assert not ChatWebhook.objects.exists()


# --- API -------------------------------------------------------------------------------------------

def test_api_lists_only_my_notifications(world, api_for):
    _inbox(world)
    r = api_for(world.dispatcher_a).get("/api/v1/notifications")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2 and body["unread"] == 1
    assert [n["title"] for n in body["items"]] == ["新的居民点单", "旧的已读通知"]
    assert body["items"][0]["is_read"] is False
    assert api_for(world.dispatcher_a).get("/api/v1/notifications", {"unread": "true"}).json()["count"] == 1
    assert Client().get("/api/v1/notifications").status_code == 401


def test_api_mark_read_and_read_all(world, api_for):
    _old, new = _inbox(world)
    theirs = Notification.objects.get(recipient=world.dispatcher_b)
    api = api_for(world.dispatcher_a)
    r = api.post(f"/api/v1/notifications/{new.pk}/read", content_type="application/json")
    assert r.status_code == 200 and r.json()["is_read"] is True
    r = api.post(f"/api/v1/notifications/{theirs.pk}/read", content_type="application/json")
    assert r.status_code == 404 and r.json() == {"detail": "通知不存在", "field": None, "code": "not_found"}
    services.notify(recipients=[world.dispatcher_a], verb="v", title="a")
    services.notify(recipients=[world.dispatcher_a], verb="v", title="b")
    r = api.post("/api/v1/notifications/read-all", data=json.dumps({}), content_type="application/json")
    assert r.json() == {"marked": 2, "unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None
