"""Reads for the inbox and the group-robot admin page, scoped to the user."""

from django.db.models import F, QuerySet

from tongxin.accounts.scope import has_perm, scope_q
from tongxin.core.errors import NotFound
from tongxin.orgs.models import Organization

from .models import Channel, ChatWebhook, Notification, WebhookKind
from .services import MANAGE_WEBHOOKS


def inbox(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's in-app notifications, unread first, newest first within each group."""
    qs = Notification.objects.filter(recipient=user, channel=Channel.INBOX)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by(F("read_at").asc(nulls_first=True), "-created_at", "-id")


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True).count()


def get_notification(user, pk) -> Notification:
    n = Notification.objects.filter(recipient=user, channel=Channel.INBOX, pk=pk).first()
    if n is None:
        raise NotFound("通知不存在")
    return n


def can_manage_webhooks(user) -> bool:
    return has_perm(user, MANAGE_WEBHOOKS)


def webhooks(user) -> QuerySet[ChatWebhook]:
    return (ChatWebhook.objects.filter(scope_q(user, MANAGE_WEBHOOKS, field="organization__path"))
            .select_related("organization").order_by("organization__path", "kind", "name"))


def get_webhook(user, pk) -> ChatWebhook:
    hook = webhooks(user).filter(pk=pk).first()
    if hook is None:
        raise NotFound("群机器人不存在或不在您的权限范围内")
    return hook


def webhook_organizations(user) -> QuerySet[Organization]:
    return Organization.objects.filter(scope_q(user, MANAGE_WEBHOOKS), archived_at__isnull=True).order_by("path")


def last_test(hook: ChatWebhook) -> Notification | None:
    return hook.deliveries.filter(verb="webhook_test").order_by("-id").first()


def recent_deliveries(hook: ChatWebhook, limit: int = 5) -> list[Notification]:
    return list(hook.deliveries.order_by("-id")[:limit])


KIND_CHOICES = WebhookKind.choices
