"""Open311 GeoReport v2: an existing client can list services, post a request and read it back."""

from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command

from tongxin.orders.models import IntegrationClient, ServiceRequest


@pytest.fixture
def key(ow, capsys):
    call_command("create_api_key", "--name", "12345市民热线", "--org", str(ow.community_a.pk))
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_create_api_key_prints_the_key_last(ow, key):
    assert key.startswith("tx_")
    client = IntegrationClient.objects.get(name="12345市民热线")
    assert client.organization == ow.community_a and client.user.is_active


def test_create_api_key_without_org_with_one_alliance(ow, capsys):
    call_command("create_api_key", "--name", "城市大脑")
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("tx_")
    assert IntegrationClient.objects.get(name="城市大脑").organization == ow.street


def test_services_json_and_xml(ow, client):
    r = client.get("/open311/v2/services.json")
    assert r.status_code == 200
    codes = [s["service_code"] for s in r.json()]
    assert "sanitation" in codes and r.json()[0]["metadata"] is False
    r = client.get("/open311/v2/services.xml")
    root = ET.fromstring(r.content)
    assert root.tag == "services" and root.find("service/service_code") is not None
    r = client.get("/open311/v2/services/sanitation.json")
    assert r.json() == {"service_code": "sanitation", "attributes": []}
    r = client.get("/open311/v2/services/nope.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404


def test_post_and_read_back(ow, client, key):
    r = client.post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "sanitation", "lat": "37.005", "long": "112.005",
        "description": "垃圾桶满了没人清运，联系电话13800000001", "first_name": "四", "last_name": "李", "phone": "13900000001",
    })
    assert r.status_code == 201, r.content
    rid = r.json()[0]["service_request_id"]
    req = ServiceRequest.objects.get(tracking_number=rid)
    assert req.channel == "open311" and req.category.code == "sanitation" and req.grid == ow.grid_a
    assert req.contact_phone_masked == "139****0001"
    one = client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert one["status"] == "open" and one["service_code"] == "sanitation" and one["lat"] == 37.005
    assert "13800000001" not in str(one) and "13900000001" not in str(one) and "李" not in str(one)
    xml = ET.fromstring(client.get(f"/open311/v2/requests/{rid}.xml").content)
    assert xml.find("request/service_request_id").text == rid
    token = client.get(f"/open311/v2/tokens/{rid}.json").json()[0]
    assert token["service_request_id"] == rid
    listed = client.get("/open311/v2/requests.json?status=open&service_code=sanitation").json()
    assert [x["service_request_id"] for x in listed] == [rid]
    assert client.get("/open311/v2/requests.json?status=closed").json() == []


def test_post_refusals(ow, client, key):
    r = client.post("/open311/v2/requests.json", {"service_code": "sanitation", "lat": "37.005", "long": "112.005"})
    assert r.status_code == 403 and r.json()[0]["code"] == 403
    r = client.post("/open311/v2/requests.xml", {"api_key": key, "service_code": "nope", "lat": "37", "long": "112"})
    assert r.status_code == 404 and ET.fromstring(r.content).find("error/code").text == "404"
    r = client.post("/open311/v2/requests.json", {"api_key": key, "service_code": "sanitation", "description": "x"})
    assert r.status_code == 400 and "位置" in r.json()[0]["description"]
    r = client.get("/open311/v2/services.json?jurisdiction_id=999")
    assert r.status_code == 404
