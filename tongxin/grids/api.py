"""Grids API (/api/v1/grids): the same selectors and services as the pages, so the same scope.

Assignments are the PersonRole rows of grid workers and the five heads; people appear with
masked phone numbers only.
"""

import datetime as dt
from typing import Any

from ninja import Router, Schema, Status

from tongxin.core.errors import DomainError, NotFound

from . import selectors, services
from .models import Grid

router = Router(tags=["grids"])


# --- schemas ----------------------------------------------------------------------------

class Ref(Schema):
    id: int
    name: str


class GridRef(Schema):
    id: int
    name: str
    code: str
    level: int


class GridOut(Schema):
    id: int
    name: str
    code: str
    level: int
    level_label: str
    parent: GridRef | None = None
    organization: Ref
    bbox: list[float] | None = None

    @staticmethod
    def resolve_level_label(obj: Grid) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_bbox(obj: Grid) -> list[float] | None:
        return [obj.min_x, obj.min_y, obj.max_x, obj.max_y] if obj.geometry else None


class ChainItem(Schema):
    id: int
    name: str
    code: str
    level: int
    level_label: str
    visible: bool


class GridDetailOut(GridOut):
    geometry: dict[str, Any] | None = None
    chain: list[ChainItem]
    children: list[GridRef]

    # Filled by _detail() through the scoped selectors (they need the user).
    @staticmethod
    def resolve_chain(obj: Grid) -> list[dict]:
        return obj.api_chain

    @staticmethod
    def resolve_children(obj: Grid) -> list[Grid]:
        return obj.api_children


class GridList(Schema):
    count: int
    limit: int
    offset: int
    items: list[GridOut]


class LocateOut(Schema):
    lng: float
    lat: float
    grid: ChainItem | None = None
    chain: list[ChainItem]


class GridIn(Schema):
    name: str
    code: str
    level: int
    parent: int | None = None
    organization: int
    geometry: dict[str, Any] | str | None = None
    reason: str = ""


class GridPatch(Schema):
    """Only the fields sent are changed; `geometry: null` removes the boundary."""

    name: str | None = None
    code: str | None = None
    level: int | None = None
    parent: int | None = None
    organization: int | None = None
    geometry: dict[str, Any] | str | None = None
    reason: str = ""


class PersonRef(Schema):
    id: int
    name: str
    phone_masked: str


class AssignmentOut(Schema):
    id: int
    tag: str
    label: str
    person: PersonRef
    since: dt.date | None = None
    until: dt.date | None = None

    @staticmethod
    def resolve_label(obj) -> str:
        return str(obj.get_tag_display())


class AssignmentIn(Schema):
    person: int
    tag: str
    since: dt.date | None = None
    reason: str = ""


class ReasonIn(Schema):
    reason: str = ""


REQUIRED_LABELS = {"name": "网格名称", "code": "网格编码", "level": "网格层级"}


# --- helpers ----------------------------------------------------------------------------------

def _grid(request, grid_id: int) -> Grid:
    return selectors.get_grid(request.user, grid_id)


def _parent(user, pk):
    if pk is None:
        return None
    parent = selectors.parent_choices(user).filter(pk=pk).first()
    if parent is None:
        raise DomainError("所选上级网格不存在或不在您的权限范围内", field="parent")
    return parent


def _organization(user, pk):
    org = selectors.organization_choices(user).filter(pk=pk).first()
    if org is None:
        raise DomainError("所选组织不存在或不在您的权限范围内", field="organization")
    return org


def _detail(user, grid: Grid) -> Grid:
    grid = selectors.get_grid(user, grid.pk)
    grid.api_chain = [{k: c[k] for k in ChainItem.model_fields} for c in selectors.chain_info(user, grid)]
    grid.api_children = list(selectors.children(user, grid))
    return grid


# --- endpoints --------------------------------------------------------------------------------

@router.get("", response=GridList, summary="List grids")
def list_grids(request, q: str = "", level: int | None = None, parent: int | None = None, limit: int = 100, offset: int = 0):
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    parent_grid = None
    if parent is not None:
        parent_grid = selectors.visible_grids(request.user).filter(pk=parent).first()
        if parent_grid is None:
            raise NotFound("上级网格不存在或不在您的权限范围内")
    qs = selectors.search_grids(request.user, q=q, level=level, parent=parent_grid)
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": list(qs[offset:offset + limit])}


@router.get("/geojson", response=dict[str, Any], summary="Visible grids as a GeoJSON FeatureCollection")
def geojson(request, level: int | None = None):
    return selectors.visible_feature_collection(request.user, level=level)


@router.get("/locate", response=LocateOut, summary="Which visible grid holds the point (lng, lat)")
def locate(request, lng: str = "", lat: str = ""):
    x, y = selectors.parse_point(lng, lat)
    grid, chain = selectors.locate_for(request.user, x, y)
    items = [{k: c[k] for k in ChainItem.model_fields} for c in chain]
    return {"lng": x, "lat": y, "grid": items[-1] if grid else None, "chain": items}


@router.get("/{int:grid_id}", response=GridDetailOut, summary="One grid, with its chain and sub-grids")
def get_grid(request, grid_id: int):
    return _detail(request.user, _grid(request, grid_id))


@router.post("", response={201: GridDetailOut}, summary="Create a grid")
def create_grid(request, payload: GridIn):
    user = request.user
    grid = services.create_grid(
        by=user, name=payload.name, code=payload.code, level=payload.level, parent=_parent(user, payload.parent),
        organization=_organization(user, payload.organization), geometry=payload.geometry, reason=payload.reason,
    )
    return Status(201, _detail(user, grid))


@router.patch("/{int:grid_id}", response=GridDetailOut, summary="Change a grid")
def update_grid(request, grid_id: int, payload: GridPatch):
    user = request.user
    grid = _grid(request, grid_id)
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    if "parent" in data:
        data["parent"] = grid.parent if data["parent"] == grid.parent_id and grid.parent_id else _parent(user, data["parent"])
    if "organization" in data:
        if data["organization"] is None:
            raise DomainError("所属组织不能为空", field="organization")
        data["organization"] = grid.organization if data["organization"] == grid.organization_id else _organization(user, data["organization"])
    for key, label in REQUIRED_LABELS.items():
        if key in data and data[key] is None:
            raise DomainError(f"{label}不能为空", field=key)
    services.update_grid(grid=grid, by=user, reason=reason, **data)
    return _detail(user, grid)


@router.get("/{int:grid_id}/assignments", response=list[AssignmentOut], summary="Grid workers and five heads of a grid")
def list_assignments(request, grid_id: int, include_ended: bool = False):
    return list(selectors.assignments(_grid(request, grid_id), include_ended=include_ended))


@router.post("/{int:grid_id}/assignments", response={201: AssignmentOut}, summary="Assign a person to a grid role")
def add_assignment(request, grid_id: int, payload: AssignmentIn):
    grid = _grid(request, grid_id)
    person = selectors.get_person_for_assignment(request.user, grid, payload.person)
    role = services.assign_person(grid=grid, person=person, tag=payload.tag, by=request.user, since=payload.since,
                                  reason=payload.reason)
    return Status(201, role)


@router.post("/{int:grid_id}/assignments/{int:role_id}/end", response=AssignmentOut, summary="End an assignment (today)")
def end_assignment(request, grid_id: int, role_id: int, payload: ReasonIn):
    grid = _grid(request, grid_id)
    role = selectors.get_assignment(grid, role_id)
    return services.end_assignment(grid=grid, role=role, by=request.user, reason=payload.reason)
