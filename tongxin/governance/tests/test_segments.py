"""Adopted road segments (门前三包): GeoJSON checks, the spatial lookup, and the dispatch suggestion."""

import json

import pytest

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.governance import geo, selectors, services

# A street running east–west at lat 37.005 inside community A's grid (orders tests use 112.00–112.01 × 37.00–37.01).
LINE = {"type": "LineString", "coordinates": [[112.002, 37.005], [112.003, 37.005]]}
# About 20 m north of the line (1° lat ≈ 110.6 km): covered by a 30 m buffer, not by a 10 m one.
NEAR = (112.0025, 37.005 + 20 / 110574)
FAR = (112.0025, 37.005 + 60 / 110574)


def test_line_with_buffer_covers_nearby_point(gw):
    seg = services.create_segment(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, name="甲医院门前", geometry=LINE)
    assert seg.kind == "line" and 80 < seg.length_m < 95
    unit, found = selectors.adopter_at(alliance=gw.alliance, lng=NEAR[0], lat=NEAR[1])
    assert unit == gw.unit_a and found == seg
    assert selectors.adopter_at(alliance=gw.alliance, lng=FAR[0], lat=FAR[1]) is None
    services.update_segment(segment=seg, by=gw.admin, buffer_m=10)
    assert selectors.adopter_at(alliance=gw.alliance, lng=NEAR[0], lat=NEAR[1]) is None


def test_nearest_segment_wins_and_released_segment_is_gone(gw):
    a = services.create_segment(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, name="甲医院门前", geometry=LINE)
    other = {"type": "LineString", "coordinates": [[112.002, 37.0051], [112.003, 37.0051]]}  # 11 m further north
    b = services.create_segment(by=gw.admin, alliance=gw.alliance, unit=gw.unit_b, name="乙学校门前", geometry=other)
    assert selectors.adopter_at(alliance=gw.alliance, lng=NEAR[0], lat=NEAR[1])[1] == b
    assert selectors.adopter_at(alliance=gw.alliance, lng=112.0025, lat=37.005)[1] == a
    services.release_segment(segment=b, by=gw.admin, reason="学校搬迁")
    assert selectors.adopter_at(alliance=gw.alliance, lng=NEAR[0], lat=NEAR[1])[1] == a


def test_polygon_segment(gw):
    poly = {"type": "Polygon", "coordinates": [[[112.004, 37.004], [112.005, 37.004], [112.005, 37.0045], [112.004, 37.0045], [112.004, 37.004]]]}
    seg = services.create_segment(by=gw.liaison_a, alliance=gw.alliance, unit=gw.unit_a, name="甲医院广场", geometry=poly)
    assert seg.kind == "area"
    assert selectors.adopter_at(alliance=gw.alliance, lng=112.0045, lat=37.0042)[1] == seg
    assert selectors.adopter_at(alliance=gw.alliance, lng=112.0045, lat=37.0052) is None


@pytest.mark.parametrize("geometry, message", [
    ("{not json", "JSON 语法错误"),
    ({"type": "Point", "coordinates": [112, 37]}, "必须是线"),
    ({"type": "LineString", "coordinates": [[112.0, 37.0]]}, "至少需要 2 个点"),
    ({"type": "LineString", "coordinates": [[112.0, 37.0], [112.0, 37.0]]}, "长度为零"),
    ({"type": "LineString", "coordinates": [[37.0, 112.0], [37.1, 112.0]]}, "超出经纬度范围"),
    ({"type": "LineString", "coordinates": [[112.0, 37.0], [112.2, 37.0]]}, "路段过长"),
    ({"type": "Polygon", "coordinates": [[[112.0, 37.0], [112.001, 37.001], [112.001, 37.0], [112.0, 37.001], [112.0, 37.0]]]}, "自相交"),
    ({"type": "LineString", "coordinates": [["a", 37.0], [112.0, 37.0]]}, "坐标格式不正确"),
])
def test_bad_geojson_is_refused_in_chinese(gw, geometry, message):
    with pytest.raises(DomainError) as exc:
        services.create_segment(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, name="门前路段", geometry=geometry)
    assert exc.value.field == "geometry" and message in exc.value.message


def test_segment_refusals(gw):
    with pytest.raises(PermissionDenied, match="不在您的组织范围内"):
        services.create_segment(by=gw.liaison_b, alliance=gw.alliance, unit=gw.unit_a, name="门前路段", geometry=LINE)
    with pytest.raises(PermissionDenied, match="您的角色不能认领"):
        services.create_segment(by=gw.resident_a, alliance=gw.alliance, unit=gw.unit_a, name="门前路段", geometry=LINE)
    with pytest.raises(DomainError, match="不是测试党建联盟的成员单位"):
        services.create_segment(by=gw.admin, alliance=gw.alliance, unit=gw.outsider, name="门前路段", geometry=LINE)
    with pytest.raises(DomainError, match="5 到 100 米"):
        services.create_segment(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, name="门前路段", geometry=LINE, buffer_m=500)


def test_import_feature_collection_all_or_nothing(gw):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "东段"}, "geometry": LINE},
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[112.003, 37.005], [112.004, 37.005]]}},
    ]}
    segs = services.import_segments(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, data=json.dumps(fc))
    assert [s.name for s in segs] == ["东段", "甲医院路段2"]
    fc["features"].append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [112, 37]}})
    with pytest.raises(DomainError, match="第 3 个要素"):
        services.import_segments(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, data=json.dumps(fc))
    assert gw.unit_a.road_segments.count() == 2


def test_index_sees_changes_made_elsewhere(gw):
    seg = services.create_segment(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, name="甲医院门前", geometry=LINE)
    assert selectors.adopter_at(alliance=gw.alliance, lng=NEAR[0], lat=NEAR[1])[1] == seg
    # Another process deactivates it: the stamp changes, so the cached tree is rebuilt.
    from django.utils import timezone

    type(seg).objects.filter(pk=seg.pk).update(active=False, updated_at=timezone.now())
    assert selectors.adopter_at(alliance=gw.alliance, lng=NEAR[0], lat=NEAR[1]) is None
    geo.invalidate()


def test_submitted_request_on_segment_is_suggested_to_the_adopting_unit(gw):
    """The service loop's dispatch suggestion names the unit keeping the road (门前三包)."""
    from tongxin.grids.models import GridLevel
    from tongxin.grids.services import create_grid
    from tongxin.orders import services as orders

    square = {"type": "Polygon", "coordinates": [[[112.0, 37.0], [112.01, 37.0], [112.01, 37.01], [112.0, 37.01], [112.0, 37.0]]]}
    big = {"type": "Polygon", "coordinates": [[[111.9, 36.9], [112.1, 36.9], [112.1, 37.1], [111.9, 37.1], [111.9, 36.9]]]}
    street = create_grid(by=gw.system, name="测试街道", code="J", level=GridLevel.STREET, organization=gw.street, geometry=big)
    create_grid(by=gw.system, name="甲社区", code="JA", level=GridLevel.COMMUNITY, organization=gw.community_a, parent=street,
                geometry=square)
    services.create_segment(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, name="甲医院门前路段", geometry=LINE)
    req = orders.submit_request(by=gw.resident_a, text="路边垃圾没人清理，气味很大", lng=NEAR[0], lat=NEAR[1])
    assert req.community == gw.community_a
    assert req.suggestion["unit_id"] == gw.unit_a.pk
    assert any("甲医院认领的门前三包路段“甲医院门前路段”" in r for r in req.suggestion["reasons"])
    elsewhere = orders.submit_request(by=gw.resident_a, text="路边垃圾没人清理", lng=FAR[0], lat=FAR[1])
    assert elsewhere.suggestion["unit_id"] != gw.unit_a.pk


def test_oversized_geojson_file_is_refused(gw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("roads.geojson", b'{"type": "FeatureCollection", "features": []}' + b" " * 1_100_000)
    with pytest.raises(DomainError, match="GeoJSON 文件过大") as exc:
        services.import_segments(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, data=big)
    assert exc.value.field == "geometry"
    with pytest.raises(DomainError, match="没有要素"):
        services.import_segments(by=gw.admin, alliance=gw.alliance, unit=gw.unit_a, data=b'{"type": "FeatureCollection", "features": []}')
