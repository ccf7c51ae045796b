"""Small helpers that write Event rows; services call them inside their transaction."""

from django.contrib.contenttypes.models import ContentType

from .models import Event


def record(*, actor, verb: str, target, organization=None, reason: str = "", payload: dict | None = None) -> Event:
    event = build(actor=actor, verb=verb, target=target, organization=organization, reason=reason, payload=payload)
    event.save(force_insert=True)
    return event


def build(*, actor, verb: str, target, organization=None, reason: str = "", payload: dict | None = None) -> Event:
    """The unsaved Event of `record`: for tongxin.core.db.insert_linked, which fills in target_id
    when the target is inserted in the same statement."""
    return Event(
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=True),
        target_id=str(target.pk) if target.pk is not None else "",
        target_label=str(target)[:200],
        organization=organization,
        reason=reason or "",
        payload=payload or {},
    )


def changes(obj, data: dict) -> dict:
    """The {field: [old, new]} of assigning `data` onto `obj`, for the event payload."""
    out = {}
    for key, new in data.items():
        old = getattr(obj, key, None)
        if hasattr(old, "pk"):
            old = old.pk
        cmp_new = new.pk if hasattr(new, "pk") else new
        if old != cmp_new:
            out[key] = [_plain(old), _plain(cmp_new)]
    return out


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
