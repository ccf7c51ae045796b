"""Writes of the rhythm: settings, the monthly prompts, the quarterly review, their schedule.

Never twice: a Prompt row is unique per (unit, month) and its deliveries carry the dedupe key
"prompt:<unit>:<month>" (a partial unique constraint in notify), so two scheduler instances
generating the same month race on the insert and exactly one wins each unit; the loser skips it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.models import User
from tongxin.accounts.scope import ensure_can
from tongxin.audit import events
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.notify import scheduler
from tongxin.notify.models import ScheduledJob
from tongxin.orgs.models import Alliance, Organization

from . import periods, selectors
from .models import CHANNEL_CHOICES, Prompt, Review, RhythmSettings, review_pdf_path

logger = logging.getLogger(__name__)

PROMPT_KIND = "rhythm.monthly_prompts"
REVIEW_KIND = "rhythm.quarterly_review"
CHANNELS = [c for c, _ in CHANNEL_CHOICES]
CHUNK = 100  # member units per transaction when generating prompts
INLINE_PDF_UNITS = 150  # reviews with more unit rows get their PDF from a background task


# --- settings ---------------------------------------------------------------------------------------

def _users(values, field: str) -> list[User]:
    users = []
    for v in values or []:
        u = v if isinstance(v, User) else User.objects.filter(pk=v).first() if str(v).isdigit() else None
        if u is None or not u.is_active:
            raise DomainError(f"找不到账号：{v}", field=field)
        users.append(u)
    return users


@transaction.atomic
def save_settings(*, alliance: Alliance, by, reason: str = "", **data) -> RhythmSettings:
    """Change an alliance's rhythm (who gets what, when, through which channels) and reschedule."""
    ensure_can(by, P.MANAGE_RHYTHM, alliance.core_organization, "只有联盟管理员可以设置提示与调度")
    obj = RhythmSettings.objects.select_for_update().filter(alliance=alliance).first() or selectors.settings_for(alliance)
    simple = {k: data[k] for k in ("prompts_enabled", "prompt_day", "prompt_time", "channels", "reviews_enabled",
                                   "review_day", "review_time") if k in data}
    for key in ("prompt_day", "review_day"):
        if key in simple:
            try:
                simple[key] = int(simple[key])
            except (TypeError, ValueError):
                raise DomainError("日期应为 1 到 28 之间的整数", field=key) from None
            if not 1 <= simple[key] <= 28:
                raise DomainError("日期应为 1 到 28 之间的整数（每个月都有这一天）", field=key)
    for key in ("prompt_time", "review_time"):
        if key in simple and isinstance(simple[key], str):
            try:
                simple[key] = dt.time.fromisoformat(simple[key])
            except ValueError:
                raise DomainError("时间格式应为 时:分，如 09:00", field=key) from None
    if "channels" in simple:
        channels = list(dict.fromkeys(simple["channels"] or []))
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise DomainError(f"未知的通知渠道：{'、'.join(map(str, unknown))}", field="channels")
        if not channels:
            raise DomainError("至少选择一个通知渠道", field="channels")
        simple["channels"] = channels
    extra = _users(data["extra_recipients"], "extra_recipients") if "extra_recipients" in data else None
    review = _users(data["review_recipients"], "review_recipients") if "review_recipients" in data else None
    diff = events.changes(obj, simple)
    for k, v in simple.items():
        setattr(obj, k, v)
    obj._change_reason = reason
    obj.save()
    if extra is not None:
        obj.extra_recipients.set(extra)
        diff["extra_recipients"] = [u.username for u in extra]
    if review is not None:
        obj.review_recipients.set(review)
        diff["review_recipients"] = [u.username for u in review]
    events.record(actor=by, verb="rhythm.settings_changed", target=obj, organization=alliance.core_organization,
                  reason=reason, payload={"changes": diff})
    ensure_scheduled(alliance, settings=obj, reschedule=True)
    return obj


# --- scheduling -------------------------------------------------------------------------------------

def prompt_job_key(alliance_id: int, period: str) -> str:
    return f"rhythm:prompts:{alliance_id}:{period}"


def review_job_key(alliance_id: int, quarter: str) -> str:
    return f"rhythm:review:{alliance_id}:{quarter}"


def _arm(*, kind: str, key: str, due_at: dt.datetime, payload: dict, target, reschedule: bool) -> None:
    job = ScheduledJob.objects.filter(dedupe_key=key).first()
    if job is not None and job.status != "pending":
        return  # that period already ran (or is running): never re-arm it
    if job is not None and not reschedule:
        return
    scheduler.schedule(kind=kind, due_at=due_at, target=target, payload=payload, dedupe_key=key)


def ensure_scheduled(alliance: Alliance, *, settings: RhythmSettings | None = None, now: dt.datetime | None = None,
                     reschedule: bool = False) -> None:
    """Keep the next monthly prompt run and the next quarterly review run scheduled for the alliance.
    Pending jobs of other periods are cancelled when the schedule moved (e.g. the day changed)."""
    s = settings or selectors.settings_for(alliance)
    now = now or timezone.now()
    for kind, enabled, (period, due) in (
        (PROMPT_KIND, s.prompts_enabled, periods.next_prompt_at(now, s.prompt_day, s.prompt_time)),
        (REVIEW_KIND, s.reviews_enabled, periods.next_review_at(now, s.review_day, s.review_time)),
    ):
        key = prompt_job_key(alliance.pk, period) if kind == PROMPT_KIND else review_job_key(alliance.pk, period)
        stale = ScheduledJob.objects.filter(kind=kind, status="pending", payload__alliance=alliance.pk).exclude(dedupe_key=key)
        stale.update(status="cancelled", finished_at=timezone.now())
        if not enabled:
            ScheduledJob.objects.filter(dedupe_key=key, status="pending").update(status="cancelled", finished_at=timezone.now())
            continue
        _arm(kind=kind, key=key, due_at=due, payload={"alliance": alliance.pk, "period": period}, target=alliance,
             reschedule=reschedule)


# --- monthly prompts -----------------------------------------------------------------------------------

def _ensure_manage(by, alliance: Alliance) -> None:
    if by is not None:
        ensure_can(by, P.MANAGE_RHYTHM, alliance.core_organization, "只有联盟管理员可以生成月度提示")


def preview_prompt(*, unit: Organization, period: str, by) -> dict:
    """What the unit's prompt for `period` lists now (nothing is saved or sent)."""
    if not selectors.can_see_unit(by, unit):
        raise PermissionDenied("您不能查看该单位的提示")
    periods.month_bounds(period)
    from tongxin.orders.services import alliance_for

    now = timezone.now()
    context = selectors.alliance_context(alliance_for(unit), period=period, as_of=now)
    sections = selectors.prompt_sections(unit, period=period, context=context, as_of=now)
    title, body = selectors.render_prompt(unit, period, sections)
    existing = Prompt.objects.filter(unit=unit, period=period).first()
    return {"unit": unit.pk, "unit_name": unit.name, "period": period, "title": title if sections else "",
            "content": body if sections else "本月没有需要提示的事项", "sections": sections,
            "item_count": sum(s["count"] for s in sections), "sent": existing is not None,
            "prompt": existing.pk if existing else None}


def _deliver(prompt: Prompt, recipients: list[User], channels: list[str]) -> int:
    from tongxin.notify.services import notify

    if not recipients:
        return 0
    notify(recipients=recipients, verb="rhythm.prompt", title=prompt.title, body=prompt.content,
           url=f"/rhythm/prompts/{prompt.pk}/", target=prompt, organization=prompt.unit, channels=tuple(channels),
           dedupe_key=prompt.dedupe_key)
    return len(recipients)


def _prompt_unit(m, *, alliance, period, context, waiting, recipients, channels, actor, now, stats) -> None:
    unit = m.organization
    sections = selectors.prompt_sections(unit, period=period, context=context, waiting=waiting.get(unit.pk, {}), as_of=now)
    if not sections:
        stats["empty"] += 1
        return
    title, body = selectors.render_prompt(unit, period, sections)
    users = recipients.get(unit.pk, [])
    try:
        with transaction.atomic():
            prompt = Prompt.objects.create(alliance=alliance, unit=unit, period=period, title=title, content=body,
                                           items={"sections": sections}, item_count=sum(x["count"] for x in sections),
                                           recipient_count=len(users), created_by=actor)
            stats["recipients"] += _deliver(prompt, users, channels)
    except IntegrityError:
        stats["already"] += 1  # another run made this unit's prompt first
        return
    stats["created"] += 1
    if not users:
        stats["no_recipient"] += 1


def generate_prompts(*, alliance: Alliance, period: str, by=None, now: dt.datetime | None = None) -> dict:
    """Make and send this month's prompt for every member unit that has something open.

    A unit with nothing open gets no prompt (no row, no message): a monthly "nothing to do" would
    teach people to ignore the prompts. Returns counts: created, already (made earlier or by a
    concurrent run), empty (nothing open), recipients (messages per channel sent)."""
    _ensure_manage(by, alliance)
    periods.month_bounds(period)
    now = now or timezone.now()
    s = selectors.settings_for(alliance)
    memberships = selectors.member_units(alliance)
    done = set(Prompt.objects.filter(alliance=alliance, period=period).values_list("unit_id", flat=True))
    todo = [m for m in memberships if m.organization_id not in done]
    waiting = selectors.waiting_requests([m.organization_id for m in todo], as_of=now)
    recipients = selectors.liaisons_by_unit(todo)
    stats = {"period": period, "units": len(memberships), "created": 0, "already": len(memberships) - len(todo), "empty": 0,
             "no_recipient": 0, "recipients": 0}
    actor = by if by is not None and getattr(by, "pk", None) else None
    context = selectors.alliance_context(alliance, period=period, as_of=now)
    for first in range(0, len(todo), CHUNK):
        # One transaction per CHUNK units (fewer commits), one savepoint per unit (a unit another run
        # made first is skipped without undoing the others).
        with transaction.atomic():
            for m in todo[first:first + CHUNK]:
                _prompt_unit(m, alliance=alliance, period=period, context=context, waiting=waiting, recipients=recipients,
                             channels=s.channels, actor=actor, now=now, stats=stats)
    extra = list(s.extra_recipients.filter(is_active=True))
    if extra and stats["created"]:
        from tongxin.notify.services import notify

        made = Prompt.objects.filter(alliance=alliance, period=period).count()
        notify(recipients=extra, verb="rhythm.prompt_summary", title=f"{period} 月度提示已发出：{made} 家成员单位",
               body=f"本月共向 {made} 家有待办事项的成员单位发出提示，点击查看各单位的提示内容。",
               url=f"/rhythm/prompts/?period={period}", target=alliance, organization=alliance.core_organization,
               channels=tuple(s.channels), dedupe_key=f"prompt-summary:{alliance.pk}:{period}")
    if stats["created"]:
        events.record(actor=actor, verb="rhythm.prompts_generated", target=alliance, organization=alliance.core_organization,
                      payload=stats)
    return stats


# --- the quarterly review -----------------------------------------------------------------------------

def generate_review(*, alliance: Alliance, quarter: str, by=None, now: dt.datetime | None = None, pdf: bool = True) -> Review:
    """Build the review for `quarter` from the records, store its figures and PDF; returns the new Review.
    Each call stores a new version; the review page shows the newest."""
    if by is not None:
        ensure_can(by, P.MANAGE_RHYTHM, alliance.core_organization, "只有联盟管理员可以生成季度调度报告")
    start, end = periods.quarter_bounds(quarter)
    quarter = periods.quarter_of(start)
    now = now or timezone.now()
    if start > timezone.localtime(now).date():
        raise DomainError("这个季度还没有开始，不能生成调度报告", field="quarter")
    figures = selectors.review_figures(alliance, quarter=quarter, now=now)
    actor = by if by is not None and getattr(by, "pk", None) else None
    with transaction.atomic():
        review = Review.objects.create(alliance=alliance, quarter=quarter, starts_on=start, ends_on=end, generated_by=actor,
                                       figures=figures)
        if pdf and len(figures["units"]) <= INLINE_PDF_UNITS:
            ensure_pdf(review)
        elif pdf:
            # WeasyPrint lays out about 20 unit rows a second: a large alliance's PDF is made in the background
            # (the download makes it on the spot if the worker has not yet).
            transaction.on_commit(lambda: _enqueue_pdf(review.pk))
        events.record(actor=actor, verb="rhythm.review_generated", target=review, organization=alliance.core_organization,
                      payload={"quarter": quarter, "units": len(figures["units"]), "pdf_bytes": review.pdf_size})
    return review


def _enqueue_pdf(review_id: int) -> None:
    from .tasks import render_review_pdf_task

    try:
        render_review_pdf_task.enqueue(review_id)
    except Exception:  # the queue may be down: the download renders it
        logger.exception("could not enqueue the PDF of review %s", review_id)


def ensure_pdf(review: Review) -> Review:
    """Render the PDF of a stored review from its snapshot if it has none (e.g. generated with pdf=False)."""
    if review.pdf:
        return review
    from .pdf import render_review_pdf

    data = render_review_pdf(review)
    storage = review.pdf.storage
    name = storage.save(review_pdf_path(review, f"review-{review.pk}.pdf"), ContentFile(data))
    if not Review.objects.filter(pk=review.pk, pdf="").update(pdf=name, pdf_size=len(data)):
        storage.delete(name)  # rendered twice at once: the first one stays
    review.refresh_from_db()
    return review
