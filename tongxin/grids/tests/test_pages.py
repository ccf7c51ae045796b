import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tongxin.audit.models import Event
from tongxin.grids.models import Grid

from .conftest import BOWTIE_TEXT, rect, rect_text  # noqa: F401


def _config(response) -> dict:
    html = response.content.decode()
    start = html.index('id="grid-map-config"')
    start = html.index(">", start) + 1
    return json.loads(html[start:html.index("</script>", start)])


def test_map_page_is_chinese_and_has_no_tile_layer_without_a_tile_server(grids, world, client_for, settings):
    settings.MAP_TILE_URL = ""
    r = client_for(world.admin).get(reverse("grids:map"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "网格地图" in html and "未配置地图底图服务" in html
    assert "vendor/leaflet/leaflet.js" in html and "js/gridmap.js" in html and "vendor/leaflet/leaflet.css" in html
    assert 'data-tiles="0"' in html
    cfg = _config(r)
    assert cfg["tileUrl"] == "" and cfg["geojson"] == reverse("grids:geojson") and cfg["locate"] == reverse("grids:locate")
    for level_label in ("街道", "社区", "网格", "微网格（楼栋）"):
        assert level_label in html  # the level filter


def test_map_page_adds_a_tile_layer_when_configured(grids, world, client_for, settings):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© 示例地图"
    r = client_for(world.admin).get(reverse("grids:map"))
    html = r.content.decode()
    assert 'data-tiles="1"' in html and "未配置地图底图服务" not in html
    cfg = _config(r)
    assert cfg["tileUrl"] == "https://tiles.example.org/{z}/{x}/{y}.png" and cfg["attribution"] == "© 示例地图"


def test_map_requires_login(client):
    r = client.get(reverse("grids:map"))
    assert r.status_code == 302


def test_list_search_treats_traditional_as_simplified(grids, world, client_for):
    c = client_for(world.admin)
    r = c.get(reverse("grids:list"), {"q": "網格"})
    html = r.content.decode()
    assert r.status_code == 200
    assert ">甲社区第一网格</a>" in html and ">乙社区第一网格</a>" in html and ">甲一网格二号楼</a>" in html
    assert ">甲社区</a>" not in html  # the community grid's name holds no 网格
    r = c.get(reverse("grids:list"), {"q": "乙社區 網格"})
    assert ">乙社区第一网格</a>" in r.content.decode() and ">甲社区第一网格</a>" not in r.content.decode()


def test_list_level_filter_and_htmx_fragment(grids, world, client_for):
    c = client_for(world.admin)
    r = c.get(reverse("grids:list"), {"level": "4"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<html" not in html
    assert ">甲一网格一号楼</a>" in html and ">甲社区第一网格</a>" not in html
    assert "2 个网格" in html


def test_detail_shows_chain_children_map_and_history_link(grids, world, client_for):
    r = client_for(world.dispatcher_a).get(reverse("grids:detail", args=[grids.a1.pk]))
    html = r.content.decode()
    assert r.status_code == 200
    assert "上级链" in html and "甲社区" in html and "测试街道" in html
    assert "甲一网格一号楼" in html and "下级网格" in html
    assert f'/history/grid/{grids.a1.pk}/' in html
    assert 'id="grid-map"' in html and _config(r)["focus"] == grids.a1.pk
    # The street grid lies above the dispatcher's scope: named, not linked.
    assert reverse("grids:detail", args=[grids.street.pk]) not in html


def test_geojson_and_locate_endpoints(grids, world, client_for):
    c = client_for(world.admin)
    fc = c.get(reverse("grids:geojson")).json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 8
    assert {f["properties"]["code"] for f in c.get(reverse("grids:geojson"), {"level": 4}).json()["features"]} == {"A1a", "A1b"}
    data = c.get(reverse("grids:locate"), {"lng": "112.05", "lat": "37.15"}).json()
    assert data["grid"]["code"] == "A1b" and [x["code"] for x in data["chain"]] == ["ST", "A", "A1", "A1b"]
    r = c.get(reverse("grids:locate"), {"lng": "112.05", "lat": "37.15"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "甲一网格二号楼" in html and "经度 112.050000" in html
    r = c.get(reverse("grids:locate"), {"lng": "113", "lat": "37.15"}, HTTP_HX_REQUEST="true")
    assert "该位置不在您可见的任何网格内" in r.content.decode()
    r = c.get(reverse("grids:locate"), {"lng": "东经", "lat": "37"})
    assert r.status_code == 400 and r.json()["field"] == "lng" and "不是数字" in r.json()["detail"]


def _form(world, grids, **extra):
    data = {"name": "甲二网格一号楼", "code": "A2a", "level": "4", "parent": grids.a2.pk,
            "organization": world.community_a.pk, "geometry": "", "reason": "新建小区"}
    data.update(extra)
    return data


def test_create_with_pasted_geojson(grids, world, client_for):
    c = client_for(world.dispatcher_a)
    r = c.post(reverse("grids:create"), _form(world, grids, geometry=rect_text(112.1, 37.0, 112.2, 37.1)))
    g = Grid.objects.get(code="A2a")
    assert r.status_code == 302 and r["Location"] == reverse("grids:detail", args=[g.pk])
    assert g.parent == grids.a2 and g.max_x == 112.2
    assert Event.objects.get(verb="grid.created", target_id=str(g.pk)).reason == "新建小区"


def test_create_with_uploaded_file(grids, world, client_for):
    c = client_for(world.dispatcher_a)
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": rect(112.1, 37.1, 112.2, 37.2)}
    upload = SimpleUploadedFile("楼栋.geojson", json.dumps(feature).encode("utf-8"), content_type="application/geo+json")
    r = c.post(reverse("grids:create"), {**_form(world, grids), "geometry_file": upload})
    assert r.status_code == 302
    assert Grid.objects.get(code="A2a").min_y == 37.1


def test_create_errors_are_chinese_and_on_the_field(grids, world, client_for):
    c = client_for(world.dispatcher_a)
    r = c.post(reverse("grids:create"), _form(world, grids, geometry=BOWTIE_TEXT))
    html = r.content.decode()
    assert r.status_code == 400 and 'data-testid="error-geometry"' in html and "自相交" in html
    r = c.post(reverse("grids:create"), _form(world, grids, level="3"))
    html = r.content.decode()
    assert 'data-testid="error-parent"' in html and "网格级网格的上级应为社区级" in html
    bad = SimpleUploadedFile("x.geojson", b'{"type": "Point", "coordinates": [112.1, 37.1]}')
    r = c.post(reverse("grids:create"), {**_form(world, grids), "geometry_file": bad})
    html = r.content.decode()
    assert 'data-testid="error-geometry_file"' in html and "收到的是 Point" in html
    r = c.post(reverse("grids:create"), {**_form(world, grids), "geometry_file": SimpleUploadedFile("x.txt", b"{}")})
    assert "请上传 .geojson 或 .json 文件" in r.content.decode()
    assert not Grid.objects.filter(code="A2a").exists()


def test_create_prefills_from_parent(grids, world, client_for):
    r = client_for(world.dispatcher_a).get(reverse("grids:create"), {"parent": grids.a2.pk})
    html = r.content.decode()
    assert r.status_code == 200 and "新建网格" in html
    assert f'<option value="{grids.a2.pk}" selected>' in html


def test_edit_keeps_boundary_unless_asked_and_saves_changes(grids, world, client_for):
    c = client_for(world.dispatcher_a)
    data = {"name": "甲社区第二网格（新）", "code": "A2", "level": "3", "parent": grids.com_a.pk,
            "organization": world.community_a.pk, "geometry": "", "reason": "改名"}
    r = c.post(reverse("grids:edit", args=[grids.a2.pk]), data)
    assert r.status_code == 302
    g = Grid.objects.get(pk=grids.a2.pk)
    assert g.name == "甲社区第二网格（新）" and g.geometry is not None
    r = c.post(reverse("grids:edit", args=[grids.a2.pk]), {**data, "clear_geometry": "1"})
    assert Grid.objects.get(pk=grids.a2.pk).geometry is None


def test_resident_may_view_but_not_create_or_edit(grids, world, client_for):
    c = client_for(world.resident_a)
    assert c.get(reverse("grids:detail", args=[grids.a1.pk])).status_code == 200
    assert c.get(reverse("grids:create")).status_code == 403
    assert c.get(reverse("grids:edit", args=[grids.a1.pk])).status_code == 403
    assert "新建网格" not in c.get(reverse("grids:map")).content.decode()


@pytest.mark.parametrize("name", ["grids:map", "grids:list"])
def test_pages_fit_a_phone(grids, world, client_for, name):
    html = client_for(world.admin).get(reverse(name)).content.decode()
    assert 'name="viewport"' in html
    if name == "grids:list":
        assert "table-responsive" in html
