import pytest

from tongxin.accounts.services import create_api_token
from tongxin.audit.models import Event
from tongxin.grids.models import Grid
from tongxin.people.models import PersonRole

from .conftest import BOWTIE_TEXT, rect


@pytest.fixture
def api(world, client):
    _, key = create_api_token(user=world.dispatcher_a, name="甲社区系统")

    def call(method, url, data=None):
        kw = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        if data is not None:
            kw.update(data=data, content_type="application/json")
        return getattr(client, method)(url, **kw)

    return call


def test_api_requires_authentication(grids, client):
    assert client.get("/api/v1/grids").status_code == 401
    assert client.get("/api/v1/grids", HTTP_AUTHORIZATION="Bearer tx_wrong").status_code == 401


def test_list_filters(grids, api):
    data = api("get", "/api/v1/grids").json()
    assert data["count"] == 5 and {i["code"] for i in data["items"]} == {"A", "A1", "A2", "A1a", "A1b"}
    assert {i["code"] for i in api("get", "/api/v1/grids?level=4").json()["items"]} == {"A1a", "A1b"}
    assert {i["code"] for i in api("get", "/api/v1/grids?q=網格").json()["items"]} == {"A1", "A2", "A1a", "A1b"}
    assert {i["code"] for i in api("get", f"/api/v1/grids?parent={grids.a1.pk}").json()["items"]} == {"A1a", "A1b"}
    item = api("get", "/api/v1/grids?q=A1a").json()["items"][0]
    assert item["level_label"] == "微网格（楼栋）" and item["bbox"] == [112.0, 37.0, 112.1, 37.1]
    assert item["parent"]["code"] == "A1" and item["organization"]["name"] == "甲社区党委"


def test_detail_geojson_and_locate(grids, api):
    d = api("get", f"/api/v1/grids/{grids.a1.pk}").json()
    assert d["geometry"]["type"] == "Polygon"
    assert [c["code"] for c in d["chain"]] == ["ST", "A", "A1"] and d["chain"][0]["visible"] is False
    assert {c["code"] for c in d["children"]} == {"A1a", "A1b"}
    assert len(api("get", "/api/v1/grids/geojson").json()["features"]) == 5
    loc = api("get", "/api/v1/grids/locate?lng=112.05&lat=37.05").json()
    assert loc["grid"]["code"] == "A1a" and [c["code"] for c in loc["chain"]] == ["ST", "A", "A1", "A1a"]
    r = api("get", "/api/v1/grids/locate?lng=112&lat=abc")
    assert r.status_code == 400 and r.json()["field"] == "lat" and "纬度" in r.json()["detail"]


def test_create_and_patch(grids, world, api):
    r = api("post", "/api/v1/grids", {"name": "甲二网格一号楼", "code": "A2a", "level": 4, "parent": grids.a2.pk,
                                      "organization": world.community_a.pk, "geometry": rect(112.1, 37.0, 112.2, 37.1),
                                      "reason": "接口新建"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["code"] == "A2a" and body["bbox"] == [112.1, 37.0, 112.2, 37.1]
    g = Grid.objects.get(code="A2a")
    assert Event.objects.get(verb="grid.created", target_id=str(g.pk)).reason == "接口新建"

    r = api("patch", f"/api/v1/grids/{g.pk}", {"name": "甲二网格东楼", "reason": "更名"})
    assert r.status_code == 200 and r.json()["name"] == "甲二网格东楼"
    r = api("patch", f"/api/v1/grids/{g.pk}", {"geometry": None})
    assert r.status_code == 200 and r.json()["geometry"] is None and r.json()["bbox"] is None


def test_create_errors_are_chinese_with_the_field(grids, world, api):
    base = {"name": "坏网格", "code": "BAD", "level": 4, "parent": grids.a2.pk, "organization": world.community_a.pk}
    r = api("post", "/api/v1/grids", {**base, "geometry": BOWTIE_TEXT})
    assert r.status_code == 400 and r.json()["field"] == "geometry" and "自相交" in r.json()["detail"]
    r = api("post", "/api/v1/grids", {**base, "level": 3})
    assert r.status_code == 400 and r.json()["field"] == "parent"
    r = api("post", "/api/v1/grids", {**base, "geometry": {"type": "Point", "coordinates": [1, 2]}})
    assert r.status_code == 400 and "Point" in r.json()["detail"]
    r = api("patch", f"/api/v1/grids/{grids.a2.pk}", {"code": None})
    assert r.status_code == 400 and r.json()["field"] == "code"
    assert not Grid.objects.filter(code="BAD").exists()


def test_assignments_endpoints(grids, world, api):
    url = f"/api/v1/grids/{grids.a1.pk}/assignments"
    r = api("post", url, {"person": world.person_a.pk, "tag": "grid_worker", "reason": "接口分配"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["person"] == {"id": world.person_a.pk, "name": "张三", "phone_masked": "138****0001"}
    assert body["label"] == "网格员"
    listed = api("get", url).json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert "13800000001" not in str(listed)
    r = api("post", f"{url}/{body['id']}/end", {"reason": "离任"})
    assert r.status_code == 200 and r.json()["until"] is not None
    assert api("get", url).json() == []
    assert len(api("get", f"{url}?include_ended=true").json()) == 1
    r = api("post", f"{url}/{body['id']}/end", {})
    assert r.status_code == 400 and "已经结束" in r.json()["detail"]
    r = api("post", url, {"person": world.person_b.pk, "tag": "grid_worker"})
    assert r.status_code == 400 and r.json()["field"] == "person"
    r = api("post", url, {"person": world.person_a.pk, "tag": "volunteer"})
    assert r.status_code == 400 and r.json()["field"] == "tag"
    assert PersonRole.objects.filter(grid=grids.a1, until__isnull=True).count() == 0
