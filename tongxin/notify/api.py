"""Notifications API (/api/v1/notifications): the caller's own inbox."""

import datetime as dt

from ninja import Router, Schema

from . import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    verb: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None = None
    is_read: bool


class NotificationPage(Schema):
    count: int
    unread: int
    limit: int
    offset: int
    items: list[NotificationOut]


class ReadAllOut(Schema):
    marked: int
    unread: int


@router.get("", response=NotificationPage, summary="我的通知（未读在前）")
def list_notifications(request, unread: bool = False, limit: int = 50, offset: int = 0):
    limit = max(1, min(limit, 200))
    offset = max(0, offset)
    qs = selectors.inbox(request.user, unread_only=unread)
    return {"count": qs.count(), "unread": selectors.unread_count(request.user), "limit": limit, "offset": offset,
            "items": list(qs[offset:offset + limit])}


@router.post("/read-all", response=ReadAllOut, summary="全部标为已读")
def read_all(request):
    marked = services.mark_all_read(by=request.user)
    return {"marked": marked, "unread": selectors.unread_count(request.user)}


@router.post("/{int:notification_id}/read", response=NotificationOut, summary="标为已读")
def read(request, notification_id: int):
    n = selectors.get_notification(request.user, notification_id)
    return services.mark_read(notification=n, by=request.user)
