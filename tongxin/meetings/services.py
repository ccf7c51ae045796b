"""Writes of the meetings app.

Every write takes keyword-only arguments, runs in a transaction, checks the permission over
the organisation concerned, raises DomainError with a Chinese message for every refusal, and
records an audit event. Status changes are compare-and-set UPDATEs, so two concurrent actions
(two check-ins, two closings, two edits of one series) can never both succeed.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ensure_can, has_perm
from tongxin.audit import events
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.orgs.models import Alliance, AllianceMembership, Organization

from .models import ActionItem, ActionProgress, ActionStatus

TITLE_MAX = 200
TEXT_MAX = 4000


def _text(value, *, field: str, label: str, required: bool = True, max_len: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"{label}不能为空", field=field)
    if len(value) > max_len:
        raise DomainError(f"{label}不能超过 {max_len} 个字", field=field)
    return value


def is_alliance_organization(alliance: Alliance, organization: Organization) -> bool:
    """An active member of the alliance, or its core organisation."""
    if organization is None:
        return False
    if organization.pk == alliance.core_organization_id:
        return True
    return AllianceMembership.objects.filter(alliance=alliance, organization=organization, left_on__isnull=True).exists()


# --- action items (cross-app contract) -----------------------------------------------------------

@transaction.atomic
def create_action_item(*, by, alliance: Alliance, title: str, owner: Organization, due_on: dt.date, note: str = "",
                       origin=None) -> ActionItem:
    """A new open action item owed by `owner` (an active member of the alliance or its core
    organisation). `by` needs meetings.manage over the alliance's core organisation or over the
    owner. `origin` (any saved model instance: a meeting decision, a deliberation topic) is
    stored as a generic link; a Decision origin also records its meeting."""
    if owner is None:
        raise DomainError("请选择负责单位", field="owner")
    if not (has_perm(by, P.MANAGE_MEETINGS, alliance.core_organization) or has_perm(by, P.MANAGE_MEETINGS, owner)):
        raise PermissionDenied("您没有权限为该单位布置行动事项")
    title = _text(title, field="title", label="行动事项标题", max_len=TITLE_MAX)
    if not is_alliance_organization(alliance, owner):
        raise DomainError(f"“{owner.name}”不是“{alliance.name}”的在册成员单位，不能承担该联盟的行动事项", field="owner")
    if owner.is_archived:
        raise DomainError(f"“{owner.name}”已归档，不能承担行动事项", field="owner")
    if not isinstance(due_on, dt.date):
        raise DomainError("请填写完成期限", field="due_on")
    if isinstance(due_on, dt.datetime):
        due_on = due_on.date()
    fields = {}
    meeting = None
    if origin is not None:
        if getattr(origin, "pk", None) is None:
            raise DomainError("来源对象尚未保存", field="origin")
        fields = {"origin_type": ContentType.objects.get_for_model(origin, for_concrete_model=True),
                  "origin_id": str(origin.pk), "origin_label": str(origin)[:200]}
        from .models import Decision, Meeting

        if isinstance(origin, Decision):
            meeting = origin.meeting
        elif isinstance(origin, Meeting):
            meeting = origin
    item = ActionItem.objects.create(alliance=alliance, title=title, owner=owner, due_on=due_on,
                                     note=_text(note, field="note", label="说明", required=False),
                                     meeting=meeting, created_by=by if getattr(by, "pk", None) else None, **fields)
    events.record(actor=by, verb="meetings.action_created", target=item, organization=owner,
                  payload={"title": title, "owner": owner.name, "due_on": due_on.isoformat(), "origin": fields.get("origin_label", "")})
    _notify_owner(item, title=f"新的行动事项：{title}", body=f"完成期限 {due_on:%Y-%m-%d}", key=f"meetings.action:{item.pk}:new")
    return item


def _notify_owner(item: ActionItem, *, title: str, body: str, key: str) -> None:
    from tongxin.accounts.models import Role
    from tongxin.notify.services import notify
    from tongxin.orders.services import users_with_roles

    users = users_with_roles(item.owner, [Role.LIAISON])
    if users:
        notify(recipients=users, verb="meetings.action", title=title, body=body, url="/meetings/actions/",
               target=item, organization=item.owner, dedupe_key=key)


def can_report(user, item: ActionItem) -> bool:
    """The owner's liaison (meetings.propose over the owner) or the organiser (meetings.manage over the core)."""
    return has_perm(user, P.PROPOSE_AGENDA, item.owner) or has_perm(user, P.MANAGE_MEETINGS, item.alliance.core_organization)


def _ensure_report(by, item: ActionItem) -> None:
    if not can_report(by, item):
        raise PermissionDenied("只有负责单位的联络员或会议组织者可以处理该行动事项")


@transaction.atomic
def report_progress(*, by, item: ActionItem, text: str) -> ActionProgress:
    _ensure_report(by, item)
    text = _text(text, field="text", label="进展说明")
    if item.status != ActionStatus.OPEN:
        raise DomainError("该行动事项已经关闭，不能再报告进展", field="text")
    row = ActionProgress.objects.create(item=item, text=text, by=by)
    events.record(actor=by, verb="meetings.action_progress", target=item, organization=item.owner, payload={"text": text[:200]})
    return row


def _close(*, by, item: ActionItem, to: str, reason: str, verb: str) -> ActionItem:
    now = timezone.now()
    changed = ActionItem.objects.filter(pk=item.pk, status=ActionStatus.OPEN).update(
        status=to, closed_at=now, closed_by=by, close_reason=reason)
    if changed != 1:
        item.refresh_from_db()
        raise DomainError(f"该行动事项已经是“{item.get_status_display()}”状态，不能重复处理", field="status", code="conflict")
    item.refresh_from_db()
    events.record(actor=by, verb=verb, target=item, organization=item.owner, reason=reason, payload={"status": to})
    return item


@transaction.atomic
def complete_action_item(*, by, item: ActionItem, reason: str = "") -> ActionItem:
    """Close as done: by the owner's liaison or the organiser; `reason` is the completion note."""
    _ensure_report(by, item)
    reason = _text(reason, field="reason", label="完成情况说明", max_len=300)
    return _close(by=by, item=item, to=ActionStatus.DONE, reason=reason, verb="meetings.action_done")


@transaction.atomic
def cancel_action_item(*, by, item: ActionItem, reason: str) -> ActionItem:
    """Cancel (no longer needed): only the organiser, with a reason."""
    ensure_can(by, P.MANAGE_MEETINGS, item.alliance.core_organization, "只有会议组织者可以撤销行动事项")
    reason = _text(reason, field="reason", label="撤销原因", max_len=300)
    return _close(by=by, item=item, to=ActionStatus.CANCELLED, reason=reason, verb="meetings.action_cancelled")
