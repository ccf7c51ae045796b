"""Writes on grids: GeoJSON is validated with shapely and its bounding box stored.

Rules kept here (pages and API share them):
- levels nest strictly: street (1) → community (2) → grid (3) → micro-grid (4); so the parent
  chain can never form a cycle;
- a grid's organisation lies within its parent's organisation (that is what scopes it);
- a polygon must be a valid (non self-intersecting) Polygon/MultiPolygon in lng/lat, lie within
  its parent's polygon and not overlap a sibling's (small tolerance for digitising noise), so
  "which grid holds this point" has one answer.
"""

import json
import math
import re

from django.db import transaction
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ensure_can
from tongxin.audit import events
from tongxin.core.errors import DomainError
from tongxin.core.text import search_blob

from .models import Grid, GridLevel

MAX_GEOJSON_CHARS = 2_000_000
# Share of a polygon's area allowed outside its parent / over a sibling (digitising noise).
TOLERANCE = 0.01
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")

LEVEL_LABELS = {1: "街道", 2: "社区", 3: "网格", 4: "微网格（楼栋）"}

_VALIDITY_REASONS = [
    ("Ring Self-intersection", "边界环自相交"),
    ("Self-intersection", "边界多边形自相交（边线交叉）"),
    ("Too few points", "多边形的点太少"),
    ("Hole lies outside shell", "内环（洞）位于外环之外"),
    ("Nested shells", "多边形的外环互相嵌套"),
    ("Interior is disconnected", "多边形内部被分割成不相连的部分"),
    ("Duplicate Rings", "多边形有重复的环"),
    ("Invalid Coordinate", "坐标值无效"),
    ("Ring is not closed", "环没有闭合（首尾坐标应相同）"),
    ("Nested holes", "内环（洞）互相嵌套"),
]


def _validity_message(geom) -> str:
    text = explain_validity(geom)
    where = ""
    m = re.search(r"\[([-\d.eE]+) ([-\d.eE]+)\]", text)
    if m:
        where = f"，位置约在经度 {float(m.group(1)):.6f}、纬度 {float(m.group(2)):.6f}"
    for key, zh in _VALIDITY_REASONS:
        if text.startswith(key):
            return f"边界（GeoJSON）无效：{zh}{where}"
    return f"边界（GeoJSON）无效：{text}"


def _check_coordinates(value, depth: int) -> None:
    """Positions are lists of 2–3 finite numbers, nested `depth` lists deep."""
    if depth == 0:
        if not isinstance(value, (list, tuple)) or len(value) not in (2, 3) or not all(
            isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) for n in value
        ):
            raise DomainError(f"边界（GeoJSON）坐标格式不正确：每个点应为 [经度, 纬度]，收到 {json.dumps(value, ensure_ascii=False)[:60]}",
                              field="geometry")
        return
    if not isinstance(value, (list, tuple)) or not value:
        raise DomainError("边界（GeoJSON）坐标格式不正确：coordinates 的嵌套层数不对或为空", field="geometry")
    for item in value:
        _check_coordinates(item, depth - 1)
    if depth == 1 and len(value) < 4:
        raise DomainError("边界（GeoJSON）无效：多边形的每个环至少需要 4 个坐标点（首尾相同）", field="geometry")


def clean_geometry(raw) -> dict | None:
    """Accept a GeoJSON Polygon/MultiPolygon, or a Feature (or one-feature collection) holding one.

    Returns the geometry as plain JSON; raises DomainError(field="geometry") in Chinese.
    """
    if raw in (None, "", {}):
        return None
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError("边界（GeoJSON）文件不是 UTF-8 编码的文本", field="geometry") from None
    if isinstance(raw, str):
        if not raw.strip():
            return None
        if len(raw) > MAX_GEOJSON_CHARS:
            raise DomainError("边界（GeoJSON）过大（超过 2 MB），请简化多边形后再试", field="geometry")
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise DomainError(f"边界不是有效的 GeoJSON 文本（第 {getattr(exc, 'lineno', '?')} 行附近有 JSON 语法错误）",
                              field="geometry") from None
    if isinstance(raw, dict) and raw.get("type") == "FeatureCollection":
        feats = raw.get("features") or []
        if len(feats) != 1:
            raise DomainError(f"边界只能包含一个面要素，收到 {len(feats)} 个要素", field="geometry")
        raw = feats[0]
    if isinstance(raw, dict) and raw.get("type") == "Feature":
        raw = raw.get("geometry")
    kind = raw.get("type") if isinstance(raw, dict) else type(raw).__name__
    if not isinstance(raw, dict) or kind not in ("Polygon", "MultiPolygon"):
        raise DomainError(f"边界必须是 GeoJSON 的面（Polygon 或 MultiPolygon），收到的是 {kind or '未知类型'}", field="geometry")
    _check_coordinates(raw.get("coordinates"), 2 if kind == "Polygon" else 3)
    try:
        geom = shape(raw)
    except Exception:
        raise DomainError("边界（GeoJSON）坐标格式不正确", field="geometry") from None
    if geom.is_empty:
        raise DomainError("边界（GeoJSON）为空", field="geometry")
    if not geom.is_valid:
        raise DomainError(_validity_message(geom), field="geometry")
    if geom.area <= 0:
        raise DomainError("边界（GeoJSON）面积为零", field="geometry")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise DomainError("边界坐标超出经纬度范围（经度 -180~180，纬度 -90~90；请确认经度在前、纬度在后）", field="geometry")
    return _jsonable(mapping(geom))


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
        raise DomainError("网格层级无效（应为 1 街道、2 社区、3 网格、4 微网格）", field="level")
    if level == GridLevel.STREET and parent is not None:
        raise DomainError("街道级网格不能有上级网格", field="parent")
    if level != GridLevel.STREET:
        if parent is None:
            raise DomainError(f"请选择上级网格：{LEVEL_LABELS[level]}级网格的上级应为{LEVEL_LABELS[level - 1]}级网格", field="parent")
        if parent.level != level - 1:
            raise DomainError(
                f"上级网格“{parent.name}”是{LEVEL_LABELS[parent.level]}级，{LEVEL_LABELS[level]}级网格的上级应为{LEVEL_LABELS[level - 1]}级",
                field="parent",
            )


def _check_organization(organization, parent: Grid | None, level: int | None = None) -> None:
    from tongxin.orgs.models import OrgKind

    if organization is None:
        raise DomainError("请选择所属组织", field="organization")
    if level == GridLevel.STREET and organization.kind != OrgKind.STREET_COMMITTEE:
        raise DomainError("街道级网格的所属组织应为街道党工委", field="organization")
    if organization.archived_at is not None:
        raise DomainError(f"组织“{organization.name}”已归档，不能负责网格", field="organization")
    if parent is not None and not organization.path.startswith(parent.organization.path):
        raise DomainError(f"所属组织应为上级网格的组织“{parent.organization.name}”或其下级组织", field="organization")


def _check_placement(geometry: dict | None, parent: Grid | None, exclude_pk=None) -> None:
    """The polygon lies within its parent's and does not overlap a sibling's."""
    if not geometry:
        return
    geom = shape(geometry)
    area = geom.area
    if parent is not None and parent.geometry:
        outside = geom.difference(shape(parent.geometry)).area
        if outside > TOLERANCE * area:
            raise DomainError(f"边界超出上级网格“{parent.name}”的范围（约 {outside / area:.0%} 在外）", field="geometry")
    siblings = Grid.objects.filter(parent=parent, geometry__isnull=False).exclude(pk=exclude_pk)
    b = geom.bounds
    siblings = siblings.filter(min_x__lte=b[2], max_x__gte=b[0], min_y__lte=b[3], max_y__gte=b[1])
    for sib in siblings.order_by("code"):
        overlap = geom.intersection(shape(sib.geometry)).area
        if overlap > TOLERANCE * min(area, shape(sib.geometry).area):
            raise DomainError(f"边界与同级网格“{sib.name}”（{sib.code}）重叠", field="geometry")


def _clean_code(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise DomainError("网格编码不能为空", field="code")
    if not CODE_RE.match(code):
        raise DomainError("网格编码只能包含字母、数字、“-”“_”“.”，不超过 40 个字符", field="code")
    return code


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("网格名称不能为空", field="name")
    if len(name) > 80:
        raise DomainError("网格名称不能超过 80 个字", field="name")
    return name


@transaction.atomic
def create_grid(*, by, name: str, code: str, level: int, organization, parent: Grid | None = None, geometry=None, reason: str = "") -> Grid:
    ensure_can(by, P.MANAGE_GRIDS, organization, "您无权为该组织建立网格（超出您的组织范围）")
    name = _clean_name(name)
    code = _clean_code(code)
    if Grid.objects.filter(code__iexact=code).exists():
        raise DomainError(f"网格编码“{code}”已存在", field="code")
    try:
        level = int(level)
    except (TypeError, ValueError):
        raise DomainError("网格层级无效（应为 1 街道、2 社区、3 网格、4 微网格）", field="level") from None
    _check_parent(level, parent)
    if parent is not None:
        ensure_can(by, P.VIEW_GRIDS, parent.organization, "所选上级网格不在您的权限范围内")
    _check_organization(organization, parent, level)
    geometry = clean_geometry(geometry)
    _check_placement(geometry, parent)
    grid = Grid(name=name, code=code, level=level, parent=parent, organization=organization)
    _apply_geometry(grid, geometry)
    grid.search_text = search_blob(name, code)
    grid._change_reason = reason
    grid.save()
    events.record(actor=by, verb="grid.created", target=grid, organization=organization, reason=reason,
                  payload={"code": code, "level": level, "parent": parent.code if parent else None})
    return grid


_UNSET = object()


@transaction.atomic
def update_grid(*, grid: Grid, by, reason: str = "", **data) -> Grid:
    """Change any of name, code, level, parent, organization, geometry (only the keys given)."""
    ensure_can(by, P.MANAGE_GRIDS, grid.organization)
    unknown = set(data) - {"name", "code", "level", "parent", "organization", "geometry"}
    if unknown:
        raise DomainError(f"不能修改字段：{', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    changed = {}
    if "name" in data:
        changed["name"] = _clean_name(data["name"])
    if "code" in data:
        code = _clean_code(data["code"])
        if Grid.objects.filter(code__iexact=code).exclude(pk=grid.pk).exists():
            raise DomainError(f"网格编码“{code}”已存在", field="code")
        changed["code"] = code
    level = grid.level
    if "level" in data and data["level"] is not None:
        try:
            level = int(data["level"])
        except (TypeError, ValueError):
            raise DomainError("网格层级无效（应为 1 街道、2 社区、3 网格、4 微网格）", field="level") from None
        if level != grid.level and grid.children.exists():
            raise DomainError("该网格有下级网格，不能修改层级", field="level")
        changed["level"] = level
    parent = data["parent"] if "parent" in data else grid.parent
    if parent is not None and parent.pk == grid.pk:
        raise DomainError("上级网格不能是它自己", field="parent")
    _check_parent(level, parent)
    if "parent" in data:
        if parent is not None and parent.pk != grid.parent_id:
            ensure_can(by, P.VIEW_GRIDS, parent.organization, "所选上级网格不在您的权限范围内")
        changed["parent"] = parent
    organization = grid.organization
    if "organization" in data and data["organization"] is not None:
        organization = data["organization"]
        if organization.pk != grid.organization_id:
            ensure_can(by, P.MANAGE_GRIDS, organization, "您无权将网格交给该组织（超出您的组织范围）")
        changed["organization"] = organization
    if organization.pk != grid.organization_id or parent != grid.parent or level != grid.level:
        _check_organization(organization, parent, level)
    if organization.pk != grid.organization_id:
        stray = grid.children.exclude(organization__path__startswith=organization.path).first()
        if stray is not None:
            raise DomainError(f"下级网格“{stray.name}”的组织不在“{organization.name}”之下，不能这样修改", field="organization")
    geometry = _UNSET
    if "geometry" in data:
        geometry = clean_geometry(data["geometry"])
    if geometry is not _UNSET or (parent is not None and parent.pk != grid.parent_id):
        _check_placement(grid.geometry if geometry is _UNSET else geometry, parent, exclude_pk=grid.pk)
    diff = events.changes(grid, changed)
    for k, v in changed.items():
        setattr(grid, k, v)
    if geometry is not _UNSET and geometry != grid.geometry:
        _apply_geometry(grid, geometry)
        diff["geometry"] = ["…", "…"]
    if not diff:
        return grid
    grid.search_text = search_blob(grid.name, grid.code)
    grid._change_reason = reason
    grid.save()
    events.record(actor=by, verb="grid.updated", target=grid, organization=grid.organization, reason=reason, payload={"changes": diff})
    return grid


# --- grid workers and the five heads -----------------------------------------------------------

def _people():
    from tongxin.people import services as people_services
    from tongxin.people.models import GRID_TAGS, PersonRole

    return people_services, GRID_TAGS, PersonRole


@transaction.atomic
def assign_person(*, grid: Grid, person, tag: str, by, since=None, reason: str = ""):
    """Make `person` the grid worker or one of the five heads of `grid` (a PersonRole row)."""
    people_services, grid_tags, _ = _people()
    ensure_can(by, P.MANAGE_GRIDS, grid.organization, "您无权为该网格分配人员（超出您的组织范围）")
    if tag not in grid_tags:
        raise DomainError("请选择网格员或“五长”（网格长、路长、巷长、楼长、店长）中的一种", field="tag")
    if grid.level < GridLevel.GRID:
        raise DomainError("网格员和“五长”只能分配到网格或微网格（不是街道或社区）", field="tag")
    if person is None:
        raise DomainError("请选择人员", field="person")
    if person.archived_at is not None:
        raise DomainError(f"“{person.name}”的记录已归档，不能分配", field="person")
    role = people_services.add_role(person=person, tag=tag, by=by, grid=grid, since=since, reason=reason)
    events.record(actor=by, verb="grid.assigned", target=grid, organization=grid.organization, reason=reason,
                  payload={"person": person.pk, "name": person.name, "tag": tag, "role": role.pk})
    return role


@transaction.atomic
def end_assignment(*, grid: Grid, role, by, reason: str = ""):
    people_services, grid_tags, _ = _people()
    ensure_can(by, P.MANAGE_GRIDS, grid.organization, "您无权调整该网格的人员（超出您的组织范围）")
    if role.grid_id != grid.pk or role.tag not in grid_tags:
        raise DomainError("该任职不属于此网格", field="role")
    role = people_services.end_role(role=role, by=by, reason=reason)
    events.record(actor=by, verb="grid.assignment_ended", target=grid, organization=grid.organization, reason=reason,
                  payload={"person": role.person_id, "name": role.person.name, "tag": role.tag, "role": role.pk})
    return role
