import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongxin.core.errors import DomainError
from tongxin.grids import selectors


def test_point_inside_micro_grid_is_located_to_it(grids):
    assert selectors.locate(112.05, 37.05) == grids.a1a
    assert selectors.locate(112.05, 37.15) == grids.a1b


def test_point_in_a_grid_without_micro_grids_is_located_to_the_grid(grids):
    assert selectors.locate(112.15, 37.1) == grids.a2


def test_point_in_a_community_without_grids_is_located_to_the_community(grids):
    assert selectors.locate(112.35, 37.1) == grids.com_b


def test_point_outside_every_grid_is_none(grids):
    assert selectors.locate(113.0, 37.1) is None
    assert selectors.locate(112.05, 36.99) is None


def test_boundary_counts_as_inside_and_shared_edges_go_to_the_smaller_code(grids):
    # Outer edge of A1a (also the street's edge): still A1a.
    assert selectors.locate(112.0, 37.05) == grids.a1a
    # The edge A1a/A1b is shared: "A1a" < "A1b", every time.
    assert selectors.locate(112.05, 37.1) == grids.a1a


def test_locate_for_returns_the_chain_street_first(grids, world):
    grid, chain = selectors.locate_for(world.admin, 112.05, 37.15)
    assert grid == grids.a1b
    assert [c["code"] for c in chain] == ["ST", "A", "A1", "A1b"]
    assert all(c["visible"] for c in chain)


def test_locate_for_is_scoped(grids, world):
    # Dispatcher B sees nothing of A: the point in A's micro-grid falls in no grid of theirs.
    assert selectors.locate_for(world.dispatcher_b, 112.05, 37.05) == (None, [])
    grid, chain = selectors.locate_for(world.dispatcher_b, 112.25, 37.1)
    assert grid == grids.b1
    # The street grid lies above B's scope: named in the chain, but not openable.
    assert [(c["code"], c["visible"]) for c in chain] == [("ST", False), ("B", True), ("B1", True)]


@pytest.mark.parametrize("lng, lat, field, fragment", [
    ("", "37", "lng", "请提供经度"),
    ("abc", "37", "lng", "经度“abc”不是数字"),
    ("112", "95", "lat", "纬度应在 -90 到 90 之间"),
    ("200", "37", "lng", "经度应在 -180 到 180 之间"),
    ("nan", "37", "lng", "经度应在"),
    ("112", None, "lat", "请提供纬度"),
])
def test_parse_point_errors_are_chinese_and_name_the_field(lng, lat, field, fragment):
    with pytest.raises(DomainError) as exc:
        selectors.parse_point(lng, lat)
    assert exc.value.field == field
    assert fragment in exc.value.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fx=st.floats(min_value=0.001, max_value=0.999, allow_nan=False),
    fy=st.floats(min_value=0.001, max_value=0.999, allow_nan=False),
)
def test_random_points_inside_a_rectangle_grid_are_located_to_it(grids, fx, fy):
    # A2 has no micro-grids, so any point strictly inside its rectangle belongs to it.
    lng = 112.1 + 0.1 * fx
    lat = 37.0 + 0.2 * fy
    assert selectors.locate(lng, lat) == grids.a2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fx=st.floats(min_value=0.001, max_value=0.999), fy=st.floats(min_value=0.001, max_value=0.999))
def test_random_points_in_a_split_grid_land_in_the_right_micro_grid(grids, fx, fy):
    lng, lat = 112.0 + 0.1 * fx, 37.0 + 0.2 * fy
    expected = grids.a1a if lat < 37.1 else grids.a1b
    if abs(lat - 37.1) > 1e-9:
        assert selectors.locate(lng, lat) == expected
