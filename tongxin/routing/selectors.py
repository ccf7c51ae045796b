"""Reads of the routing model. `predict` is what the service loop's dispatch suggestion asks.

The active model of an alliance and target is unpickled once per process and kept in memory;
whether it is still the active one is re-checked at most every RECHECK_SECONDS (one indexed
query), and at once in the process that activated a new model.
"""

from __future__ import annotations

import threading
import time

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import NotFound
from tongxin.orgs.models import Alliance

from .learn import TextClassifier
from .models import RoutingModel, Target, TrainingRun

RECHECK_SECONDS = 10.0

_cache: dict[tuple[int, str], dict] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _loaded(alliance_id: int, target: str) -> dict | None:
    key = (alliance_id, target)
    entry = _cache.get(key)
    now = time.monotonic()
    if entry is not None and now - entry["checked"] < RECHECK_SECONDS:
        return entry if entry["model_id"] else None
    active_id = RoutingModel.objects.filter(alliance_id=alliance_id, target=target, active=True).values_list("pk", flat=True).first()
    if entry is not None and entry["model_id"] == active_id:
        entry["checked"] = now
        return entry if active_id else None
    entry = {"checked": now, "model_id": active_id, "row": None, "clf": None, "objects": {}}
    if active_id:
        row = RoutingModel.objects.get(pk=active_id)
        entry.update(row=row, clf=TextClassifier.loads(row.blob), objects=_objects(target, row.labels))
        row.blob = b""  # the classifier holds what we need
    with _lock:
        _cache[key] = entry
    return entry if active_id else None


def _objects(target: str, labels: dict) -> dict:
    ids = [int(k) for k in labels]
    if target == Target.CATEGORY:
        from tongxin.orders.models import Category

        rows = Category.objects.filter(pk__in=ids, active=True).select_related("default_unit")
    else:
        from tongxin.orgs.models import Organization

        rows = Organization.objects.filter(pk__in=ids, archived_at__isnull=True)
    return {r.pk: r for r in rows}


def predict(*, alliance, text: str) -> dict | None:
    """The learned suggestion for a request text, or None when there is no usable model yet.

    Returns {"category": Category | None, "unit": Organization | None, "confidence": float (0..1),
    "reason": str (Chinese, for the dispatcher)}, plus "category_confidence", "unit_confidence",
    "words" (the input's words that weighed most) and "model_ids".
    """
    if alliance is None or not (text or "").strip():
        return None
    cat = _loaded(alliance.pk, Target.CATEGORY)
    unit = _loaded(alliance.pk, Target.UNIT)
    if cat is None and unit is None:
        return None
    out = {"category": None, "unit": None, "confidence": 0.0, "category_confidence": None, "unit_confidence": None,
           "words": [], "model_ids": {}}
    parts = []
    if cat is not None:
        p = cat["clf"].predict(text)
        out["model_ids"]["category"] = cat["model_id"]
        category = cat["objects"].get(p.label)
        if category is not None and category.alliance_id == alliance.pk:
            out.update(category=category, confidence=p.confidence, category_confidence=p.confidence, words=p.words)
            row = cat["row"]
            because = f"，依据“{'”“'.join(p.words)}”" if p.words else ""
            parts.append(f"智能分派模型（学习了本联盟 {row.trained_on} 条已办结诉求，留出检验宏F1 {row.macro_f1:.2f}）"
                         f"建议归入“{category.name}”，把握 {p.confidence:.0%}{because}")
    if unit is not None:
        p = unit["clf"].predict(text)
        out["model_ids"]["unit"] = unit["model_id"]
        org = unit["objects"].get(p.label)
        if org is not None:
            out.update(unit=org, unit_confidence=p.confidence)
            if out["category"] is None:
                out["confidence"] = p.confidence
            parts.append(f"类似诉求多由{org.name}办理（把握 {p.confidence:.0%}）")
    if out["category"] is None and out["unit"] is None:
        return None
    out["reason"] = "；".join(parts)
    return out


# --- pages and API ------------------------------------------------------------------------------

def managed_alliances(user) -> list[Alliance]:
    return [a for a in Alliance.objects.select_related("core_organization").order_by("id")
            if has_perm(user, P.MANAGE_ROUTING, a.core_organization)]


def get_alliance(user, pk) -> Alliance:
    for a in managed_alliances(user):
        if pk is None or a.pk == pk:
            return a
    raise NotFound("联盟不存在，或您不是该联盟的管理员")


def status(alliance: Alliance) -> dict:
    """What the routing page and GET /status show: per target the model in use and the history size,
    and the latest trainings."""
    from . import services

    targets = []
    for target in (Target.CATEGORY, Target.UNIT):
        counts = services.label_counts(alliance, target)
        ok, why = services.enough(counts)
        model = (RoutingModel.objects.filter(alliance=alliance, target=target, active=True)
                 .defer("blob").first())
        targets.append({"target": target, "label": Target(target).label, "history": sum(counts.values()), "classes": len(counts),
                        "enough": ok, "why": why, "model": model})
    runs = list(TrainingRun.objects.filter(alliance=alliance).select_related("requested_by")[:20])
    return {"alliance": alliance, "targets": targets, "runs": runs, "min_history": services.MIN_HISTORY,
            "retrain_every": services.RETRAIN_EVERY}
