"""Writes on agreements, obligations, fulfilment records and road segments.

Every function takes keyword-only arguments, runs in transaction.atomic, checks the permission
over the organisation concerned, raises DomainError / PermissionDenied in Chinese for every
refusal, and writes both the agreement's timeline (AgreementEvent) and the audit Event.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.models import Role
from tongxin.accounts.scope import has_perm
from tongxin.audit import events
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.orgs.models import Alliance, AllianceMembership, CoBuildingArea, Organization

from . import geo, workflow
from .models import (
    Agreement,
    AgreementEvent,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    Fulfilment,
    FulfilmentPhoto,
    Obligation,
    ObligationDue,
    Recurrence,
    RoadSegment,
)

MAX_TERM_YEARS = 10
MAX_SCAN_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
OVERDUE_KIND = "governance.obligation_overdue"
EXPIRE_KIND = "governance.agreement_expire"
KIND_ZH = {AgreementKind.COBUILDING: "共驻共建协议书", AgreementKind.COVENANT: "结盟书（盟约）",
           AgreementKind.RESPONSIBILITY: "责任书", AgreementKind.PLEDGE: "责任状"}
RECURRENCE_ZH = {Recurrence.ONCE: "一次性", Recurrence.MONTHLY: "每月", Recurrence.QUARTERLY: "每季度", Recurrence.YEARLY: "每年"}


# --- helpers -----------------------------------------------------------------------------------

def _user(by):
    return by if by is not None and getattr(by, "is_authenticated", False) and by.pk else None


def actor_label(by) -> str:
    user = _user(by)
    if user is None:
        return "系统"
    return (user.person.name if getattr(user, "person_id", None) else user.username)[:80]


def _event(agreement: Agreement, *, by, verb: str, note: str = "", payload: dict | None = None, target=None) -> AgreementEvent:
    ev = AgreementEvent.objects.create(agreement=agreement, actor=_user(by), actor_label=actor_label(by), verb=verb, note=note,
                                       payload=payload or {})
    events.record(actor=by, verb=f"agreement.{verb}", target=target or agreement, organization=agreement.organization,
                  reason=note, payload={"agreement": agreement.pk, **(payload or {})})
    return ev


def in_alliance(org: Organization, alliance: Alliance) -> bool:
    """An active member of the alliance, or an organisation in its core organisation's own tree (communities, teams)."""
    from tongxin.orders.services import in_alliance as orders_in_alliance

    return orders_in_alliance(org, alliance)


def _check_manage(by, agreement: Agreement) -> None:
    if not has_perm(by, P.MANAGE_AGREEMENTS, agreement.organization):
        if has_perm(by, P.MANAGE_AGREEMENTS):
            raise PermissionDenied(f"该协议由{agreement.organization.name}管理，不在您的组织范围内")
        raise PermissionDenied("您的角色不能管理共建协议")


def _clean_date(value, field: str, label: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise DomainError(f"请填写{label}", field=field)
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise DomainError(f"{label}“{str(value)[:20]}”不是有效日期（格式：2026-01-31）", field=field) from None


def _check_term(starts_on, ends_on, signed_on) -> tuple:
    starts_on = _clean_date(starts_on, "starts_on", "协议期限的开始日期")
    ends_on = _clean_date(ends_on, "ends_on", "协议期限的结束日期")
    signed_on = _clean_date(signed_on, "signed_on", "签订日期", required=False)
    if ends_on < starts_on:
        raise DomainError(f"协议期限的结束日期（{ends_on}）早于开始日期（{starts_on}）", field="ends_on")
    if (ends_on - starts_on).days > MAX_TERM_YEARS * 366:
        raise DomainError(f"协议期限不能超过 {MAX_TERM_YEARS} 年", field="ends_on")
    if signed_on is not None:
        if signed_on > timezone.localdate():
            raise DomainError(f"签订日期（{signed_on}）不能晚于今天", field="signed_on")
        if signed_on > ends_on:
            raise DomainError(f"签订日期（{signed_on}）晚于协议期限的结束日期（{ends_on}）", field="signed_on")
    return starts_on, ends_on, signed_on


def _head(upload) -> bytes:
    upload.seek(0)
    data = upload.read(8)
    upload.seek(0)
    return data


def _size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    return size


def clean_document(upload, *, field: str, what: str, max_bytes: int) -> tuple[ContentFile, str, str, int]:
    """A signed scan or an attachment: PDF (checked by its header) or an image (re-encoded, EXIF dropped)."""
    from tongxin.orders.images import clean_image

    name = (getattr(upload, "name", "") or "文件")[:200]
    size = _size(upload)
    if size == 0:
        raise DomainError(f"{what}“{name}”是空文件", field=field)
    if size > max_bytes:
        raise DomainError(f"{what}“{name}”超过 {max_bytes // 1024 // 1024} MB，请压缩后再上传", field=field)
    if _head(upload).startswith(b"%PDF-"):
        upload.seek(0)
        return ContentFile(upload.read(), name=f"{uuid.uuid4().hex}.pdf"), name, "application/pdf", size
    if name.lower().endswith(".pdf"):
        raise DomainError(f"文件“{name}”扩展名是 PDF，但内容不是有效的 PDF", field=field)
    try:
        content, _w, _h = clean_image(upload, field=field)
    except DomainError as exc:
        if "不是有效的图片" in exc.message or "格式" in exc.message:
            raise DomainError(f"{what}只能是 PDF 或图片（JPEG、PNG、WebP），“{name}”不是", field=field) from None
        raise
    return content, name, "image/jpeg", content.size


# --- due dates ---------------------------------------------------------------------------------

def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def due_dates(recurrence: str, starts_on: dt.date, ends_on: dt.date, due_on: dt.date | None = None) -> list[dt.date]:
    """The due dates of an obligation within the term: the date itself, or the end of each month /
    quarter / year the term touches (the last one cut back to the term's end)."""
    if recurrence == Recurrence.ONCE:
        return [due_on]
    step = {Recurrence.MONTHLY: 1, Recurrence.QUARTERLY: 3, Recurrence.YEARLY: 12}[recurrence]
    out = []
    year, month = starts_on.year, starts_on.month
    month = ((month - 1) // step + 1) * step if step > 1 else month  # the period's last month
    while True:
        end = _month_end(year, month)
        out.append(min(end, ends_on))
        if end >= ends_on:
            break
        month += step
        while month > 12:
            month -= 12
            year += 1
    return out


def _due_at(due_on: dt.date) -> dt.datetime:
    """Overdue is noticed at 09:00 on the day after the due date."""
    return timezone.make_aware(dt.datetime.combine(due_on + dt.timedelta(days=1), dt.time(9, 0)))


def _schedule_dues(dues) -> None:
    from tongxin.notify import scheduler

    for due in dues:
        if due.fulfilment_id is None:
            scheduler.schedule(kind=OVERDUE_KIND, due_at=_due_at(due.due_on), target=due, dedupe_key=f"gov:due:{due.pk}:overdue")


def _cancel_dues(dues) -> None:
    from tongxin.notify import scheduler

    for due in dues:
        scheduler.cancel(kind=OVERDUE_KIND, target=due)


# --- agreements --------------------------------------------------------------------------------

def _check_parties(alliance: Alliance, parties) -> list[Organization]:
    out, seen = [], set()
    for org in parties or []:
        if org is None or org.pk in seen:
            continue
        if not in_alliance(org, alliance):
            raise DomainError(f"“{org.name}”不是{alliance.name}的成员单位，不能作为协议的一方", field="parties")
        seen.add(org.pk)
        out.append(org)
    return out


def alliance_members(alliance: Alliance) -> list[Organization]:
    ids = AllianceMembership.objects.filter(alliance=alliance, left_on__isnull=True).values_list("organization_id", flat=True)
    return list(Organization.objects.filter(pk__in=ids, archived_at__isnull=True).order_by("path"))


@transaction.atomic
def create_agreement(*, by, alliance: Alliance, kind: str, title: str, starts_on, ends_on, signed_on=None,
                     organization: Organization | None = None, parties=(), number: str = "", summary: str = "",
                     scan=None, reason: str = "") -> Agreement:
    """A draft agreement with its parties (at least two; a covenant with no parties given gets all active members)."""
    organization = organization or alliance.core_organization
    if not has_perm(by, P.MANAGE_AGREEMENTS, organization):
        if has_perm(by, P.MANAGE_AGREEMENTS):
            raise PermissionDenied(f"{organization.name}不在您的组织范围内，不能以其名义签订协议")
        raise PermissionDenied("您的角色不能起草共建协议")
    if not organization.path.startswith(alliance.core_organization.path):
        raise DomainError(f"{organization.name}不属于{alliance.name}，不能保管该联盟的协议", field="organization")
    if kind not in AgreementKind.values:
        raise DomainError(f"协议类型“{kind}”无效", field="kind")
    title = (title or "").strip()
    if len(title) < 2:
        raise DomainError("请填写协议名称（至少 2 个字）", field="title")
    starts_on, ends_on, signed_on = _check_term(starts_on, ends_on, signed_on)
    parties = list(parties or [])
    if kind == AgreementKind.COVENANT and not parties:
        parties = alliance_members(alliance)
    parties = _check_parties(alliance, parties)
    if len(parties) < 2:
        raise DomainError(f"协议至少需要两方，现在只有 {len(parties)} 方", field="parties")
    cleaned = clean_document(scan, field="scan", what="签字盖章扫描件", max_bytes=MAX_SCAN_BYTES) if scan else None
    agreement = Agreement.objects.create(
        alliance=alliance, organization=organization, kind=kind, title=title[:120], number=(number or "").strip()[:40],
        summary=(summary or "").strip(), starts_on=starts_on, ends_on=ends_on, signed_on=signed_on, created_by=_user(by),
    )
    default_roles = ["甲方", "乙方"] if kind == AgreementKind.COBUILDING and len(parties) == 2 else []
    for i, org in enumerate(parties):
        role = default_roles[i] if default_roles else ("成员单位" if kind == AgreementKind.COVENANT else "")
        AgreementParty.objects.create(agreement=agreement, organization=org, role=role, sort=i)
    if cleaned:
        _store_scan(agreement, cleaned)
    _event(agreement, by=by, verb="created", note=reason,
           payload={"kind": kind, "parties": [o.name for o in parties], "term": [str(starts_on), str(ends_on)]})
    return agreement


def _store_scan(agreement: Agreement, cleaned) -> None:
    content, name, ctype, size = cleaned
    agreement.scan.save(content.name, content, save=False)
    agreement.scan_name, agreement.scan_type, agreement.scan_size = name, ctype, size
    agreement.save(update_fields=["scan", "scan_name", "scan_type", "scan_size", "updated_at"])


@transaction.atomic
def update_agreement(*, agreement: Agreement, by, reason: str = "", **data) -> Agreement:
    """Edit a draft (title, number, summary, term, signing date); in force only title, number, summary and signing date."""
    _check_manage(by, agreement)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status not in (AgreementStatus.DRAFT, AgreementStatus.IN_FORCE):
        raise DomainError(f"协议当前状态为“{workflow.STATUS_ZH[agreement.status]}”，不能修改", code="wrong_state")
    allowed = {"title", "number", "summary", "signed_on", "starts_on", "ends_on"}
    unknown = set(data) - allowed
    if unknown:
        raise DomainError(f"不能修改字段：{'、'.join(sorted(unknown))}", field=sorted(unknown)[0])
    if agreement.status != AgreementStatus.DRAFT and any(
            k in data and _clean_date(data[k], k, "日期") != getattr(agreement, k) for k in ("starts_on", "ends_on")):
        raise DomainError("协议已生效，不能修改期限；如需变更请终止后重新签订", field="ends_on", code="wrong_state")
    starts_on, ends_on, signed_on = _check_term(data.get("starts_on", agreement.starts_on), data.get("ends_on", agreement.ends_on),
                                                data.get("signed_on", agreement.signed_on))
    if "title" in data:
        title = (data["title"] or "").strip()
        if len(title) < 2:
            raise DomainError("请填写协议名称（至少 2 个字）", field="title")
        data["title"] = title[:120]
    data.update(starts_on=starts_on, ends_on=ends_on, signed_on=signed_on)
    term_changed = (starts_on, ends_on) != (agreement.starts_on, agreement.ends_on)
    if term_changed:
        for ob in agreement.obligations.all():
            if ob.recurrence == Recurrence.ONCE and not (starts_on <= ob.due_on <= ends_on):
                raise DomainError(f"责任“{ob.title}”的到期日（{ob.due_on}）不在新的期限内", field="ends_on")
    before = events.changes(agreement, data)
    for key, value in data.items():
        setattr(agreement, key, value)
    agreement.save()
    if term_changed:
        for ob in agreement.obligations.all():
            _materialise(ob)
    if before:
        _event(agreement, by=by, verb="edited", note=reason, payload={"changes": before})
    return agreement


@transaction.atomic
def attach_scan(*, agreement: Agreement, by, upload) -> Agreement:
    _check_manage(by, agreement)
    if agreement.status == AgreementStatus.TERMINATED:
        raise DomainError("协议已终止，不能再上传扫描件", field="scan", code="wrong_state")
    if not upload:
        raise DomainError("请选择签字盖章扫描件（PDF 或图片）", field="scan")
    cleaned = clean_document(upload, field="scan", what="签字盖章扫描件", max_bytes=MAX_SCAN_BYTES)
    replaced = bool(agreement.scan)
    _store_scan(agreement, cleaned)
    _event(agreement, by=by, verb="scan_attached", payload={"name": cleaned[1], "size": cleaned[3], "replaced": replaced})
    return agreement


@transaction.atomic
def add_party(*, agreement: Agreement, by, organization: Organization, role: str = "", signatory: str = "") -> AgreementParty:
    _check_manage(by, agreement)
    if agreement.status != AgreementStatus.DRAFT:
        raise DomainError("协议已生效或已结束，不能再增加签约方", field="organization", code="wrong_state")
    _check_parties(agreement.alliance, [organization])
    if agreement.parties.filter(organization=organization).exists():
        raise DomainError(f"“{organization.name}”已是协议的一方", field="organization")
    party = AgreementParty.objects.create(agreement=agreement, organization=organization, role=(role or "").strip()[:30],
                                          signatory=(signatory or "").strip()[:40], sort=agreement.parties.count())
    _event(agreement, by=by, verb="party_added", payload={"organization": organization.name})
    return party


@transaction.atomic
def remove_party(*, agreement: Agreement, by, organization: Organization) -> None:
    _check_manage(by, agreement)
    if agreement.status != AgreementStatus.DRAFT:
        raise DomainError("协议已生效或已结束，不能再移除签约方", field="organization", code="wrong_state")
    if agreement.obligations.filter(debtor=organization).exists():
        raise DomainError(f"“{organization.name}”还承担着协议中的责任，请先删除这些责任", field="organization")
    if agreement.parties.count() <= 2:
        raise DomainError("协议至少需要两方，不能再移除", field="organization")
    deleted, _ = agreement.parties.filter(organization=organization).delete()
    if not deleted:
        raise DomainError(f"“{organization.name}”不是协议的一方", field="organization")
    _event(agreement, by=by, verb="party_removed", payload={"organization": organization.name})


def _cas(agreement: Agreement, action: str, **fields) -> Agreement:
    to = workflow.next_status(agreement.status, action)
    if to is None:
        raise DomainError(workflow.wrong_state(agreement.status, action), code="wrong_state")
    n = Agreement.objects.filter(pk=agreement.pk, status=agreement.status).update(status=to, updated_at=timezone.now(), **fields)
    if n != 1:
        agreement.refresh_from_db()
        raise DomainError(workflow.wrong_state(agreement.status, action) + "（刚被其他人修改过，请刷新后再试）", code="conflict")
    agreement.refresh_from_db()
    return agreement


@transaction.atomic
def activate(*, agreement: Agreement, by, note: str = "") -> Agreement:
    """Draft → in force: needs the signing date and at least two parties; arms the overdue and expiry jobs."""
    from tongxin.notify import scheduler

    _check_manage(by, agreement)
    if agreement.status == AgreementStatus.DRAFT:
        if agreement.signed_on is None:
            raise DomainError("请先填写签订日期，再使协议生效", field="signed_on")
        if agreement.parties.count() < 2:
            raise DomainError("协议至少需要两方才能生效", field="parties")
        if agreement.ends_on < timezone.localdate():
            raise DomainError(f"协议期限已于 {agreement.ends_on} 结束，不能再生效", field="ends_on")
    agreement = _cas(agreement, "activate", in_force_at=timezone.now())
    _schedule_dues(ObligationDue.objects.filter(obligation__agreement=agreement, fulfilment__isnull=True))
    scheduler.schedule(kind=EXPIRE_KIND, due_at=timezone.make_aware(dt.datetime.combine(agreement.ends_on + dt.timedelta(days=1), dt.time(0, 5))),
                       target=agreement, dedupe_key=f"gov:agreement:{agreement.pk}:expire")
    _event(agreement, by=by, verb="activated", note=note)
    return agreement


@transaction.atomic
def terminate(*, agreement: Agreement, by, reason: str, on=None) -> Agreement:
    from tongxin.notify import scheduler

    _check_manage(by, agreement)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("请说明终止协议的原因", field="reason")
    on = _clean_date(on, "terminated_on", "终止日期", required=False) or timezone.localdate()
    agreement = _cas(agreement, "terminate", terminated_on=on, termination_reason=reason[:300])
    _cancel_dues(ObligationDue.objects.filter(obligation__agreement=agreement, fulfilment__isnull=True))
    scheduler.cancel(kind=EXPIRE_KIND, target=agreement)
    _event(agreement, by=by, verb="terminated", note=reason, payload={"on": str(on)})
    return agreement


@transaction.atomic
def expire(*, agreement: Agreement) -> bool:
    """The scheduler's step: in force → expired once the term has ended. False when nothing to do."""
    agreement.refresh_from_db()
    if agreement.status != AgreementStatus.IN_FORCE or agreement.ends_on >= timezone.localdate():
        return False
    try:
        agreement = _cas(agreement, "expire")
    except DomainError:
        return False
    _event(agreement, by=None, verb="expired", payload={"ends_on": str(agreement.ends_on)})
    return True


# --- obligations -------------------------------------------------------------------------------

def _materialise(obligation: Obligation) -> list[ObligationDue]:
    """Bring the due-date rows in line with the obligation and its agreement's term; fulfilled rows are kept."""
    ag = obligation.agreement
    wanted = set(due_dates(obligation.recurrence, ag.starts_on, ag.ends_on, obligation.due_on))
    existing = {d.due_on: d for d in obligation.dues.all()}
    stale = [d for day, d in existing.items() if day not in wanted and d.fulfilment_id is None]
    _cancel_dues(stale)
    ObligationDue.objects.filter(pk__in=[d.pk for d in stale]).delete()
    new = ObligationDue.objects.bulk_create([ObligationDue(obligation=obligation, due_on=day) for day in sorted(wanted - set(existing))])
    if ag.status == AgreementStatus.IN_FORCE:
        _schedule_dues(ObligationDue.objects.filter(obligation=obligation, due_on__in=[d.due_on for d in new]))
    return new


def _check_area(alliance: Alliance, area) -> CoBuildingArea | None:
    from tongxin.orgs.services import ensure_cobuilding_areas

    if area is None:
        return None
    ensure_cobuilding_areas(alliance)
    if area.alliance_id != alliance.pk:
        raise DomainError(f"共建领域“{area.name}”不属于{alliance.name}", field="area")
    if not area.active:
        raise DomainError(f"共建领域“{area.name}”已停用", field="area")
    return area


@transaction.atomic
def add_obligation(*, agreement: Agreement, by, title: str, debtor: Organization, recurrence: str = Recurrence.ONCE,
                   due_on=None, area: CoBuildingArea | None = None, description: str = "") -> Obligation:
    _check_manage(by, agreement)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status not in (AgreementStatus.DRAFT, AgreementStatus.IN_FORCE) or agreement.ends_on < timezone.localdate():
        raise DomainError(f"协议已{workflow.STATUS_ZH.get(workflow.effective_status(agreement, timezone.localdate()))}，不能再增加责任",
                          code="wrong_state")
    title = (title or "").strip()
    if len(title) < 2:
        raise DomainError("请写明责任内容（至少 2 个字）", field="title")
    if debtor is None:
        raise DomainError("请选择承担责任的单位", field="debtor")
    if not agreement.parties.filter(organization=debtor).exists():
        raise DomainError(f"“{debtor.name}”不是本协议的签约方，不能承担协议中的责任", field="debtor")
    if recurrence not in Recurrence.values:
        raise DomainError(f"履行频次“{recurrence}”无效", field="recurrence")
    due_on = _clean_date(due_on, "due_on", "到期日", required=recurrence == Recurrence.ONCE)
    if recurrence != Recurrence.ONCE:
        due_on = None
    elif not (agreement.starts_on <= due_on <= agreement.ends_on):
        raise DomainError(f"到期日（{due_on}）不在协议期限（{agreement.starts_on} 至 {agreement.ends_on}）内", field="due_on")
    area = _check_area(agreement.alliance, area)
    ob = Obligation.objects.create(agreement=agreement, debtor=debtor, title=title[:120], description=(description or "").strip(),
                                   area=area, recurrence=recurrence, due_on=due_on)
    dues = _materialise(ob)
    _event(agreement, by=by, verb="obligation_added", target=ob,
           payload={"obligation": ob.pk, "title": ob.title, "debtor": debtor.name, "recurrence": recurrence,
                    "due_dates": len(dues), "area": area.name if area else ""})
    return ob


@transaction.atomic
def remove_obligation(*, obligation: Obligation, by, reason: str = "") -> None:
    agreement = obligation.agreement
    _check_manage(by, agreement)
    if agreement.status != AgreementStatus.DRAFT:
        raise DomainError("协议已生效，不能删除责任；如需变更请终止协议后重新签订", code="wrong_state")
    if obligation.fulfilments.exists():
        raise DomainError("该责任已有履行记录，不能删除", code="has_records")
    title = obligation.title
    _event(agreement, by=by, verb="obligation_removed", note=reason, payload={"title": title})
    obligation.delete()


def can_record(user, obligation: Obligation) -> bool:
    return has_perm(user, P.RECORD_FULFILMENT, obligation.debtor) or has_perm(user, P.MANAGE_AGREEMENTS, obligation.agreement.organization)


@transaction.atomic
def record_fulfilment(*, obligation: Obligation, by, note: str, done_on=None, due: ObligationDue | None = None,
                      photos=(), attachment=None) -> Fulfilment:
    """Record that a due date of an obligation was met (by the owing unit's liaison, or the agreement's keeper)."""
    from tongxin.notify import scheduler
    from tongxin.orders.images import check_count, clean_image

    if not can_record(by, obligation):
        if has_perm(by, P.RECORD_FULFILMENT):
            raise PermissionDenied(f"该责任由{obligation.debtor.name}承担，不在您的组织范围内，不能登记履行")
        raise PermissionDenied("您的角色不能登记责任履行情况")
    agreement = Agreement.objects.select_for_update().get(pk=obligation.agreement_id)
    if agreement.status == AgreementStatus.TERMINATED:
        raise DomainError(f"协议已于 {agreement.terminated_on} 终止，不能再登记履行", code="wrong_state")
    if agreement.status == AgreementStatus.DRAFT:
        raise DomainError("协议尚未生效，不能登记履行", code="wrong_state")
    note = (note or "").strip()
    if len(note) < 2:
        raise DomainError("请写明履行情况（至少 2 个字）", field="note")
    today = timezone.localdate()
    done_on = _clean_date(done_on, "done_on", "履行日期", required=False) or today
    if done_on > today:
        raise DomainError(f"履行日期（{done_on}）不能晚于今天", field="done_on")
    if done_on < agreement.starts_on:
        raise DomainError(f"履行日期（{done_on}）早于协议期限的开始日期（{agreement.starts_on}）", field="done_on")
    if due is None:
        due = obligation.dues.filter(fulfilment__isnull=True).order_by("due_on").first()
        if due is None:
            raise DomainError("该责任的各期均已登记履行，没有待履行的期次", field="due")
    elif due.obligation_id != obligation.pk:
        raise DomainError("所选期次不属于该责任", field="due")
    cleaned_photos = [clean_image(f) for f in check_count(photos)]
    cleaned_file = clean_document(attachment, field="attachment", what="附件", max_bytes=MAX_ATTACHMENT_BYTES) if attachment else None
    f = Fulfilment.objects.create(obligation=obligation, done_on=done_on, note=note, recorded_by=_user(by), recorded_by_label=actor_label(by))
    claimed = ObligationDue.objects.filter(pk=due.pk, fulfilment__isnull=True).update(fulfilment=f)
    if claimed != 1:
        raise DomainError(f"{due.due_on} 这一期已经登记过履行（可能刚被其他人登记），请刷新后再试", field="due", code="conflict")
    for content, w, h in cleaned_photos:
        p = FulfilmentPhoto(fulfilment=f, width=w, height=h)
        p.image.save(content.name, content, save=False)
        p.save()
    if cleaned_file:
        content, name, ctype, _size_ = cleaned_file
        f.attachment.save(content.name, content, save=False)
        f.attachment_name, f.attachment_type = name, ctype
        f.save(update_fields=["attachment", "attachment_name", "attachment_type"])
    scheduler.cancel(kind=OVERDUE_KIND, target=due)
    _event(agreement, by=by, verb="fulfilled", note=note, target=obligation,
           payload={"obligation": obligation.pk, "title": obligation.title, "debtor": obligation.debtor.name,
                    "due_on": str(due.due_on), "done_on": str(done_on), "late": done_on > due.due_on,
                    "photos": len(cleaned_photos)})
    return f


def notify_overdue(due: ObligationDue) -> int:
    """Tell the owing unit's liaisons (once per due date) that an obligation is overdue; returns recipients.

    An organisation without a liaison (a community committee, the street) is told through its
    dispatchers or alliance admins instead."""
    from tongxin.notify.services import notify
    from tongxin.orders.services import users_with_roles

    ob = due.obligation
    ag = ob.agreement
    if due.fulfilment_id is not None or ag.status != AgreementStatus.IN_FORCE or due.due_on >= timezone.localdate():
        return 0
    # A member unit's liaisons; a community or the street (no liaison) hears through its own staff.
    users = users_with_roles(ob.debtor, [Role.LIAISON]) or users_with_roles(ob.debtor, [Role.DISPATCHER, Role.ALLIANCE_ADMIN])
    if not users:
        return 0
    notify(recipients=users, verb="governance.obligation_overdue", title=f"责任逾期未履行：{ob.title}",
           body=f"《{ag.title}》中由{ob.debtor.name}承担的“{ob.title}”应于 {due.due_on} 前履行，至今未登记履行情况。",
           url=f"/agreements/{ag.pk}/#obligation-{ob.pk}", target=due, organization=ob.debtor,
           dedupe_key=f"gov:due:{due.pk}:overdue")
    return len(users)


# --- co-building areas --------------------------------------------------------------------------

def add_area(*, alliance: Alliance, by, name: str, code: str = "", reason: str = "") -> CoBuildingArea:
    from tongxin.orgs.services import add_cobuilding_area

    return add_cobuilding_area(alliance=alliance, by=by, name=name, code=code, reason=reason)


# --- road segments (门前三包) -------------------------------------------------------------------

def can_manage_segments(user, unit: Organization) -> bool:
    return has_perm(user, P.MANAGE_AGREEMENTS, unit) or has_perm(user, P.RECORD_FULFILMENT, unit)


def _check_segment_rights(by, unit: Organization) -> None:
    if not can_manage_segments(by, unit):
        if has_perm(by, P.MANAGE_AGREEMENTS) or has_perm(by, P.RECORD_FULFILMENT):
            raise PermissionDenied(f"{unit.name}不在您的组织范围内，不能为其认领路段")
        raise PermissionDenied("您的角色不能认领门前三包路段")


def _clean_buffer(buffer_m) -> int:
    try:
        value = int(buffer_m)
    except (TypeError, ValueError):
        raise DomainError(f"缓冲距离“{buffer_m}”不是整数", field="buffer_m") from None
    if not 5 <= value <= 100:
        raise DomainError(f"缓冲距离应在 5 到 100 米之间，收到 {value}", field="buffer_m")
    return value


def _segment_fields(geometry, buffer_m: int) -> dict:
    kind, geometry, length = geo.clean_segment(geometry)
    min_x, min_y, max_x, max_y = geo.bbox_with_buffer(geometry, buffer_m if kind == "line" else geo.POLYGON_TOLERANCE_M)
    return {"kind": kind, "geometry": geometry, "length_m": length, "min_x": min_x, "min_y": min_y, "max_x": max_x, "max_y": max_y}


def _check_segment_context(alliance: Alliance, unit: Organization, agreement: Agreement | None) -> None:
    if unit is None:
        raise DomainError("请选择认领路段的单位", field="unit")
    if not in_alliance(unit, alliance):
        raise DomainError(f"“{unit.name}”不是{alliance.name}的成员单位，不能认领路段", field="unit")
    if agreement is not None:
        if agreement.alliance_id != alliance.pk:
            raise DomainError("所选协议不属于本联盟", field="agreement")
        if not agreement.parties.filter(organization=unit).exists():
            raise DomainError(f"“{unit.name}”不是《{agreement.title}》的签约方", field="agreement")


@transaction.atomic
def create_segment(*, by, alliance: Alliance, unit: Organization, name: str, geometry, buffer_m=30,
                   agreement: Agreement | None = None) -> RoadSegment:
    _check_segment_rights(by, unit)
    _check_segment_context(alliance, unit, agreement)
    name = (name or "").strip()
    if len(name) < 2:
        raise DomainError("请填写路段名称（至少 2 个字）", field="name")
    buffer_m = _clean_buffer(buffer_m)
    seg = RoadSegment.objects.create(alliance=alliance, unit=unit, name=name[:80], buffer_m=buffer_m, agreement=agreement,
                                     created_by=_user(by), **_segment_fields(geometry, buffer_m))
    events.record(actor=by, verb="road_segment.adopted", target=seg, organization=unit,
                  payload={"unit": unit.name, "kind": seg.kind, "length_m": seg.length_m, "buffer_m": buffer_m})
    transaction.on_commit(lambda: geo.invalidate(alliance.pk))
    return seg


@transaction.atomic
def import_segments(*, by, alliance: Alliance, unit: Organization, data, buffer_m=30, agreement=None, name_prefix: str = "") -> list[RoadSegment]:
    """Every line or polygon of a GeoJSON file (a FeatureCollection's `name` property names the segment); all or nothing."""
    _check_segment_rights(by, unit)
    if hasattr(data, "read"):
        if _size(data) > geo.MAX_GEOJSON_CHARS:
            raise DomainError("GeoJSON 文件过大（超过 1 MB），请简化后再试", field="geometry")
        data.seek(0)
        data = data.read()
    geoms = geo.parse_geojson(data)
    if len(geoms) > 200:
        raise DomainError(f"一次最多导入 200 个路段，文件中有 {len(geoms)} 个", field="geometry")
    out = []
    prefix = (name_prefix or "").strip() or unit.name
    for i, g in enumerate(geoms, start=1):
        name = (g or {}).get("_name") or f"{prefix}路段{i}"
        try:
            out.append(create_segment(by=by, alliance=alliance, unit=unit, name=name, geometry=g, buffer_m=buffer_m, agreement=agreement))
        except DomainError as exc:
            raise DomainError(f"第 {i} 个要素：{exc.message}", field=exc.field) from None
    return out


@transaction.atomic
def update_segment(*, segment: RoadSegment, by, name: str | None = None, geometry=None, buffer_m=None) -> RoadSegment:
    _check_segment_rights(by, segment.unit)
    if not segment.active:
        raise DomainError("该路段已取消认领，不能修改", code="wrong_state")
    buffer_m = _clean_buffer(buffer_m) if buffer_m not in (None, "") else segment.buffer_m
    fields = _segment_fields(geometry if geometry not in (None, "") else segment.geometry, buffer_m)
    if name is not None:
        name = name.strip()
        if len(name) < 2:
            raise DomainError("请填写路段名称（至少 2 个字）", field="name")
        segment.name = name[:80]
    for k, v in fields.items():
        setattr(segment, k, v)
    segment.buffer_m = buffer_m
    segment.save()
    events.record(actor=by, verb="road_segment.updated", target=segment, organization=segment.unit,
                  payload={"kind": segment.kind, "buffer_m": buffer_m})
    transaction.on_commit(lambda: geo.invalidate(segment.alliance_id))
    return segment


@transaction.atomic
def release_segment(*, segment: RoadSegment, by, reason: str) -> RoadSegment:
    _check_segment_rights(by, segment.unit)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("请说明取消认领的原因", field="reason")
    n = RoadSegment.objects.filter(pk=segment.pk, active=True).update(active=False, updated_at=timezone.now())
    if n != 1:
        raise DomainError("该路段已取消认领", code="wrong_state")
    segment.refresh_from_db()
    events.record(actor=by, verb="road_segment.released", target=segment, organization=segment.unit, reason=reason)
    transaction.on_commit(lambda: geo.invalidate(segment.alliance_id))
    return segment
