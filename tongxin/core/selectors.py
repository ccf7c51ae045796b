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
