"""Delivery of notifications: inbox at once, e-mail and group robots through the task queue,
retries with backoff, idempotency."""

import base64
import datetime as dt
import hashlib
import hmac
import time

import pytest
from django.core import mail
from django.utils import timezone

from tongxin.core.errors import DomainError, NotFound
from tongxin.notify import services
from tongxin.notify.models import ChatWebhook, DeliveryStatus, Notification


@pytest.fixture(autouse=True)
def _site(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://tx.example.cn"


def _hook(w, server, kind="wecom", org=None, secret="", path="/cgi-bin/webhook/send?key=abc"):
    return services.create_webhook(by=w.admin, organization=org or w.community_a, kind=kind, name=f"{kind} 群",
                                   url=server.url(path), secret=secret)


def test_inbox_rows_are_delivered_at_once(world):
    rows = services.notify(recipients=[world.dispatcher_a, world.dispatcher_a, world.liaison_a], verb="order.new",
                           title="新的居民点单", body="请尽快派单", url="/orders/1/", organization=world.community_a)
    assert len(rows) == 2
    assert {r.recipient for r in rows} == {world.dispatcher_a, world.liaison_a}
    assert all(r.status == DeliveryStatus.SENT and r.sent_at and r.read_at is None for r in rows)


def test_one_row_per_recipient_and_channel_and_target(world, commit):
    world.dispatcher_a.email = "a@example.cn"
    world.dispatcher_a.save()
    with commit():
        rows = services.notify(recipients=[world.dispatcher_a, world.liaison_a], verb="v", title="标题",
                               channels=("inbox", "email"), target=world.community_a)
    assert len(rows) == 4
    assert Notification.objects.filter(target_id=str(world.community_a.pk)).count() == 4
    assert rows[0].target == world.community_a


def test_refuses_unknown_channel_and_empty_title(world):
    with pytest.raises(DomainError, match="未知的通知渠道：sms"):
        services.notify(recipients=[world.admin], verb="v", title="x", channels=("sms",))
    with pytest.raises(DomainError, match="通知标题不能为空"):
        services.notify(recipients=[world.admin], verb="v", title="  ")
    assert Notification.objects.count() == 0


@pytest.mark.tasks
def test_dedupe_key_makes_notify_idempotent(world, commit):
    world.admin.email = "admin@example.cn"
    world.admin.save()
    with commit():
        first = services.notify(recipients=[world.admin], verb="v", title="催办", channels=("inbox", "email"),
                                dedupe_key="order:1:overdue")
        again = services.notify(recipients=[world.admin], verb="v", title="催办", channels=("inbox", "email"),
                                dedupe_key="order:1:overdue")
    assert [r.pk for r in first] == [r.pk for r in again]
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 1  # the repeated call sent nothing
    other = services.notify(recipients=[world.admin], verb="v", title="催办", dedupe_key="order:2:overdue")
    assert other[0].pk not in {r.pk for r in first}


def test_dedupe_is_enforced_by_the_database(world):
    from django.db import IntegrityError, transaction

    services.notify(recipients=[world.admin], verb="v", title="x", dedupe_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=world.admin, channel="inbox", verb="v", title="x", dedupe_key="k")


@pytest.mark.tasks
def test_email_goes_through_the_django_backend(world, commit):
    world.liaison_a.email = "liaison@example.cn"
    world.liaison_a.save()
    with commit():
        [row] = services.notify(recipients=[world.liaison_a], verb="order.dispatched", title="您有新的派单",
                                body="请在 4 个工作小时内接单", url="/orders/7/", channels=("email",))
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["liaison@example.cn"]
    assert msg.subject == "您有新的派单"
    assert "请在 4 个工作小时内接单" in msg.body
    assert "https://tx.example.cn/orders/7/" in msg.body
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, "")


def test_email_without_address_is_recorded_as_failed(world):
    [row] = services.notify(recipients=[world.liaison_a], verb="v", title="x", channels=("email",))
    assert row.status == DeliveryStatus.FAILED
    assert row.last_error == "收件人没有邮箱地址"


@pytest.mark.tasks
def test_wecom_robot_receives_the_markdown_payload(world, robot_server, commit):
    hook = _hook(world, robot_server)
    with commit():
        [row] = services.notify_group(organization=world.community_a, title="本周晒单", body="共办结 12 件",
                                      url="/orders/wall/")
    assert robot_server.requests == [{
        "path": "/cgi-bin/webhook/send",
        "query": {"key": "abc"},
        "content_type": "application/json; charset=utf-8",
        "json": {"msgtype": "markdown",
                 "markdown": {"content": "**本周晒单**\n\n共办结 12 件\n\n[查看详情](https://tx.example.cn/orders/wall/)"}},
    }]
    row.refresh_from_db()
    assert (row.webhook, row.channel, row.status, row.attempts) == (hook, "wecom", DeliveryStatus.SENT, 1)


@pytest.mark.tasks
def test_dingtalk_robot_receives_signed_markdown(world, robot_server, commit):
    _hook(world, robot_server, kind="dingtalk", secret="SECtest-secret", path="/robot/send?access_token=tok")
    before = int(time.time() * 1000)
    with commit():
        [row] = services.notify_group(organization=world.community_a, title="逾期提醒", body="2 件点单超时未接单")
    after = int(time.time() * 1000)
    [req] = robot_server.requests
    assert req["json"] == {"msgtype": "markdown",
                           "markdown": {"title": "逾期提醒", "text": "**逾期提醒**\n\n2 件点单超时未接单"}}
    assert req["path"] == "/robot/send"
    assert req["query"]["access_token"] == "tok"
    ts = int(req["query"]["timestamp"])
    assert before <= ts <= after
    expected = base64.b64encode(hmac.new(b"SECtest-secret", f"{ts}\nSECtest-secret".encode(), hashlib.sha256).digest())
    assert req["query"]["sign"] == expected.decode()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT


@pytest.mark.tasks
def test_unsigned_dingtalk_robot_has_no_signature(world, robot_server, commit):
    _hook(world, robot_server, kind="dingtalk", path="/robot/send?access_token=tok")
    with commit():
        services.notify_group(organization=world.community_a, title="t", body="b")
    assert robot_server.requests[0]["query"] == {"access_token": "tok"}


@pytest.mark.tasks
def test_failure_is_retried_with_backoff_then_failed(world, robot_server, commit, run_tasks):
    robot_server.always = (500, {"error": "boom"})
    _hook(world, robot_server)
    with commit():
        [row] = services.notify_group(organization=world.community_a, title="t", body="b")
    waits = []
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        row.refresh_from_db()
        assert row.attempts == attempt
        assert "HTTP 500" in row.last_error
        if attempt == services.MAX_ATTEMPTS:
            break
        assert row.status == DeliveryStatus.PENDING
        waits.append(round((row.next_attempt_at - timezone.now()).total_seconds() / 60))
        # Not due yet: the sweep leaves it alone.
        assert services.deliver_due() == 0
        # Time passes: the sweep hands it to the task queue again.
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        assert services.deliver_due() == 1
        run_tasks()
    assert waits == [1, 2, 4, 8]
    assert row.status == DeliveryStatus.FAILED
    assert row.next_attempt_at is None
    assert len(robot_server.requests) == services.MAX_ATTEMPTS
    assert services.deliver_due(now=timezone.now() + dt.timedelta(days=1)) == 0


@pytest.mark.tasks
def test_error_code_in_a_200_reply_counts_as_failure_then_retry_succeeds(world, robot_server, commit, run_tasks):
    robot_server.replies = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    _hook(world, robot_server)
    with commit():
        [row] = services.notify_group(organization=world.community_a, title="t", body="b")
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING
    assert row.last_error == "errcode 93000: invalid webhook url"
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    services.deliver_due()
    run_tasks()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")


def test_a_claimed_delivery_is_not_sent_twice(world, robot_server, django_capture_on_commit_callbacks):
    _hook(world, robot_server)
    with django_capture_on_commit_callbacks(execute=False):  # keep the task from running
        [row] = services.notify_group(organization=world.community_a, title="t", body="b")
    assert services.attempt_delivery(row.pk) == DeliveryStatus.SENT
    assert services.attempt_delivery(row.pk) == ""
    assert len(robot_server.requests) == 1


def test_unreachable_robot_records_the_connection_error(world, django_capture_on_commit_callbacks):
    services.create_webhook(by=world.admin, organization=world.community_a, kind="wecom", name="坏的",
                            url="http://127.0.0.1:9/send")
    with django_capture_on_commit_callbacks(execute=False):
        [row] = services.notify_group(organization=world.community_a, title="t", body="b")
    assert services.attempt_delivery(row.pk) == DeliveryStatus.PENDING
    row.refresh_from_db()
    assert row.last_error.startswith("连接失败")


@pytest.mark.tasks
def test_personal_robot_channel_uses_the_nearest_organisation_robot(world, robot_server, commit):
    hook = _hook(world, robot_server, org=world.street)
    with commit():
        [row] = services.notify(recipients=[world.liaison_a], verb="v", title="派单", body="请接单",
                                channels=("wecom",), organization=world.unit_a)
    row.refresh_from_db()
    assert (row.webhook, row.status) == (hook, DeliveryStatus.SENT)
    assert robot_server.requests[0]["json"]["markdown"]["content"] == "**派单**\n\n致 t-liaison-a：请接单"


def test_personal_robot_channel_without_robot_fails_clearly(world):
    [row] = services.notify(recipients=[world.liaison_a], verb="v", title="派单", channels=("dingtalk",),
                            organization=world.unit_a)
    assert row.status == DeliveryStatus.FAILED
    assert row.last_error == "该组织未配置钉钉群机器人"


def test_group_message_skips_inactive_robots_and_is_idempotent(world, robot_server, django_capture_on_commit_callbacks):
    active = _hook(world, robot_server)
    off = _hook(world, robot_server, kind="dingtalk")
    services.update_webhook(by=world.admin, webhook=off, active=False)
    with django_capture_on_commit_callbacks(execute=False):
        rows = services.notify_group(organization=world.community_a, title="t", body="b", dedupe_key="digest:2026-11")
        again = services.notify_group(organization=world.community_a, title="t", body="b", dedupe_key="digest:2026-11")
    assert [r.webhook for r in rows] == [active]
    assert [r.pk for r in again] == [r.pk for r in rows]


def test_mark_read_and_all_read(world):
    a, b, c = (services.notify(recipients=[world.dispatcher_a], verb="v", title=f"n{i}")[0] for i in range(3))
    [theirs] = services.notify(recipients=[world.dispatcher_b], verb="v", title="x")
    services.mark_read(notification=a, by=world.dispatcher_a)
    a.refresh_from_db()
    assert a.read_at is not None
    with pytest.raises(NotFound):
        services.mark_read(notification=theirs, by=world.dispatcher_a)
    assert services.mark_all_read(by=world.dispatcher_a) == 2
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_webhook_management_is_scoped_and_audited(world):
    from tongxin.audit.models import Event
    from tongxin.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.create_webhook(by=world.dispatcher_b, organization=world.community_a, kind="wecom", name="x",
                                url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1")
    with pytest.raises(DomainError, match="只有钉钉机器人使用加签密钥"):
        services.create_webhook(by=world.dispatcher_a, organization=world.community_a, kind="wecom", name="x",
                                url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", secret="SEC1")
    with pytest.raises(DomainError, match="https://"):
        services.create_webhook(by=world.dispatcher_a, organization=world.community_a, kind="wecom", name="x",
                                url="ftp://example.cn")
    hook = services.create_webhook(by=world.dispatcher_a, organization=world.community_a, kind="wecom", name="甲社区群",
                                   url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key-1234")
    assert ChatWebhook.objects.count() == 1
    event = Event.objects.get(verb="notify.webhook_created")
    assert event.actor == world.dispatcher_a and "secret-key" not in str(event.payload)
    assert hook.url_masked.endswith("?…1234") and "secret-key" not in hook.url_masked
    with pytest.raises(PermissionDenied):
        services.send_test_message(by=world.dispatcher_b, webhook=hook)


def test_sweep_requeues_a_lost_delivery_but_not_every_cycle(world, monkeypatch, django_capture_on_commit_callbacks):
    """The queue is down (enqueue raises): the row stays pending; the sweep queues it again, once
    per REQUEUE_AFTER, not on every scheduler cycle."""
    import tongxin.notify.tasks as tasks

    queued = []

    class DownQueue:
        def enqueue(self, pk):
            queued.append(pk)
            raise ConnectionError("redis down")

    monkeypatch.setattr(tasks, "deliver_notification", DownQueue())
    world.admin.email = "admin@example.cn"
    world.admin.save()
    with django_capture_on_commit_callbacks(execute=True):
        [row] = services.notify(recipients=[world.admin], verb="v", title="t", channels=("email",))
    assert queued == [row.pk]
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and row.queued_at is not None
    now = timezone.now()
    assert services.deliver_due(now=now) == 0  # queued a moment ago
    later = now + services.REQUEUE_AFTER + dt.timedelta(seconds=1)
    assert services.deliver_due(now=later) == 1
    assert services.deliver_due(now=later) == 0
    assert queued == [row.pk, row.pk]


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_database_task_backend_delivers_through_db_worker(world, robot_server, settings):
    """The default production setting: the task waits in the database until `db_worker` runs it."""
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
    _hook(world, robot_server)
    [row] = services.notify_group(organization=world.community_a, title="数据库队列", body="b")
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and robot_server.requests == []
    call_command("db_worker", "--batch", "--no-startup-delay")
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    assert robot_server.requests[0]["json"]["markdown"]["content"] == "**数据库队列**\n\nb"


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_one_dedupe_key_make_one_row(world):
    import random
    import threading

    from django.db import OperationalError, connection

    threads_n = 6
    barrier = threading.Barrier(threads_n)
    got, errors = [], []

    def call():
        try:
            barrier.wait()
            for _ in range(200):  # the in-memory SQLite test database answers "locked" instead of waiting
                try:
                    rows = services.notify(recipients=[world.dispatcher_a], verb="v", title="同一条提醒",
                                           dedupe_key="reminder:2026-11-25")
                    got.append(rows[0].pk)
                    return
                except OperationalError:
                    time.sleep(random.uniform(0.005, 0.03))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(got) == threads_n and len(set(got)) == 1
    assert Notification.objects.filter(dedupe_key="reminder:2026-11-25").count() == 1


def test_robot_urls_are_limited_to_the_official_hosts(world, settings, robot_server,
                                                      django_capture_on_commit_callbacks):
    hook = _hook(world, robot_server)
    settings.NOTIFY_WEBHOOK_HOSTS = None  # production default: the vendors' hosts only
    with pytest.raises(DomainError, match="qyapi.weixin.qq.com、oapi.dingtalk.com"):
        services.create_webhook(by=world.admin, organization=world.community_a, kind="wecom", name="内网",
                                url="http://169.254.169.254/latest/meta-data")
    services.create_webhook(by=world.admin, organization=world.community_a, kind="dingtalk", name="钉钉",
                            url="https://oapi.dingtalk.com/robot/send?access_token=x")
    # A robot stored earlier whose host is no longer allowed is not called.
    with django_capture_on_commit_callbacks(execute=False):
        rows = services.notify_group(organization=world.community_a, title="t", body="b")
    row = next(r for r in rows if r.webhook_id == hook.pk)
    services.attempt_delivery(row.pk)
    row.refresh_from_db()
    assert row.last_error == "Webhook 地址的主机不在允许列表中" and robot_server.requests == []
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)  # no point retrying


def test_a_user_sets_the_email_for_notifications_on_the_inbox_page(world, client, mailoutbox):
    from tongxin.audit.models import Event
    from tongxin.notify import services

    client.force_login(world.dispatcher_a)
    assert 'data-testid="email"' in client.get("/notifications/").content.decode()
    r = client.post("/notifications/email/", {"email": "不是邮箱"}, follow=True)
    assert "格式不正确" in r.content.decode()
    r = client.post("/notifications/email/", {"email": "disp-a@example.cn"}, follow=True)
    world.dispatcher_a.refresh_from_db()
    assert world.dispatcher_a.email == "disp-a@example.cn" and "disp-a@example.cn" in r.content.decode()
    ev = Event.objects.get(verb="account.email_changed")
    assert ev.payload == {"has_email": True} and "example.cn" not in str(ev.payload)
    services.notify(recipients=[world.dispatcher_a], verb="test", title="测试通知", body="正文", url="/orders/",
                    channels=["email"])
    services.deliver_due()
    assert mailoutbox and mailoutbox[-1].to == ["disp-a@example.cn"] and "查看详情：http" in mailoutbox[-1].body
