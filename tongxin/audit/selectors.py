"""History of one object: our own event rows plus field-level diffs from simple-history."""

from django.contrib.contenttypes.models import ContentType

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import NotFound

from .models import Event, SensitiveRead


def events_for(obj):
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return Event.objects.filter(target_type=ct, target_id=str(obj.pk)).select_related("actor")


def resolve_target(user, kind: str, pk: int):
    """The object named by kind/pk, fetched through its scoped selector (or NotFound)."""
    from tongxin.accounts.selectors import get_manageable_user
    from tongxin.governance.selectors import get_agreement
    from tongxin.grids.selectors import get_grid
    from tongxin.lists.selectors import get_need, get_project, get_resource
    from tongxin.meetings.selectors import get_action_item, get_meeting, get_series
    from tongxin.orders.selectors import get_request
    from tongxin.orgs.selectors import get_alliance, get_organization
    from tongxin.people.selectors import get_person

    # Topics are left out on purpose: residents may open a topic, but its history names who said what.
    getters = {"organization": get_organization, "person": get_person, "grid": get_grid, "alliance": get_alliance,
               "user": get_manageable_user, "request": get_request, "resource": get_resource, "need": get_need,
               "project": get_project, "agreement": get_agreement, "meeting": get_meeting, "series": get_series,
               "actionitem": get_action_item}
    if kind not in getters:
        raise NotFound()
    return getters[kind](user, pk)


def _label(obj, name: str) -> str:
    try:
        return str(obj._meta.get_field(name).verbose_name)
    except Exception:  # a field since removed from the model: show its name
        return name


def _masked_fields(record) -> list[str]:
    return [f.name for f in record._meta.fields if f.name.endswith("_masked")]


def history_of(obj, limit: int = 200) -> dict:
    diffs = []
    records = list(obj.history.all().select_related("history_user")[:limit]) if hasattr(obj, "history") else []
    for i, newer in enumerate(records):
        older = records[i + 1] if i + 1 < len(records) else None
        changes = []
        if older is not None:
            delta = newer.diff_against(older)
            changes = [
                (c.field, c.old, c.new) for c in delta.changes
                if not c.field.endswith(("_enc", "_hash")) and c.field not in ("search_text", "path", "depth", "updated_at")
            ]
            # Masked copies are not editable, so simple-history does not diff them; they are how a
            # phone or ID number change shows up without revealing either value.
            changes += [
                (name, getattr(older, name), getattr(newer, name)) for name in _masked_fields(newer)
                if getattr(older, name, None) != getattr(newer, name, None)
            ]
        diffs.append({"record": newer, "changes": [(_label(obj, f), old, new) for f, old, new in changes]})
    out = {"events": list(events_for(obj)[:limit]), "diffs": diffs}
    person_model = obj.__class__.__name__ == "Person"
    out["sensitive_reads"] = list(SensitiveRead.objects.filter(person=obj).select_related("actor")[:limit]) if person_model else []
    return out


def can_view_audit(user, organization) -> bool:
    return has_perm(user, P.VIEW_AUDIT, organization)
