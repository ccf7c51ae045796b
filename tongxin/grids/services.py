"""Writes on grids: GeoJSON is validated with shapely and its bounding box stored."""

from django.db import transaction
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ensure_can
from tongxin.audit import events
from tongxin.core.errors import DomainError
from tongxin.core.text import search_blob

from .models import Grid, GridLevel


def clean_geometry(raw) -> dict | None:
    """Accept a GeoJSON Polygon/MultiPolygon, or a Feature holding one; return the geometry."""
    if raw in (None, "", {}):
        return None
    if isinstance(raw, str):
        import json

        try:
            raw = json.loads(raw)
        except ValueError:
            raise DomainError("边界不是有效的 GeoJSON 文本", field="geometry") from None
    if isinstance(raw, dict) and raw.get("type") == "FeatureCollection":
        feats = raw.get("features") or []
        if len(feats) != 1:
            raise DomainError("边界只能包含一个面要素", field="geometry")
        raw = feats[0]
    if isinstance(raw, dict) and raw.get("type") == "Feature":
        raw = raw.get("geometry")
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        raise DomainError("边界必须是 GeoJSON 的 Polygon 或 MultiPolygon", field="geometry")
    try:
        geom = shape(raw)
    except Exception:
        raise DomainError("边界坐标格式不正确", field="geometry") from None
    if geom.is_empty or not geom.is_valid:
        raise DomainError(f"边界多边形无效：{explain_validity(geom)}", field="geometry")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise DomainError("边界坐标超出经纬度范围（经度 -180~180，纬度 -90~90）", field="geometry")
    return mapping(geom) | {}


def _apply_geometry(grid: Grid, geometry: dict | None) -> None:
    grid.geometry = _jsonable(geometry) if geometry else None
    if geometry:
        grid.min_x, grid.min_y, grid.max_x, grid.max_y = shape(geometry).bounds
    else:
        grid.min_x = grid.min_y = grid.max_x = grid.max_y = None


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _check_parent(level: int, parent: Grid | None) -> None:
    if level not in GridLevel.values:
        raise DomainError("网格层级无效", field="level")
    if level == GridLevel.STREET and parent is not None:
        raise DomainError("街道级网格不能有上级网格", field="parent")
    if level != GridLevel.STREET:
        if parent is None:
            raise DomainError("请选择上级网格", field="parent")
        if parent.level != level - 1:
            raise DomainError(f"上级网格应为“{GridLevel(level - 1).label}”级", field="parent")


@transaction.atomic
def create_grid(*, by, name: str, code: str, level: int, organization, parent: Grid | None = None, geometry=None, reason: str = "") -> Grid:
    ensure_can(by, P.MANAGE_GRIDS, organization)
    name, code = (name or "").strip(), (code or "").strip()
    if not name:
        raise DomainError("网格名称不能为空", field="name")
    if not code:
        raise DomainError("网格编码不能为空", field="code")
    if Grid.objects.filter(code=code).exists():
        raise DomainError(f"网格编码“{code}”已存在", field="code")
    level = int(level)
    _check_parent(level, parent)
    grid = Grid(name=name, code=code, level=level, parent=parent, organization=organization)
    _apply_geometry(grid, clean_geometry(geometry))
    grid.search_text = search_blob(name, code)
    grid._change_reason = reason
    grid.save()
    events.record(actor=by, verb="grid.created", target=grid, organization=organization, reason=reason, payload={"code": code, "level": level})
    return grid


@transaction.atomic
def update_grid(*, grid: Grid, by, reason: str = "", **data) -> Grid:
    ensure_can(by, P.MANAGE_GRIDS, grid.organization)
    changed = {}
    if "name" in data:
        if not (data["name"] or "").strip():
            raise DomainError("网格名称不能为空", field="name")
        changed["name"] = data["name"].strip()
    if "organization" in data and data["organization"] is not None:
        ensure_can(by, P.MANAGE_GRIDS, data["organization"])
        changed["organization"] = data["organization"]
    diff = events.changes(grid, changed)
    for k, v in changed.items():
        setattr(grid, k, v)
    if "geometry" in data:
        _apply_geometry(grid, clean_geometry(data["geometry"]))
        diff["geometry"] = ["…", "…"]
    grid.search_text = search_blob(grid.name, grid.code)
    grid._change_reason = reason
    grid.save()
    if diff:
        events.record(actor=by, verb="grid.updated", target=grid, organization=grid.organization, reason=reason, payload={"changes": diff})
    return grid
