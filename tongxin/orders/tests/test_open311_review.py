"""Open311 review findings: the contact name stays out of public reads, an address alone finds its
community within the key's scope, other methods get 405 and unknown formats an Open311 error."""

from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command

from tongxin.orders.models import ServiceRequest
from tongxin.orders.open311 import contact_name
from tongxin.orders.services import name_variants, redact
from tongxin.orgs.models import OrgKind


def _key(capsys, name, org):
    call_command("create_api_key", "--name", name, "--org", str(org.pk))
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.fixture
def community_key(ow, capsys):
    return _key(capsys, "12345市民热线", ow.community_a)


@pytest.fixture
def street_key(ow, capsys):
    return _key(capsys, "城市大脑", ow.street)


def _post(client, key, **data):
    return client.post("/open311/v2/requests.json", {"api_key": key, "service_code": "sanitation", **data})


# --- 1. the contact name in public reads -------------------------------------------------------------

def test_contact_name_joined_as_written():
    assert contact_name("三", "张") == "张三"
    assert contact_name("John", "Smith") == "John Smith"
    assert contact_name("", "张") == "张" and contact_name("John", "") == "John"
    assert set(name_variants("张三")) == {"张三", "张 三"}  # not swapped: 三张 is usually "three sheets"
    assert set(name_variants("张 三")) == {"张三", "张 三"}  # rows stored before the fix
    assert redact("拍了三张照片，联系张三", names=["张三"]) == "拍了三张照片，联系张*"
    assert set(name_variants("John Smith")) == {"John Smith", "JohnSmith", "Smith John", "SmithJohn"}
    assert name_variants("") == []


@pytest.mark.parametrize("written", ["张三", "张 三"])
def test_contact_name_not_in_public_reads(ow, client, community_key, written):
    r = _post(client, community_key, lat="37.005", long="112.005", first_name="三", last_name="张",
              phone="13900000001", description=f"楼道垃圾堆了一周，联系人{written}13800138000")
    assert r.status_code == 201, r.content
    rid = r.json()[0]["service_request_id"]
    assert ServiceRequest.objects.get(tracking_number=rid).contact_name == "张三"
    one = client.get(f"/open311/v2/requests/{rid}.json")
    assert one.status_code == 200
    listed = client.get("/open311/v2/requests.json")
    assert [x["service_request_id"] for x in listed.json()] == [rid]
    for body in (one.content.decode(), listed.content.decode(), client.get(f"/open311/v2/requests/{rid}.xml").content.decode()):
        assert written not in body and "13800138000" not in body and "13900000001" not in body
        assert "楼道垃圾堆了一周" in body


def test_latin_contact_name_not_in_public_reads(ow, client, community_key):
    r = _post(client, community_key, lat="37.005", long="112.005", first_name="John", last_name="Smith",
              phone="13900000001", description="Overflowing bins, ask for Smith John")
    assert r.status_code == 201, r.content
    rid = r.json()[0]["service_request_id"]
    assert ServiceRequest.objects.get(tracking_number=rid).contact_name == "John Smith"
    body = client.get(f"/open311/v2/requests/{rid}.json").content.decode()
    assert "Smith John" not in body and "Overflowing bins" in body


# --- 2. an address without coordinates ------------------------------------------------------------------

def test_address_names_one_community_of_the_street(ow, client, street_key):
    from tongxin.orgs import services as orgs

    nhf = orgs.create_organization(by=ow.system, parent=ow.street, name="宁化府社区党委", kind=OrgKind.COMMUNITY_COMMITTEE)
    r = _post(client, street_key, address_string="宁化府小区3号楼", description="楼下垃圾没人清运")
    assert r.status_code == 201, r.content
    req = ServiceRequest.objects.get(tracking_number=r.json()[0]["service_request_id"])
    assert req.community == nhf and req.address == "宁化府小区3号楼" and req.lat is None
    # The full name with 社区 works as well.
    r = _post(client, street_key, address_string="乙社区5号楼", description="楼道灯坏了", phone="13900000002")
    assert r.status_code == 201, r.content
    assert ServiceRequest.objects.get(tracking_number=r.json()[0]["service_request_id"]).community == ow.community_b


def test_address_names_a_grid_of_the_street(ow, client, street_key):
    from tongxin.grids.models import Grid, GridLevel
    from tongxin.grids.services import create_grid

    area = create_grid(by=ow.system, name="乙片区", code="JB", level=GridLevel.COMMUNITY, organization=ow.community_b,
                       parent=Grid.objects.get(code="J"))
    create_grid(by=ow.system, name="锦绣苑网格", code="JB01", level=GridLevel.GRID, organization=ow.community_b, parent=area)
    r = _post(client, street_key, address_string="锦绣苑7号楼东侧", description="路灯不亮")
    assert r.status_code == 400  # the grid is named 锦绣苑网格, the address only says 锦绣苑
    r = _post(client, street_key, address_string="锦绣苑网格7号楼东侧", description="路灯不亮")
    assert r.status_code == 201, r.content
    assert ServiceRequest.objects.get(tracking_number=r.json()[0]["service_request_id"]).community == ow.community_b


def test_address_without_a_community_answers_what_to_send(ow, client, street_key):
    r = _post(client, street_key, address_string="宁化府小区3号楼", description="楼下垃圾没人清运")
    assert r.status_code == 400
    assert r.json() == [{"code": 400, "description": "无法确定所在社区：请提供 lat 和 long 坐标，或在 address_string 中写明社区名称"}]
    r = client.post("/open311/v2/requests.xml", {"api_key": street_key, "service_code": "sanitation",
                                                  "address_string": "甲社区和乙社区交界处", "description": "路面塌陷"})
    assert r.status_code == 400
    text = ET.fromstring(r.content).find("error/description").text
    assert "甲社区党委" in text and "乙社区党委" in text and "lat" in text and "address_string" in text
    assert not ServiceRequest.objects.exists()


def test_longer_community_name_wins(ow, client, street_key):
    from tongxin.orgs import services as orgs

    orgs.create_organization(by=ow.system, parent=ow.street, name="宁化府社区党委", kind=OrgKind.COMMUNITY_COMMITTEE)
    new = orgs.create_organization(by=ow.system, parent=ow.street, name="新宁化府社区居委会", kind=OrgKind.COMMUNITY_COMMITTEE)
    r = _post(client, street_key, address_string="新宁化府2号院", description="下水道堵了")
    assert r.status_code == 201, r.content
    assert ServiceRequest.objects.get(tracking_number=r.json()[0]["service_request_id"]).community == new


def test_community_key_and_coordinates_unchanged(ow, client, community_key, street_key):
    r = _post(client, community_key, address_string="某小区3号楼", description="垃圾桶满了", phone="13900000001")
    assert r.status_code == 201, r.content
    assert ServiceRequest.objects.get(tracking_number=r.json()[0]["service_request_id"]).community == ow.community_a
    # Coordinates decide over the address.
    r = _post(client, street_key, lat="37.005", long="112.005", address_string="乙社区5号楼", description="垃圾桶满了",
              phone="13900000001")
    assert r.status_code == 201, r.content
    req = ServiceRequest.objects.get(tracking_number=r.json()[0]["service_request_id"])
    assert req.community == ow.community_a and req.grid == ow.grid_a


def test_coordinates_outside_the_grids(ow, client, street_key):
    r = _post(client, street_key, lat="30.0", long="120.0", description="垃圾桶满了", phone="13900000001")
    assert r.status_code == 400 and "lat 和 long 不在本辖区的网格内" in r.json()[0]["description"]
    r = _post(client, street_key, lat="30.0", long="120.0", address_string="乙社区5号楼", description="垃圾桶满了",
              phone="13900000001")
    assert r.status_code == 201, r.content
    req = ServiceRequest.objects.get(tracking_number=r.json()[0]["service_request_id"])
    assert req.community == ow.community_b and req.grid is None and req.lat == 30.0


# --- 3. methods and formats --------------------------------------------------------------------------------

def test_other_methods_are_405(ow, client, community_key):
    r = _post(client, community_key, lat="37.005", long="112.005", description="垃圾桶满了", phone="13900000001")
    rid = r.json()[0]["service_request_id"]
    r = client.put(f"/open311/v2/requests/{rid}.json", "status=closed", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 405 and r["Allow"] == "GET, HEAD"
    assert r.json()[0]["code"] == 405 and "PUT" in r.json()[0]["description"]
    r = client.delete(f"/open311/v2/requests/{rid}.xml")
    assert r.status_code == 405 and ET.fromstring(r.content).find("error/code").text == "405"
    r = client.post("/open311/v2/services.json")
    assert r.status_code == 405
    r = client.put("/open311/v2/requests.json")
    assert r.status_code == 405 and r["Allow"] == "GET, POST, HEAD"
    assert client.get(f"/open311/v2/requests/{rid}.json").status_code == 200
    assert client.head("/open311/v2/services.json").status_code == 200


@pytest.mark.parametrize("path", ["services.csv", "services/sanitation.html", "requests.txt", "discovery.yaml"])
def test_unsupported_format(ow, client, path):
    r = client.get(f"/open311/v2/{path}")
    assert r.status_code == 400 and r["Content-Type"].startswith("application/json")
    [err] = r.json()
    assert err["code"] == 400 and "json" in err["description"] and "xml" in err["description"]


def test_unknown_address(ow, client):
    r = client.get("/open311/v2/nothing/here.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404 and "discovery" in r.json()[0]["description"]
    r = client.get("/open311/v2/services")
    assert r.status_code == 404 and r.json()[0]["code"] == 404
    assert client.get("/open311/v2/").status_code == 200
