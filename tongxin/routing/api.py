"""Routing API (/api/v1/routing), for the alliance admin (routing.manage):

- GET  /status?alliance_id=     the model in use per target, history size, held-out scores, latest trainings
- POST /retrain                 {"alliance_id"}: train in the background; 202
- POST /predict                 {"alliance_id", "text"}: the learned suggestion (category, unit, confidence,
                                reason) beside the keyword rules' pick; "learned" is null without a model
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from tongxin.core.errors import DomainError

from . import selectors, services

router = Router(tags=["routing"])


class AllianceIn(Schema):
    alliance_id: int | None = None


class PredictIn(Schema):
    alliance_id: int | None = None
    text: str


def _model(m) -> dict | None:
    if m is None:
        return None
    return {"id": m.pk, "trained_on": m.trained_on, "held_out": m.held_out, "classes": m.classes, "macro_f1": round(m.macro_f1, 4),
            "accuracy": round(m.accuracy, 4), "activated_at": m.activated_at.isoformat() if m.activated_at else None}


@router.get("/status", response=dict)
def status(request: HttpRequest, alliance_id: int | None = None):
    s = selectors.status(selectors.get_alliance(request.user, alliance_id))
    return {
        "alliance_id": s["alliance"].pk, "min_history": s["min_history"], "retrain_every": s["retrain_every"],
        "targets": [{"target": t["target"], "history": t["history"], "classes": t["classes"], "enough": t["enough"],
                     "why": t["why"], "model": _model(t["model"])} for t in s["targets"]],
        "runs": [{"id": r.pk, "target": r.target, "trigger": r.trigger, "created_at": r.created_at.isoformat(), "outcome": r.outcome,
                  "history": r.history, "trained_on": r.trained_on, "held_out": r.held_out, "macro_f1": r.macro_f1,
                  "accuracy": r.accuracy, "previous_f1": r.previous_f1, "seconds": r.seconds, "message": r.message}
                 for r in s["runs"]],
    }


@router.post("/retrain", response={202: dict})
def retrain(request: HttpRequest, payload: AllianceIn):
    alliance = selectors.get_alliance(request.user, payload.alliance_id)
    services.request_retrain(by=request.user, alliance=alliance)
    return Status(202, {"queued": True, "alliance_id": alliance.pk})


@router.post("/predict", response=dict)
def predict(request: HttpRequest, payload: PredictIn):
    from tongxin.orders.services import active_categories
    from tongxin.orders.suggest import score_categories

    alliance = selectors.get_alliance(request.user, payload.alliance_id)
    text = (payload.text or "").strip()
    if len(text) < 2:
        raise DomainError("请输入至少 2 个字的诉求描述", field="text")
    p = selectors.predict(alliance=alliance, text=text)
    scored = score_categories(text, active_categories(alliance))
    learned = None
    if p is not None:
        learned = {"category_id": getattr(p["category"], "pk", None), "category": getattr(p["category"], "name", ""),
                   "unit_id": getattr(p["unit"], "pk", None), "unit": getattr(p["unit"], "name", ""),
                   "confidence": round(p["confidence"], 4), "category_confidence": p["category_confidence"],
                   "unit_confidence": p["unit_confidence"], "words": p["words"], "reason": p["reason"]}
    rules = {"category_id": scored[0][1].pk, "category": scored[0][1].name, "keywords": scored[0][2]} if scored else None
    return {"learned": learned, "rules": rules}
