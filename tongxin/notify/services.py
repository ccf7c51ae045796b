"""Writes for notifications: notify(), notify_group(), delivery with retries, reading, webhooks.

How delivery works
------------------
notify() writes one Notification row per recipient per channel inside the caller's
transaction. "inbox" rows are delivered by being written (status "sent"). Rows of the other
channels start "pending" with next_attempt_at = now; after the transaction commits
(transaction.on_commit) each is handed to the django_tasks task
tongxin.notify.tasks.deliver_notification (database backend by default, rq on Redis when
configured). The task claims the row with compare-and-set (UPDATE ... WHERE status='pending'
AND next_attempt_at <= now, which also sets a lease), sends it, and marks it sent, or on failure
keeps it pending with next_attempt_at = now + backoff (1, 2, 4, 8 minutes ...) until
MAX_ATTEMPTS, after which it is "failed" with last_error. `run_scheduler` calls deliver_due()
every cycle to enqueue rows whose retry time has come, and rows queued more than REQUEUE_AFTER
ago that no worker ran (a lost enqueue, a queue that was down); queued_at keeps it from
queueing the same row again every cycle.

dedupe_key makes a call idempotent: the same key + recipient + channel never makes a second
row (a partial UniqueConstraint enforces it when two calls race).

Per-user "wecom"/"dingtalk" rows go to the group robot of that kind of the notification's
organisation (or its nearest ancestor that has one), with the recipient named in the text.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ensure_can
from tongxin.audit import events
from tongxin.core.errors import DomainError, NotFound

from . import channels as senders
from .models import Channel, ChatWebhook, DeliveryStatus, Notification, WebhookKind

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=6)
LEASE = dt.timedelta(minutes=5)  # a claimed delivery may be retried after this if its worker died
REQUEUE_AFTER = dt.timedelta(minutes=10)  # a queued delivery nobody ran is queued again after this
MANAGE_WEBHOOKS = P.MANAGE_ORGS
ROBOT_NAMES = {"wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人"}


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt number attempts+1: 1, 2, 4, 8 ... minutes, at most 6 hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _target_fields(target) -> dict:
    if target is None:
        return {"target_type": None, "target_id": ""}
    return {"target_type": ContentType.objects.get_for_model(target, for_concrete_model=True),
            "target_id": str(target.pk)}


def group_webhook_for(organization, kind: str) -> ChatWebhook | None:
    """The active robot of `kind` at the organisation or its nearest ancestor."""
    if organization is None:
        return None
    ids = [int(x) for x in organization.path.strip("/").split("/") if x.isdigit()] or [organization.pk]
    hooks = {h.organization_id: h for h in ChatWebhook.objects.filter(organization_id__in=ids, kind=kind, active=True)
             .order_by("-id")}
    for org_id in reversed(ids):
        if org_id in hooks:
            return hooks[org_id]
    return None


def _create_row(fields: dict, lookup: dict | None) -> tuple[Notification, bool]:
    if not lookup:
        return Notification.objects.create(**fields), True
    try:
        with transaction.atomic():
            return Notification.objects.create(**fields), True
    except IntegrityError:
        existing = Notification.objects.filter(**lookup).first()
        if existing is None:
            raise
        return existing, False


def _enqueue(ids: list[int], now: dt.datetime | None = None) -> None:
    from .tasks import deliver_notification

    if ids:
        Notification.objects.filter(pk__in=ids).update(queued_at=now or timezone.now())
    for pk in ids:
        try:
            deliver_notification.enqueue(pk)
        except Exception:  # the queue may be down; deliver_due() picks the row up later
            logger.exception("could not enqueue delivery of notification %s", pk)


def _enqueue_on_commit(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError("通知标题不能为空", field="title")
    return title[:200]


def _distinct_active(recipients) -> list:
    seen: set[int] = set()
    users = []
    for user in recipients or []:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        users.append(user)
    return users


def inbox_rows(*, recipients, verb: str, title: str, body: str = "", url: str = "", target=None,
               organization=None) -> list[Notification]:
    """Unsaved in-app notifications (delivered by being written), for a caller that writes them
    in the same statement as their target: orders.submit_request, with core.db.insert_linked
    setting target_id. Nothing to enqueue: an inbox row is "sent" once it exists."""
    title = _title(title)
    now = timezone.now()
    common = {"verb": verb[:60], "title": title, "body": body, "url": url, "organization": organization,
              "channel": Channel.INBOX, "status": DeliveryStatus.SENT, "sent_at": now, **_target_fields(target)}
    return [Notification(recipient=user, **common) for user in _distinct_active(recipients)]


def notify(*, recipients, verb: str, title: str, body: str = "", url: str = "", target=None, organization=None,
           channels: tuple[str, ...] = ("inbox",), dedupe_key: str = "") -> list[Notification]:
    """One Notification per recipient per channel; returns them (existing rows too, for a repeated dedupe_key)."""
    title = _title(title)
    unknown = [c for c in channels if c not in Channel.values]
    if unknown:
        raise DomainError(f"未知的通知渠道：{'、'.join(unknown)}", field="channels")
    now = timezone.now()
    users = _distinct_active(recipients)
    rows: list[Notification] = []
    to_send: list[int] = []
    common = {"verb": verb[:60], "title": title, "body": body, "url": url, "organization": organization,
              "dedupe_key": dedupe_key, **_target_fields(target)}
    # No savepoint of its own: callers are in a transaction already, and an error aborts it anyway.
    with transaction.atomic(savepoint=False):
        for user in users:
            for channel in dict.fromkeys(channels):
                fields = {**common, "recipient": user, "channel": channel}
                if channel == Channel.INBOX:
                    fields.update(status=DeliveryStatus.SENT, sent_at=now)
                elif channel == Channel.EMAIL:
                    if not user.email:
                        fields.update(status=DeliveryStatus.FAILED, last_error="收件人没有邮箱地址")
                    else:
                        fields.update(next_attempt_at=now)
                else:
                    hook = group_webhook_for(organization, channel)
                    if hook is None:
                        fields.update(status=DeliveryStatus.FAILED, last_error=f"该组织未配置{ROBOT_NAMES[channel]}")
                    else:
                        fields.update(webhook=hook, next_attempt_at=now)
                if not dedupe_key:
                    rows.append(Notification(**fields))
                    continue
                lookup = {"dedupe_key": dedupe_key, "recipient": user, "channel": channel}
                row, created = _create_row(fields, lookup)
                rows.append(row)
                if created and row.status == DeliveryStatus.PENDING:
                    to_send.append(row.pk)
        if not dedupe_key and rows:
            # Nothing to look up first: every recipient's rows in one INSERT (a new request tells
            # each dispatcher of its community, on the hot path of submission).
            Notification.objects.bulk_create(rows)
            to_send = [row.pk for row in rows if row.status == DeliveryStatus.PENDING]
        _enqueue_on_commit(to_send)
    return rows


def notify_group(*, organization, title: str, body: str, url: str = "", dedupe_key: str = "",
                 verb: str = "group_message", target=None) -> list[Notification]:
    """Post to every active group robot of the organisation; one delivery row per robot."""
    title = _title(title)
    now = timezone.now()
    rows, to_send = [], []
    with transaction.atomic(savepoint=False):
        for hook in ChatWebhook.objects.filter(organization=organization, active=True).order_by("id"):
            fields = {"verb": verb[:60], "title": title, "body": body, "url": url, "organization": organization,
                      "dedupe_key": dedupe_key, "webhook": hook, "channel": hook.kind, "next_attempt_at": now,
                      **_target_fields(target)}
            lookup = {"dedupe_key": dedupe_key, "webhook": hook, "channel": hook.kind} if dedupe_key else None
            row, created = _create_row(fields, lookup)
            rows.append(row)
            if created and row.status == DeliveryStatus.PENDING:
                to_send.append(row.pk)
        _enqueue_on_commit(to_send)
    return rows


# --- delivery ------------------------------------------------------------------------------

def _send(n: Notification) -> None:
    text_body = n.body
    if n.channel == Channel.EMAIL:
        senders.send_email(n.recipient.email, n.title, text_body, n.url)
        return
    hook = n.webhook
    if hook is None or not hook.active:
        raise senders.PermanentDeliveryError("群机器人已删除或停用")
    if n.recipient_id and n.channel != Channel.INBOX:
        text_body = f"致 {n.recipient}：{text_body}" if text_body else f"致 {n.recipient}"
    if hook.kind == WebhookKind.WECOM:
        senders.send_wecom(hook, n.title, text_body, n.url)
    else:
        senders.send_dingtalk(hook, n.title, text_body, n.url)


def attempt_delivery(notification_id: int, *, now: dt.datetime | None = None) -> str:
    """Claim, send and record one delivery attempt. Returns the row's status afterwards ("" if not claimed)."""
    now = now or timezone.now()
    claimed = (Notification.objects.filter(pk=notification_id, status=DeliveryStatus.PENDING)
               .exclude(channel=Channel.INBOX)
               .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
               .update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE))
    if claimed != 1:
        return ""
    n = Notification.objects.select_related("recipient", "webhook").get(pk=notification_id)
    try:
        _send(n)
    except Exception as exc:
        error = str(exc)[:2000] or exc.__class__.__name__
        if n.attempts >= MAX_ATTEMPTS or isinstance(exc, senders.PermanentDeliveryError):
            Notification.objects.filter(pk=n.pk).update(status=DeliveryStatus.FAILED, last_error=error,
                                                        next_attempt_at=None)
            return DeliveryStatus.FAILED
        Notification.objects.filter(pk=n.pk).update(last_error=error, next_attempt_at=now + backoff(n.attempts),
                                                    queued_at=None)
        return DeliveryStatus.PENDING
    Notification.objects.filter(pk=n.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="",
                                                next_attempt_at=None)
    return DeliveryStatus.SENT


def deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Enqueue the pending deliveries whose (retry) time has come. Called by run_scheduler."""
    now = now or timezone.now()
    ids = list(Notification.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
               .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER))
               .exclude(channel=Channel.INBOX).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    _enqueue(ids, now)
    return len(ids)


# --- reading -------------------------------------------------------------------------------

def mark_read(*, notification: Notification, by) -> Notification:
    if notification.recipient_id != getattr(by, "pk", None):
        raise NotFound("通知不存在")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def mark_all_read(*, by) -> int:
    return Notification.objects.filter(recipient=by, channel=Channel.INBOX, read_at__isnull=True).update(
        read_at=timezone.now())


# --- group robots --------------------------------------------------------------------------

def _clean_webhook(kind: str, name: str, url: str, secret: str) -> tuple[str, str, str]:
    if kind not in WebhookKind.values:
        raise DomainError("请选择机器人类型（企业微信或钉钉）", field="kind")
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写机器人名称", field="name")
    url = (url or "").strip()
    if not url.startswith(("https://", "http://")):
        raise DomainError("Webhook 地址必须以 https:// 开头", field="url")
    if not senders.host_allowed(url):
        raise DomainError(f"Webhook 地址必须是企业微信或钉钉机器人的地址（{'、'.join(senders.allowed_hosts())}）",
                          field="url")
    secret = (secret or "").strip()
    if secret and kind != WebhookKind.DINGTALK:
        raise DomainError("只有钉钉机器人使用加签密钥", field="secret")
    return name, url, secret


@transaction.atomic
def create_webhook(*, by, organization, kind: str, name: str, url: str, secret: str = "", active: bool = True,
                   reason: str = "") -> ChatWebhook:
    ensure_can(by, MANAGE_WEBHOOKS, organization)
    name, url, secret = _clean_webhook(kind, name, url, secret)
    hook = ChatWebhook.objects.create(organization=organization, kind=kind, name=name, url=url, secret=secret,
                                      active=active, created_by=by)
    events.record(actor=by, verb="notify.webhook_created", target=hook, organization=organization, reason=reason,
                  payload={"kind": kind, "name": name, "active": active})
    return hook


@transaction.atomic
def update_webhook(*, by, webhook: ChatWebhook, name: str | None = None, url: str | None = None,
                   secret: str | None = None, active: bool | None = None, reason: str = "") -> ChatWebhook:
    ensure_can(by, MANAGE_WEBHOOKS, webhook.organization)
    name, url, secret_clean = _clean_webhook(
        webhook.kind, webhook.name if name is None else name, webhook.url if url is None else url,
        webhook.secret if secret is None else secret)
    changed = {}
    for field, value in (("name", name), ("url", url), ("secret", secret_clean), ("active", webhook.active if active is None else active)):
        if getattr(webhook, field) != value:
            changed[field] = "***" if field in ("url", "secret") else [getattr(webhook, field), value]
            setattr(webhook, field, value)
    if changed:
        webhook.save()
        events.record(actor=by, verb="notify.webhook_updated", target=webhook, organization=webhook.organization,
                      reason=reason, payload={"changes": changed})
    return webhook


@transaction.atomic
def delete_webhook(*, by, webhook: ChatWebhook, reason: str = "") -> None:
    ensure_can(by, MANAGE_WEBHOOKS, webhook.organization)
    events.record(actor=by, verb="notify.webhook_deleted", target=webhook, organization=webhook.organization,
                  reason=reason, payload={"kind": webhook.kind, "name": webhook.name})
    webhook.delete()


@transaction.atomic
def send_test_message(*, by, webhook: ChatWebhook) -> Notification:
    """Queue a test message to one robot; the returned row shows how delivery went."""
    ensure_can(by, MANAGE_WEBHOOKS, webhook.organization)
    now = timezone.now()
    row = Notification.objects.create(
        verb="webhook_test", title="同心平台测试消息", body=f"这是一条来自同心平台的测试消息（{webhook.organization}）。",
        organization=webhook.organization, webhook=webhook, channel=webhook.kind, next_attempt_at=now,
        **_target_fields(webhook))
    events.record(actor=by, verb="notify.webhook_tested", target=webhook, organization=webhook.organization)
    _enqueue_on_commit([row.pk])
    return row


@transaction.atomic
def set_email(*, user, email: str) -> None:
    """The address e-mail notifications and digests go to (empty: none). Recorded without the
    address itself: an e-mail address is personal data and the audit log is read by others."""
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(f"邮箱地址“{email[:60]}”格式不正确", field="email") from None
    if email == user.email:
        return
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=user.pk).update(email=email)
    events.record(actor=user, verb="account.email_changed", target=user, payload={"has_email": bool(email)})
    user.email = email
