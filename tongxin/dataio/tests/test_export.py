import io

import pytest
from openpyxl import load_workbook

from tongxin.audit.models import Event


def _sheet(content):
    ws = load_workbook(io.BytesIO(content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    return rows[0], rows[1:]


@pytest.fixture
def client_a(client, world):
    client.force_login(world.dispatcher_a)
    return client


def test_people_export_is_scoped_and_masked_and_recorded(client_a, world):
    r = client_a.post("/data/exports/people.xlsx")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    header, rows = _sheet(r.content)
    assert "手机号（已脱敏）" in header and "身份证号（已脱敏）" in header
    names = [row[1] for row in rows]
    assert names == ["张三"]  # 李四 lives in community B
    text = repr(rows)
    assert "138****0001" in text and "13800000001" not in text
    assert "1101**********002X" in text and "11010519491231002X" not in text
    event = Event.objects.get(verb="dataio.exported_people")
    assert event.actor == world.dispatcher_a and event.payload["count"] == 1


def test_organisation_export_excludes_other_community(client_a, world):
    header, rows = _sheet(client_a.post("/data/exports/organizations.xlsx").content)
    names = {row[1] for row in rows}
    assert names == {"甲社区党委", "甲社区第一党支部", "甲医院"}
    assert header[1:5] == ["名称", "简称", "类型", "上级组织"]
    assert Event.objects.filter(verb="dataio.exported_organizations", actor=world.dispatcher_a).count() == 1


def test_admin_exports_everything(client, world):
    client.force_login(world.admin)
    _header, rows = _sheet(client.post("/data/exports/people.xlsx").content)
    assert {row[1] for row in rows} == {"张三", "李四"}


def test_export_needs_permission(client, world):
    client.force_login(world.resident_a)
    assert client.post("/data/exports/people.xlsx").status_code == 403
    assert not Event.objects.filter(verb__startswith="dataio.exported").exists()


def test_export_is_post_only(client_a):
    assert client_a.get("/data/exports/people.xlsx").status_code == 405
