"""Road segments (门前三包): GeoJSON checks and the per-alliance spatial index behind adopter_at().

Geometry is stored in lng/lat (WGS84, as drawn on the map). For distances and buffers it is
projected to local metres with an equirectangular projection around the alliance's mean
latitude: at a street's scale (a few km) the error is far below the 30 m buffer.

The index: one shapely STRtree per alliance over the buffered segments (lines buffered by their
`buffer_m`, polygons by a small tolerance), built on first use and kept in process memory with
a stamp (the latest updated_at of the alliance's segments: creating, editing and releasing a
segment all touch it). Every call checks the stamp with one index probe, so a change made by
another process is seen on the next call; the services also drop the local entry on change. A
row deleted outright (the app never does; segments are released) is noticed when it would have
matched: adopter_at then rebuilds and asks again. A point query is then an STRtree
lookup plus an exact distance test on the few candidates.
"""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point, mapping, shape
from shapely.validation import explain_validity

from tongxin.core.errors import DomainError

MAX_GEOJSON_CHARS = 1_000_000
MAX_LINE_M = 5000          # a single adopted segment longer than this is surely a mistake
POLYGON_TOLERANCE_M = 3    # digitising noise around an adopted area
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LNG_EQUATOR = 111_320.0

LINE_TYPES = ("LineString", "MultiLineString")
AREA_TYPES = ("Polygon",)


def _coords_ok(value, depth: int) -> bool:
    if depth == 0:
        return (isinstance(value, (list, tuple)) and len(value) in (2, 3)
                and all(isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) for n in value))
    return isinstance(value, (list, tuple)) and bool(value) and all(_coords_ok(v, depth - 1) for v in value)


def parse_geojson(raw) -> list[dict]:
    """The geometries in `raw` (text, bytes or parsed JSON): one geometry, a Feature or a FeatureCollection."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError("GeoJSON 文件不是 UTF-8 编码的文本", field="geometry") from None
    if isinstance(raw, str):
        if not raw.strip():
            raise DomainError("请在地图上画出路段，或粘贴 GeoJSON", field="geometry")
        if len(raw) > MAX_GEOJSON_CHARS:
            raise DomainError("GeoJSON 过大（超过 1 MB），请简化后再试", field="geometry")
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise DomainError(f"不是有效的 GeoJSON 文本（第 {getattr(exc, 'lineno', '?')} 行附近有 JSON 语法错误）", field="geometry") from None
    if not isinstance(raw, dict):
        raise DomainError("GeoJSON 应为一个对象（几何、Feature 或 FeatureCollection）", field="geometry")
    if raw.get("type") == "FeatureCollection":
        feats = raw.get("features")
        if not isinstance(feats, list) or not feats:
            raise DomainError("GeoJSON 要素集合中没有要素", field="geometry")
        out = []
        for f in feats:
            out.extend(parse_geojson(f) if isinstance(f, dict) else [None])
        return out
    if raw.get("type") == "Feature":
        geom = raw.get("geometry")
        if not isinstance(geom, dict):
            raise DomainError("GeoJSON 要素没有几何（geometry）", field="geometry")
        props = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
        return [{**geom, "_name": str(props.get("name") or "")[:80]}]
    return [raw]


def clean_segment(raw) -> tuple[str, dict, float]:
    """(kind "line"/"area", geometry as plain GeoJSON, length or perimeter in metres) or a Chinese DomainError."""
    if isinstance(raw, dict) and raw.get("type") in ("Feature", "FeatureCollection") or isinstance(raw, (str, bytes)):
        geoms = parse_geojson(raw)
        if len(geoms) != 1:
            raise DomainError(f"一个路段只能包含一条线或一个面，收到 {len(geoms)} 个要素", field="geometry")
        raw = geoms[0]
    if not isinstance(raw, dict):
        raise DomainError("GeoJSON 应为一个对象", field="geometry")
    raw = {k: v for k, v in raw.items() if k != "_name"}
    kind = raw.get("type")
    if kind not in LINE_TYPES + AREA_TYPES:
        raise DomainError(f"路段必须是线（LineString / MultiLineString）或面（Polygon），收到的是 {kind or '未知类型'}", field="geometry")
    depth = {"LineString": 1, "MultiLineString": 2, "Polygon": 2}[kind]
    if not _coords_ok(raw.get("coordinates"), depth):
        raise DomainError("GeoJSON 坐标格式不正确：每个点应为 [经度, 纬度]", field="geometry")
    coords = raw["coordinates"]
    if kind in LINE_TYPES and any(len(line) < 2 for line in ([coords] if kind == "LineString" else coords)):
        raise DomainError("路段的每条线至少需要 2 个点", field="geometry")
    if kind == "Polygon" and any(len(ring) < 4 for ring in coords):
        raise DomainError("面（Polygon）的每个环至少需要 4 个坐标点（首尾相同）", field="geometry")
    try:
        geom = shape(raw)
    except Exception:
        raise DomainError("GeoJSON 坐标格式不正确", field="geometry") from None
    if geom.is_empty:
        raise DomainError("路段几何为空", field="geometry")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise DomainError("坐标超出经纬度范围（经度 -180~180，纬度 -90~90；请确认经度在前、纬度在后）", field="geometry")
    if kind in LINE_TYPES:
        lines = [geom] if kind == "LineString" else list(geom.geoms)
        if any(len(line.coords) < 2 for line in lines):
            raise DomainError("路段的每条线至少需要 2 个点", field="geometry")
        length = to_metres(geom, (miny + maxy) / 2).length
        if length < 1:
            raise DomainError("路段长度为零：请至少画两个不同的点", field="geometry")
        if length > MAX_LINE_M:
            raise DomainError(f"路段过长（约 {length / 1000:.1f} 公里，上限 {MAX_LINE_M // 1000} 公里），请分段认领", field="geometry")
        return "line", _plain(mapping(geom)), round(length, 1)
    if not geom.is_valid:
        raise DomainError(f"面（Polygon）无效：{_validity(geom)}", field="geometry")
    metric = to_metres(geom, (miny + maxy) / 2)
    if metric.area <= 0:
        raise DomainError("面（Polygon）面积为零", field="geometry")
    if metric.area > MAX_LINE_M * 200:
        raise DomainError("认领区域过大（超过 1 平方公里），请只画门前的路段或区域", field="geometry")
    return "area", _plain(mapping(geom)), round(metric.length, 1)


def _validity(geom) -> str:
    text = explain_validity(geom)
    if text.startswith("Self-intersection") or text.startswith("Ring Self-intersection"):
        return "边线自相交"
    if text.startswith("Too few points"):
        return "点太少"
    return text


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_metres(geom, lat0: float):
    scale = np.array([math.cos(math.radians(lat0)) * M_PER_DEG_LNG_EQUATOR, M_PER_DEG_LAT])
    return shapely.transform(geom, lambda coords: coords * scale)


def buffered(geometry: dict, kind: str, buffer_m: int, lat0: float):
    metric = to_metres(shape(geometry), lat0)
    return metric.buffer(buffer_m if kind == "line" else POLYGON_TOLERANCE_M)


def bbox_with_buffer(geometry: dict, buffer_m: int) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = shape(geometry).bounds
    lat0 = (miny + maxy) / 2
    dy = buffer_m / M_PER_DEG_LAT
    dx = buffer_m / (math.cos(math.radians(lat0)) * M_PER_DEG_LNG_EQUATOR)
    return minx - dx, miny - dy, maxx + dx, maxy + dy


# --- the per-alliance index --------------------------------------------------------------------

class _Index:
    __slots__ = ("stamp", "lat0", "tree", "items", "raw")

    def __init__(self, stamp, lat0, tree, items, raw):
        self.stamp, self.lat0, self.tree, self.items, self.raw = stamp, lat0, tree, items, raw


_cache: dict[int, _Index] = {}
_lock = threading.Lock()


def invalidate(alliance_id: int | None = None) -> None:
    with _lock:
        if alliance_id is None:
            _cache.clear()
        else:
            _cache.pop(alliance_id, None)


def _stamp(alliance_id: int):
    """The latest change of the alliance's segments (creation, edit and release all touch updated_at)."""
    from .models import RoadSegment

    return RoadSegment.objects.filter(alliance_id=alliance_id).order_by("-updated_at").values_list("updated_at", flat=True).first()


def _build(alliance_id: int, stamp) -> _Index:
    from .models import RoadSegment

    rows = list(RoadSegment.objects.filter(alliance_id=alliance_id, active=True).values_list("pk", "unit_id", "kind", "geometry", "buffer_m",
                                                                                              "min_y", "max_y"))
    lat0 = sum((r[5] + r[6]) / 2 for r in rows) / len(rows) if rows else 0.0
    items = [(r[0], r[1]) for r in rows]
    if not rows:
        return _Index(stamp, lat0, None, items, [])
    # Vectorised: project all segments at once, buffer lines by their distance and areas by the tolerance.
    scale = np.array([math.cos(math.radians(lat0)) * M_PER_DEG_LNG_EQUATOR, M_PER_DEG_LAT])
    metric = shapely.transform(np.array([shape(r[3]) for r in rows], dtype=object), lambda coords: coords * scale)
    dist = np.array([r[4] if r[2] == "line" else POLYGON_TOLERANCE_M for r in rows], dtype=float)
    tree = STRtree(shapely.buffer(metric, dist, quad_segs=4))
    raw = list(metric)
    return _Index(stamp, lat0, tree, items, raw)


def index_for(alliance_id: int) -> _Index:
    stamp = _stamp(alliance_id)
    idx = _cache.get(alliance_id)
    if idx is not None and idx.stamp == stamp:
        return idx
    idx = _build(alliance_id, stamp)
    with _lock:
        _cache[alliance_id] = idx
    return idx


def nearest_covering(alliance_id: int, lng: float, lat: float) -> tuple[int, float] | None:
    """(segment pk, distance in metres to its line or area) of the nearest segment whose buffer covers the point."""
    idx = index_for(alliance_id)
    if idx.tree is None:
        return None
    pt = to_metres(Point(lng, lat), idx.lat0)
    hits = idx.tree.query(pt, predicate="intersects")
    best = None
    for i in hits:
        d = idx.raw[i].distance(pt)
        if best is None or d < best[1] or (d == best[1] and idx.items[i][0] < best[0]):
            best = (idx.items[i][0], d)
    return best
