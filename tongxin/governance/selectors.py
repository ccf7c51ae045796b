"""Reads of agreements, obligations and adopted road segments, always scoped.

Who sees an agreement: whoever holds governance.view over the organisation keeping it, or over
one of its parties (a unit's liaison sees the agreements their unit signed).

Contract selectors read by other apps (meetings, rhythm): obligations_due_for(),
expiring_agreements(), adopter_at().
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import scope_q
from tongxin.core.errors import NotFound

from . import geo
from .models import Agreement, AgreementParty, AgreementStatus, Obligation, ObligationDue, RoadSegment

LIVE = (AgreementStatus.IN_FORCE, AgreementStatus.EXPIRED)


def visible_agreements(user) -> QuerySet[Agreement]:
    if not user or not user.is_authenticated:
        return Agreement.objects.none()
    party = AgreementParty.objects.filter(scope_q(user, P.VIEW_AGREEMENTS, "organization__path"), agreement=OuterRef("pk"))
    return Agreement.objects.filter(scope_q(user, P.VIEW_AGREEMENTS, "organization__path") | Q(Exists(party)))


def get_agreement(user, pk) -> Agreement:
    ag = visible_agreements(user).select_related("alliance", "organization", "created_by").filter(pk=pk).first()
    if ag is None:
        raise NotFound("协议不存在或不在您的权限范围内")
    return ag


def search_agreements(user, *, kind: str = "", status: str = "", party=None, expiring_days: int | None = None, q: str = "",
                      today: dt.date | None = None) -> QuerySet[Agreement]:
    today = today or timezone.localdate()
    qs = visible_agreements(user).select_related("organization")
    if kind:
        qs = qs.filter(kind=kind)
    if status == AgreementStatus.EXPIRED:
        qs = qs.filter(Q(status=AgreementStatus.EXPIRED) | Q(status=AgreementStatus.IN_FORCE, ends_on__lt=today))
    elif status == AgreementStatus.IN_FORCE:
        qs = qs.filter(status=AgreementStatus.IN_FORCE, ends_on__gte=today)
    elif status:
        qs = qs.filter(status=status)
    if party is not None:
        qs = qs.filter(parties__organization=party)
    if expiring_days is not None:
        qs = qs.filter(status=AgreementStatus.IN_FORCE, ends_on__gte=today, ends_on__lte=today + dt.timedelta(days=expiring_days))
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(number__icontains=q) | Q(parties__organization__name__icontains=q))
    return qs.distinct().order_by("-starts_on", "-id")


def parties(agreement: Agreement):
    return list(agreement.parties.select_related("organization"))


def obligations(agreement: Agreement, *, today: dt.date | None = None) -> list[dict]:
    """Each obligation with its due dates, fulfilment records and counts, for the agreement page."""
    today = today or timezone.localdate()
    obs = list(agreement.obligations.select_related("debtor", "area").order_by("id"))
    dues = {}
    for d in ObligationDue.objects.filter(obligation__agreement=agreement).order_by("due_on"):
        dues.setdefault(d.obligation_id, []).append(d)
    fulfilments = {}
    from .models import Fulfilment

    for f in Fulfilment.objects.filter(obligation__agreement=agreement).select_related("due").prefetch_related("photos").order_by("-done_on", "-id"):
        fulfilments.setdefault(f.obligation_id, []).append(f)
    live = agreement.status == AgreementStatus.IN_FORCE
    out = []
    for ob in obs:
        ds = dues.get(ob.pk, [])
        open_ = [d for d in ds if d.fulfilment_id is None]
        overdue = [d for d in open_ if d.due_on < today] if live else []
        out.append({"obligation": ob, "dues": ds, "fulfilments": fulfilments.get(ob.pk, []), "done": len(ds) - len(open_),
                    "total": len(ds), "overdue": overdue, "next_due": open_[0] if open_ else None, "open_dues": open_})
    return out


def timeline(agreement: Agreement):
    return list(agreement.events.all().order_by("created_at", "id"))


def _due_rows(qs, today: dt.date) -> list[dict]:
    rows = []
    for d in qs.select_related("obligation__agreement", "obligation__debtor", "obligation__area").order_by("due_on", "id"):
        rows.append({"obligation": d.obligation, "agreement": d.obligation.agreement, "due": d, "due_on": d.due_on,
                     "overdue": d.due_on < today})
    return rows


def obligations_due_for(organization, *, start: dt.date, end: dt.date, today: dt.date | None = None) -> list[dict]:
    """Contract: what `organization` owes and has not yet fulfilled, due on or before `end`, in agreements in force.

    Due dates from `start` to `end` are included, and so are earlier ones still open (they are
    overdue). Returns dicts {obligation, agreement, due_on, overdue} (plus `due`, the ObligationDue),
    earliest first; `overdue` means the due date is before today.
    """
    today = today or timezone.localdate()
    qs = ObligationDue.objects.filter(obligation__debtor=organization, fulfilment__isnull=True, due_on__lte=end,
                                      obligation__agreement__status=AgreementStatus.IN_FORCE)
    qs = qs.filter(Q(due_on__gte=start) | Q(due_on__lt=min(start, today)))
    return _due_rows(qs, today)


def obligations_due_by_debtor(debtor_ids, *, start: dt.date, end: dt.date, today: dt.date | None = None) -> dict[int, list[dict]]:
    """`obligations_due_for` for many organisations in one query: {organisation id: rows} (absent when nothing is due)."""
    today = today or timezone.localdate()
    qs = ObligationDue.objects.filter(obligation__debtor_id__in=list(debtor_ids), fulfilment__isnull=True, due_on__lte=end,
                                      obligation__agreement__status=AgreementStatus.IN_FORCE)
    qs = qs.filter(Q(due_on__gte=start) | Q(due_on__lt=min(start, today)))
    out: dict[int, list[dict]] = {}
    for row in _due_rows(qs, today):
        out.setdefault(row["obligation"].debtor_id, []).append(row)
    return out


def expiring_agreements(alliance, *, within_days: int = 60, today: dt.date | None = None) -> QuerySet[Agreement]:
    """Contract: the alliance's agreements in force whose term ends within `within_days` days from today, soonest first."""
    today = today or timezone.localdate()
    return (Agreement.objects.filter(alliance=alliance, status=AgreementStatus.IN_FORCE, ends_on__gte=today,
                                     ends_on__lte=today + dt.timedelta(days=within_days))
            .select_related("organization").prefetch_related("parties__organization").order_by("ends_on", "id"))


def my_obligations(user, *, today: dt.date | None = None, include_done: bool = False, within_days: int | None = None) -> list[dict]:
    """Open due dates (earliest first) of obligations owed by organisations where the user records fulfilment.

    With `within_days`: every overdue date, and per obligation only its next date when that falls
    within the coming `within_days` days (a monthly duty does not list two years of months).
    """
    today = today or timezone.localdate()
    qs = ObligationDue.objects.filter(scope_q(user, P.RECORD_FULFILMENT, "obligation__debtor__path"),
                                      obligation__agreement__status=AgreementStatus.IN_FORCE)
    if not include_done:
        qs = qs.filter(fulfilment__isnull=True)
    if within_days is None:
        return _due_rows(qs, today)
    rows, seen = [], set()
    for r in _due_rows(qs.filter(due_on__lte=today + dt.timedelta(days=within_days)), today):
        if r["overdue"]:
            rows.append(r)
        elif r["obligation"].pk not in seen:
            rows.append(r)
            seen.add(r["obligation"].pk)
    return rows


def overdue_count(user, *, today: dt.date | None = None) -> int:
    """Overdue due dates in the agreements the user can see."""
    today = today or timezone.localdate()
    return ObligationDue.objects.filter(obligation__agreement__in=visible_agreements(user).values("pk"),
                                        obligation__agreement__status=AgreementStatus.IN_FORCE,
                                        fulfilment__isnull=True, due_on__lt=today).count()


def get_obligation(user, pk) -> Obligation:
    ob = Obligation.objects.select_related("agreement", "debtor", "area").filter(pk=pk).first()
    if ob is None or not visible_agreements(user).filter(pk=ob.agreement_id).exists():
        raise NotFound("责任不存在或不在您的权限范围内")
    return ob


# --- road segments -----------------------------------------------------------------------------

def adopter_at(*, alliance, lng: float, lat: float):
    """(unit, road segment) whose adopted segment (门前三包) covers the point, or None.

    The nearest covering segment wins (distance to its line or area; ties: the older segment).
    Uses the cached per-alliance STRtree of tongxin.governance.geo.
    """
    if alliance is None or lng is None or lat is None:
        return None
    for _attempt in range(2):
        hit = geo.nearest_covering(alliance.pk, float(lng), float(lat))
        if hit is None:
            return None
        seg = RoadSegment.objects.select_related("unit").filter(pk=hit[0], active=True).first()
        if seg is not None:
            return seg.unit, seg
        geo.invalidate(alliance.pk)  # deleted behind the index's back: rebuild once
    return None


def visible_segments(user) -> QuerySet[RoadSegment]:
    if not user or not user.is_authenticated:
        return RoadSegment.objects.none()
    return RoadSegment.objects.filter(scope_q(user, P.VIEW_AGREEMENTS, "unit__path") | scope_q(user, P.VIEW_GRIDS, "unit__path"),
                                      active=True).select_related("unit", "agreement")


def get_segment(user, pk) -> RoadSegment:
    seg = visible_segments(user).filter(pk=pk).first()
    if seg is None:
        raise NotFound("路段不存在或不在您的权限范围内")
    return seg


def segment_features(segments) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": s.pk, "geometry": s.geometry,
         "properties": {"id": s.pk, "name": s.name, "unit": s.unit.name, "unit_id": s.unit_id, "kind": s.kind, "buffer_m": s.buffer_m,
                        "length_m": s.length_m}}
        for s in segments]}
