"""A dispatcher of community B sees nothing of community A's grids: pages, GeoJSON, locate, API."""

import pytest
from django.urls import reverse

from tongxin.accounts.services import create_api_token


@pytest.fixture
def api_b(world, client):
    _, key = create_api_token(user=world.dispatcher_b, name="乙社区系统")
    return lambda method, url, **kw: getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {key}", **kw)


@pytest.mark.parametrize("name", ["grids:detail", "grids:edit", "grids:people_options"])
def test_pages_of_another_communitys_grid_are_404(grids, world, client_for, name):
    c = client_for(world.dispatcher_b)
    assert c.get(reverse(name, args=[grids.a1.pk])).status_code == 404
    assert c.get(reverse("grids:detail", args=[grids.b1.pk])).status_code == 200


def test_posts_on_another_communitys_grid_are_404(grids, world, client_for):
    c = client_for(world.dispatcher_b)
    r = c.post(reverse("grids:assign", args=[grids.a1.pk]), {"person": world.person_b.pk, "tag": "grid_worker"})
    assert r.status_code == 404
    r = c.post(reverse("grids:edit", args=[grids.a1.pk]), {"name": "改名"})
    assert r.status_code == 404


def test_history_of_another_communitys_grid_is_404(grids, world, client_for):
    assert client_for(world.dispatcher_b).get(f"/history/grid/{grids.a1.pk}/").status_code == 404


def test_list_geojson_and_locate_exclude_another_community(grids, world, client_for):
    c = client_for(world.dispatcher_b)
    html = c.get(reverse("grids:list")).content.decode()
    assert "乙社区第一网格" in html and "甲社区" not in html
    # The street grid above B's scope may be named as a parent, never linked.
    assert reverse("grids:detail", args=[grids.street.pk]) not in html
    codes = {f["properties"]["code"] for f in c.get(reverse("grids:geojson")).json()["features"]}
    assert codes == {"B", "B1"}
    assert c.get(reverse("grids:geojson"), {"within": grids.a1.pk}).status_code == 404
    assert c.get(reverse("grids:locate"), {"lng": "112.05", "lat": "37.05"}).json()["grid"] is None
    map_html = c.get(reverse("grids:map")).content.decode()
    assert "您可查看 2 个网格" in map_html


def test_parent_choices_in_the_form_exclude_another_community(grids, world, client_for):
    html = client_for(world.dispatcher_b).get(reverse("grids:create")).content.decode()
    assert "乙社区（B）" in html and "甲社区（A）" not in html and "甲社区党委" not in html


def test_api_of_another_communitys_grid_is_404(grids, world, api_b):
    assert api_b("get", f"/api/v1/grids/{grids.a1.pk}").status_code == 404
    assert api_b("get", f"/api/v1/grids/{grids.a1.pk}/assignments").status_code == 404
    r = api_b("patch", f"/api/v1/grids/{grids.a1.pk}", data={"name": "改名"}, content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = api_b("post", f"/api/v1/grids/{grids.a1.pk}/assignments", data={"person": world.person_b.pk, "tag": "grid_worker"},
              content_type="application/json")
    assert r.status_code == 404
    items = api_b("get", "/api/v1/grids").json()["items"]
    assert {i["code"] for i in items} == {"B", "B1"}
    fc = api_b("get", "/api/v1/grids/geojson").json()
    assert {f["properties"]["code"] for f in fc["features"]} == {"B", "B1"}
    assert api_b("get", "/api/v1/grids/locate?lng=112.05&lat=37.05").json()["grid"] is None


def test_api_create_under_another_communitys_grid_is_refused(grids, world, api_b):
    r = api_b("post", "/api/v1/grids", data={"name": "越权", "code": "X1", "level": 3, "parent": grids.com_a.pk,
                                             "organization": world.community_b.pk}, content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "parent"
    r = api_b("post", "/api/v1/grids", data={"name": "越权", "code": "X1", "level": 3, "parent": grids.com_b.pk,
                                             "organization": world.community_a.pk}, content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "organization"
