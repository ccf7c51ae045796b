"""The home page figures: counts of what the user may see, nothing typed by hand."""

from django.db.models import Count

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.grids.selectors import visible_grids
from tongxin.orgs.models import OrgKind
from tongxin.orgs.selectors import visible_alliances, visible_organizations
from tongxin.people.models import PersonRole, RoleTag
from tongxin.people.selectors import visible_people


def dashboard(user) -> dict:
    out = {"figures": [], "alliances": list(visible_alliances(user)[:5])}
    if has_perm(user, P.VIEW_ORGS):
        orgs = visible_organizations(user)
        out["figures"].append(("organisations", orgs.count()))
        counts = list(orgs.values("kind").annotate(n=Count("id")).order_by("-n"))
        labels = dict(OrgKind.choices)
        out["kind_chart"] = {
            "tooltip": {"trigger": "item"},
            "grid": {"left": 8, "right": 16, "top": 8, "bottom": 8, "containLabel": True},
            "xAxis": {"type": "value", "minInterval": 1},
            "yAxis": {"type": "category", "inverse": True, "data": [str(labels.get(c["kind"], c["kind"])) for c in counts]},
            "series": [{"type": "bar", "data": [c["n"] for c in counts], "itemStyle": {"color": "#b71c1c"}}],
        }
    if has_perm(user, P.VIEW_PEOPLE):
        people = visible_people(user)
        tags = dict(
            PersonRole.objects.filter(person__in=people.values("pk"), until__isnull=True)
            .values_list("tag").annotate(n=Count("person", distinct=True))
        )
        out["figures"] += [
            ("people", people.count()),
            ("party_members", tags.get(RoleTag.PARTY_MEMBER, 0)),
            ("volunteers", tags.get(RoleTag.VOLUNTEER, 0)),
        ]
    if has_perm(user, P.VIEW_GRIDS):
        out["figures"].append(("grids", visible_grids(user).count()))
    return out


# At most this many are counted for a to-do line ("99+"): the line says "there is work", the page behind it says how much.
TODO_CAP = 100


def _capped(qs) -> int:
    return qs[:TODO_CAP].count()


def todo(user) -> list[dict]:
    """What is waiting for this user, each line linking to the page where it is done.

    Built from the same selectors as those pages: requests to dispatch or handle, the open action
    items, obligations due this month and meetings of the next two weeks of the units where the
    user is liaison, and the agreements of the user's alliances that end within 60 days.
    """
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from tongxin.accounts.models import Role
    from tongxin.accounts.scope import roles_of
    from tongxin.governance.selectors import expiring_agreements, obligations_due_for
    from tongxin.meetings.selectors import open_action_items_for, upcoming_meetings_for
    from tongxin.orders import selectors as orders

    lines: list[dict] = []

    def line(label, count, url, overdue=0):
        if count:
            lines.append({"label": label, "count": count, "capped": count >= TODO_CAP, "url": url, "overdue": overdue})

    if has_perm(user, P.DISPATCH_ORDERS):
        line(_("Requests waiting for dispatch"), _capped(orders.dispatcher_inbox(user)), reverse("orders:inbox"))
        line(_("Escalated requests still open"), _capped(orders.dispatcher_inbox(user, escalated=True)),
             reverse("orders:inbox") + "?status=escalated")
    if has_perm(user, P.HANDLE_ORDERS):
        line(_("Requests waiting for our unit"), _capped(orders.unit_inbox(user)), reverse("orders:unit_inbox"))
    today = timezone.localdate()
    month_end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    units = {r.organization for r in roles_of(user) if r.role == Role.LIAISON}
    for unit in sorted(units, key=lambda u: u.pk):
        items = open_action_items_for(unit, as_of=today)
        line(_("Open action items of %(unit)s") % {"unit": unit.name}, _capped(items), reverse("meetings:actions"),
             overdue=_capped(items.filter(due_on__lt=today)))
        dues = obligations_due_for(unit, start=today.replace(day=1), end=month_end)
        line(_("Obligations of %(unit)s due this month") % {"unit": unit.name}, len(dues), reverse("governance:mine"),
             overdue=sum(1 for d in dues if d["overdue"]))
        line(_("Meetings in the next two weeks"), _capped(upcoming_meetings_for(unit, start=today, end=today + dt.timedelta(days=14))),
             reverse("meetings:index"))
    if has_perm(user, P.MANAGE_AGREEMENTS):
        expiring = sum(_capped(expiring_agreements(a)) for a in visible_alliances(user)[:5])
        line(_("Agreements ending within 60 days"), expiring, reverse("governance:index") + "?expiring=60")
    return lines
