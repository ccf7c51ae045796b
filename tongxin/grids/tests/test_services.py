import pytest

from tongxin.audit.models import Event
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.grids import services
from tongxin.grids.models import Grid, GridLevel

from .conftest import rect, rect_text

BOWTIE = {"type": "Polygon", "coordinates": [[[112.0, 37.0], [112.1, 37.1], [112.1, 37.0], [112.0, 37.1], [112.0, 37.0]]]}


# --- geometry validation -----------------------------------------------------------------------

@pytest.mark.parametrize("raw, fragment", [
    ("{not json", "不是有效的 GeoJSON"),
    (BOWTIE, "自相交"),
    ({"type": "Point", "coordinates": [112.0, 37.0]}, "收到的是 Point"),
    ({"type": "LineString", "coordinates": [[112.0, 37.0], [112.1, 37.1]]}, "收到的是 LineString"),
    ({"type": "Polygon", "coordinates": [[[112.0, 37.0], [112.1, 37.0], [112.0, 37.0]]]}, "至少需要 4 个坐标点"),
    ({"type": "Polygon", "coordinates": [[["a", 37.0], [112.1, 37.0], [112.1, 37.1], ["a", 37.0]]]}, "坐标格式不正确"),
    (rect(37.0, 112.0, 37.1, 112.1), "经度在前、纬度在后"),
    ({"type": "FeatureCollection", "features": []}, "收到 0 个要素"),
    ([1, 2, 3], "收到的是 list"),
])
def test_clean_geometry_refuses_bad_input_in_chinese_on_the_geometry_field(raw, fragment):
    with pytest.raises(DomainError) as exc:
        services.clean_geometry(raw)
    assert exc.value.field == "geometry"
    assert fragment in exc.value.message


def test_self_intersection_names_where():
    with pytest.raises(DomainError) as exc:
        services.clean_geometry(BOWTIE)
    assert "经度 112.050000" in exc.value.message and "纬度 37.050000" in exc.value.message


def test_clean_geometry_accepts_polygon_feature_collection_text_and_empty():
    poly = rect(112.0, 37.0, 112.1, 37.1)
    assert services.clean_geometry(poly)["type"] == "Polygon"
    assert services.clean_geometry({"type": "Feature", "properties": {}, "geometry": poly})["type"] == "Polygon"
    assert services.clean_geometry({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": poly}]})["type"] == "Polygon"
    assert services.clean_geometry(rect_text(112.0, 37.0, 112.1, 37.1))["coordinates"][0][0] == [112.0, 37.0]
    multi = {"type": "MultiPolygon", "coordinates": [poly["coordinates"], rect(112.2, 37.0, 112.3, 37.1)["coordinates"]]}
    assert services.clean_geometry(multi)["type"] == "MultiPolygon"
    assert services.clean_geometry("") is None and services.clean_geometry(None) is None


# --- creating ------------------------------------------------------------------------------------

def test_create_stores_bbox_search_text_and_event(grids, world):
    g = Grid.objects.get(pk=grids.a1a.pk)
    assert (g.min_x, g.min_y, g.max_x, g.max_y) == (112.0, 37.0, 112.1, 37.1)
    assert "甲一网格一号楼" in g.search_text
    ev = Event.objects.get(verb="grid.created", target_id=str(g.pk))
    assert ev.actor == world.system and ev.organization == world.community_a
    assert ev.payload == {"code": "A1a", "level": 4, "parent": "A1"}


@pytest.mark.parametrize("level, parent_attr, fragment", [
    (GridLevel.STREET, "street", "街道级网格不能有上级网格"),
    (GridLevel.GRID, None, "请选择上级网格"),
    (GridLevel.GRID, "street", "上级网格“测试街道”是街道级"),
    (GridLevel.MICRO, "com_a", "微网格（楼栋）级网格的上级应为网格级"),
])
def test_level_must_sit_one_below_its_parent(grids, world, level, parent_attr, fragment):
    parent = getattr(grids, parent_attr) if parent_attr else None
    with pytest.raises(DomainError) as exc:
        services.create_grid(by=world.admin, name="新网格", code="NEW", level=level, organization=world.community_a, parent=parent)
    assert exc.value.field == "parent"
    assert fragment in exc.value.message
    assert not Grid.objects.filter(code="NEW").exists()


def test_invalid_level_and_code_are_named(grids, world):
    with pytest.raises(DomainError) as exc:
        services.create_grid(by=world.admin, name="x", code="X9", level=7, organization=world.street)
    assert exc.value.field == "level"
    with pytest.raises(DomainError) as exc:
        services.create_grid(by=world.admin, name="x", code="a1", level=3, organization=world.community_a, parent=grids.com_a)
    assert exc.value.field == "code" and "已存在" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.create_grid(by=world.admin, name="x", code="有 空格", level=3, organization=world.community_a, parent=grids.com_a)
    assert exc.value.field == "code"
    with pytest.raises(DomainError) as exc:
        services.create_grid(by=world.admin, name="  ", code="X9", level=3, organization=world.community_a, parent=grids.com_a)
    assert exc.value.field == "name"


def test_street_level_grid_belongs_to_a_street_committee(world):
    with pytest.raises(DomainError) as exc:
        services.create_grid(by=world.dispatcher_a, name="假街道", code="FAKE", level=GridLevel.STREET, organization=world.community_a)
    assert exc.value.field == "organization" and "街道党工委" in exc.value.message


def test_organisation_must_lie_under_the_parents(grids, world):
    with pytest.raises(DomainError) as exc:
        services.create_grid(by=world.admin, name="错位网格", code="X1", level=3, organization=world.community_b, parent=grids.com_a)
    assert exc.value.field == "organization" and "甲社区党委" in exc.value.message


def test_polygon_must_lie_within_parent_and_not_overlap_siblings(grids, world):
    with pytest.raises(DomainError) as exc:
        services.create_grid(by=world.admin, name="越界", code="X2", level=4, organization=world.community_a, parent=grids.a2,
                             geometry=rect(112.15, 37.0, 112.25, 37.1))
    assert exc.value.field == "geometry" and "超出上级网格“甲社区第二网格”" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.create_grid(by=world.admin, name="重叠", code="X3", level=4, organization=world.community_a, parent=grids.a1,
                             geometry=rect(112.0, 37.05, 112.1, 37.15))
    assert exc.value.field == "geometry" and "重叠" in exc.value.message
    # Touching edges is fine.
    services.create_grid(by=world.admin, name="相邻", code="X4", level=4, organization=world.community_a, parent=grids.a2,
                         geometry=rect(112.1, 37.0, 112.2, 37.1))


def test_dispatcher_cannot_create_in_another_community(grids, world):
    with pytest.raises(PermissionDenied):
        services.create_grid(by=world.dispatcher_b, name="越权", code="X5", level=3, organization=world.community_a, parent=grids.com_a)
    with pytest.raises(PermissionDenied):
        # Organisation of B, but under A's community grid which B cannot see.
        services.create_grid(by=world.dispatcher_b, name="越权", code="X6", level=3, organization=world.community_b, parent=grids.com_a)
    assert not Grid.objects.filter(code__in=["X5", "X6"]).exists()


# --- updating ------------------------------------------------------------------------------------

def test_update_geometry_moves_bbox_and_records_event(grids, world):
    services.update_grid(grid=grids.a2, by=world.dispatcher_a, geometry=rect(112.1, 37.0, 112.15, 37.1), name="甲二网格", reason="重新测绘")
    g = Grid.objects.get(pk=grids.a2.pk)
    assert (g.min_x, g.min_y, g.max_x, g.max_y) == (112.1, 37.0, 112.15, 37.1)
    assert g.name == "甲二网格" and "甲二网格" in g.search_text
    ev = Event.objects.filter(verb="grid.updated", target_id=str(g.pk)).get()
    assert ev.reason == "重新测绘" and ev.actor == world.dispatcher_a
    assert set(ev.payload["changes"]) == {"name", "geometry"}


def test_update_without_changes_records_nothing(grids, world):
    services.update_grid(grid=grids.a2, by=world.admin, name="甲社区第二网格")
    assert not Event.objects.filter(verb="grid.updated").exists()


def test_update_refuses_level_change_with_children_and_self_parent(grids, world):
    with pytest.raises(DomainError) as exc:
        services.update_grid(grid=grids.a1, by=world.admin, level=GridLevel.MICRO, parent=grids.a2)
    assert exc.value.field == "level"
    with pytest.raises(DomainError) as exc:
        services.update_grid(grid=grids.a2, by=world.admin, parent=grids.a2)
    assert exc.value.field == "parent"


def test_update_moves_micro_grid_to_another_parent_checking_placement(grids, world):
    with pytest.raises(DomainError) as exc:
        services.update_grid(grid=grids.a1a, by=world.admin, parent=grids.a2)
    assert exc.value.field == "geometry"
    services.update_grid(grid=grids.a1a, by=world.admin, parent=grids.a2, geometry=rect(112.1, 37.0, 112.2, 37.1))
    assert Grid.objects.get(pk=grids.a1a.pk).parent == grids.a2


def test_update_code_must_stay_unique(grids, world):
    with pytest.raises(DomainError) as exc:
        services.update_grid(grid=grids.a2, by=world.admin, code="A1")
    assert exc.value.field == "code"


def test_dispatcher_b_cannot_update_a(grids, world):
    with pytest.raises(PermissionDenied):
        services.update_grid(grid=grids.a2, by=world.dispatcher_b, name="改名")
