from datetime import datetime

from ninja import Router, Schema

from .selectors import events_for, resolve_target

router = Router(tags=["history"])


class EventOut(Schema):
    created_at: datetime
    actor: str | None
    verb: str
    reason: str
    payload: dict


@router.get("/{kind}/{pk}", response=list[EventOut], summary="对象的操作留痕")
def object_history(request, kind: str, pk: int):
    obj = resolve_target(request.user, kind, pk)
    return [
        EventOut(created_at=e.created_at, actor=str(e.actor) if e.actor else None, verb=e.verb, reason=e.reason, payload=e.payload)
        for e in events_for(obj)[:500]
    ]
