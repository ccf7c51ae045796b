"""Reads on grids, and "which grid holds this point"."""

from django.db.models import QuerySet
from shapely.geometry import Point, shape

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import scope_q
from tongxin.core.errors import NotFound

from .models import Grid


def visible_grids(user) -> QuerySet[Grid]:
    return Grid.objects.filter(scope_q(user, P.VIEW_GRIDS, "organization__path")).select_related("organization", "parent")


def get_grid(user, pk) -> Grid:
    grid = visible_grids(user).filter(pk=pk).first()
    if grid is None:
        raise NotFound("网格不存在或不在您的权限范围内")
    return grid


def locate(lng: float, lat: float, queryset: QuerySet[Grid] | None = None) -> Grid | None:
    """The deepest grid whose polygon contains the point (lng, lat), or None.

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


def chain(grid: Grid) -> list[Grid]:
    """The grid and its ancestors, street first."""
    out = []
    while grid is not None:
        out.append(grid)
        grid = grid.parent
    return list(reversed(out))


def feature_collection(grids) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": g.pk,
                "geometry": g.geometry,
                "properties": {"id": g.pk, "name": g.name, "code": g.code, "level": g.level, "organization": g.organization.name},
            }
            for g in grids
            if g.geometry
        ],
    }
