"""Reads on grids, and "which grid holds this point". Always scoped by the grid's organisation."""

from django.db.models import Count, Q, QuerySet
from shapely.geometry import Point, shape

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm, scope_q
from tongxin.core.errors import DomainError, NotFound
from tongxin.core.search import filter_words

from .models import Grid, GridLevel


def visible_grids(user) -> QuerySet[Grid]:
    if not user or not user.is_authenticated:
        return Grid.objects.none()
    return Grid.objects.filter(scope_q(user, P.VIEW_GRIDS, "organization__path")).select_related("organization", "parent")


def search_grids(user, *, q: str = "", level: int | None = None, parent: Grid | None = None) -> QuerySet[Grid]:
    """Visible grids whose name or code holds every term of `q` (traditional = simplified)."""
    qs = visible_grids(user)
    qs = filter_words(qs, q)
    if level:
        qs = qs.filter(level=level)
    if parent is not None:
        qs = qs.filter(parent=parent)
    return qs.order_by("level", "code")


def with_counts(qs: QuerySet[Grid]) -> QuerySet[Grid]:
    return qs.annotate(
        n_children=Count("children", distinct=True),
        n_assigned=Count("assignments", filter=Q(assignments__until__isnull=True), distinct=True),
    )


def get_grid(user, pk) -> Grid:
    grid = visible_grids(user).filter(pk=pk).first()
    if grid is None:
        raise NotFound("网格不存在或不在您的权限范围内")
    return grid


def can_manage(user, grid: Grid) -> bool:
    return has_perm(user, P.MANAGE_GRIDS, grid.organization)


def locate(lng: float, lat: float, queryset: QuerySet[Grid] | None = None) -> Grid | None:
    """The deepest grid whose polygon covers the point (lng, lat), or None.

    A point on an edge belongs to the grid (shapely `covers`); on an edge shared by two
    siblings the one with the smaller code wins, so the answer is always the same.
    The bounding-box filter runs in the database on indexed columns; only the few
    candidates left are tested exactly with shapely.
    """
    qs = (queryset if queryset is not None else Grid.objects.all()).filter(
        min_x__lte=lng, max_x__gte=lng, min_y__lte=lat, max_y__gte=lat
    ).order_by("-level", "code")
    point = Point(lng, lat)
    for grid in qs:
        if grid.geometry and shape(grid.geometry).covers(point):
            return grid
    return None


def parse_point(lng, lat) -> tuple[float, float]:
    """Coordinates from request input, or a DomainError in Chinese naming the bad one."""
    out = []
    for value, field, label, bound in ((lng, "lng", "经度", 180), (lat, "lat", "纬度", 90)):
        text = str(value if value is not None else "").strip()
        if not text:
            raise DomainError(f"请提供{label}（参数 {field}）", field=field)
        try:
            number = float(text)
        except ValueError:
            raise DomainError(f"{label}“{text[:20]}”不是数字", field=field) from None
        if not (-bound <= number <= bound):  # also refuses nan
            raise DomainError(f"{label}应在 -{bound} 到 {bound} 之间，收到 {text[:20]}", field=field)
        out.append(number)
    return out[0], out[1]


def locate_for(user, lng: float, lat: float) -> tuple[Grid | None, list[dict]]:
    """The deepest visible grid holding the point, and its chain street → … → that grid."""
    grid = locate(lng, lat, visible_grids(user))
    return grid, (chain_info(user, grid) if grid else [])


def chain(grid: Grid) -> list[Grid]:
    """The grid and its ancestors, street first."""
    out = []
    while grid is not None:
        out.append(grid)
        grid = grid.parent
    return list(reversed(out))


def chain_info(user, grid: Grid) -> list[dict]:
    """The chain with, for each grid, whether the user may open it (ancestors may lie above their scope)."""
    grids = chain(grid)
    visible = set(visible_grids(user).filter(pk__in=[g.pk for g in grids]).values_list("pk", flat=True))
    return [{"grid": g, "id": g.pk, "name": g.name, "code": g.code, "level": g.level,
             "level_label": str(GridLevel(g.level).label), "visible": g.pk in visible} for g in grids]


def children(user, grid: Grid) -> QuerySet[Grid]:
    return with_counts(visible_grids(user).filter(parent=grid)).order_by("code")


def feature_collection(grids) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": g.pk,
                "geometry": g.geometry,
                "properties": {
                    "id": g.pk, "name": g.name, "code": g.code, "level": g.level,
                    "level_label": str(GridLevel(g.level).label),
                    "parent": g.parent_id, "organization": g.organization.name,
                },
            }
            for g in grids
            if g.geometry
        ],
    }


def visible_feature_collection(user, *, level: int | None = None, within: Grid | None = None) -> dict:
    qs = visible_grids(user).filter(geometry__isnull=False)
    if level:
        qs = qs.filter(level=level)
    if within is not None:
        ids = {g.pk for g in chain(within)} | set(
            Grid.objects.filter(Q(parent=within) | Q(parent__parent=within) | Q(parent__parent__parent=within)).values_list("pk", flat=True)
        )
        qs = qs.filter(pk__in=ids)
    return feature_collection(qs.order_by("level", "code"))


# --- assignments (grid workers and the five heads) ---------------------------------------------

def assignments(grid: Grid, *, include_ended: bool = False):
    from tongxin.people.models import GRID_TAGS, PersonRole

    qs = PersonRole.objects.filter(grid=grid, tag__in=list(GRID_TAGS)).select_related("person", "person__organization")
    if not include_ended:
        qs = qs.filter(until__isnull=True)
    return qs.order_by("until", "tag", "person__name", "id")


def get_assignment(grid: Grid, pk):
    role = assignments(grid, include_ended=True).filter(pk=pk).first()
    if role is None:
        raise NotFound("该任职不存在或不属于此网格")
    return role


def community_of(grid: Grid):
    """The organisation of the community-level grid above (or at) `grid`, if any."""
    for g in chain(grid):
        if g.level == GridLevel.COMMUNITY:
            return g.organization
    return grid.organization if grid.level > GridLevel.STREET else None


def people_for_assignment(user, grid: Grid, q: str = "", limit: int | None = 50):
    """People the user may assign here: visible, not archived, living in (or kept by) the grid's community."""
    from tongxin.people.selectors import search_people

    qs = search_people(user, q=q)
    community = community_of(grid)
    if community is not None:
        qs = qs.filter(Q(community=community) | Q(organization__path__startswith=community.path))
    qs = qs.order_by("name", "id")
    return qs if limit is None else qs[:limit]


def get_person_for_assignment(user, grid: Grid, pk):
    from tongxin.people.selectors import visible_people

    person = visible_people(user).filter(pk=pk).first()
    if person is None:
        raise DomainError("所选人员不存在或不在您的权限范围内", field="person")
    return person


# --- choices for forms --------------------------------------------------------------------------

def parent_choices(user) -> QuerySet[Grid]:
    return visible_grids(user).filter(level__lt=GridLevel.MICRO).order_by("level", "code")


def organization_choices(user):
    from tongxin.orgs.models import Organization

    return Organization.objects.filter(archived_at__isnull=True).filter(
        scope_q(user, P.MANAGE_GRIDS, "path")
    ).order_by("path")


def can_create(user) -> bool:
    return has_perm(user, P.MANAGE_GRIDS)
