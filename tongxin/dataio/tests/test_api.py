import io

import pytest
from openpyxl import load_workbook

from tongxin.accounts.services import create_api_token
from tongxin.people.models import Person

from .conftest import PEOPLE_HEADERS, person_row, upload, xlsx


def _auth(user):
    _token, key = create_api_token(user=user, name="集成测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.tasks
def test_api_import_flow_with_token(client, world, django_capture_on_commit_callbacks, run_tasks):
    auth = _auth(world.dispatcher_a)
    data = xlsx(PEOPLE_HEADERS, [person_row(name="王小明", phone="13900000011", organization="甲社区党委")])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/v1/data/imports", {"kind": "people", "file": upload(data)}, **auth)
    assert r.status_code == 201, r.content
    run_tasks()
    job_id = r.json()["id"]
    r = client.get(f"/api/v1/data/imports/{job_id}", **auth)
    assert r.json()["status"] == "validated" and r.json()["valid_rows"] == 1 and r.json()["progress_percent"] == 100
    for _ in range(2):  # confirming twice imports once
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(f"/api/v1/data/imports/{job_id}/confirm", **auth)
        assert r.status_code == 200
        run_tasks()
    r = client.get(f"/api/v1/data/imports/{job_id}", **auth)
    assert r.json()["status"] == "done" and r.json()["imported_count"] == 1
    assert Person.objects.filter(name="王小明").count() == 1
    # another dispatcher cannot see or confirm the job
    other = _auth(world.dispatcher_b)
    assert client.get(f"/api/v1/data/imports/{job_id}", **other).status_code == 404
    assert client.post(f"/api/v1/data/imports/{job_id}/confirm", **other).status_code == 404


@pytest.mark.tasks
def test_api_errors_in_chinese_with_row_and_column(client, world, django_capture_on_commit_callbacks, run_tasks):
    auth = _auth(world.dispatcher_a)
    data = xlsx(PEOPLE_HEADERS, [person_row(name="越权", organization="乙社区党委")])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/v1/data/imports", {"kind": "people", "file": upload(data)}, **auth)
    run_tasks()
    body = client.get(f"/api/v1/data/imports/{r.json()['id']}", **auth).json()
    assert body["status"] == "invalid"
    assert body["errors"] == [{"row": 2, "column": "所属组织", "message": "组织“乙社区党委”不在您的权限范围内"}]
    r = client.post(f"/api/v1/data/imports/{body['id']}/confirm", **auth)
    assert r.status_code == 400 and "文件有错误" in r.json()["detail"]


def test_api_refuses_non_xlsx(client, world):
    r = client.post("/api/v1/data/imports", {"kind": "people", "file": upload(b"hello", "a.csv")}, **_auth(world.dispatcher_a))
    assert r.status_code == 400 and "xlsx" in r.json()["detail"] and r.json()["field"] == "file"


def test_api_template_and_scoped_export(client, world):
    auth = _auth(world.dispatcher_a)
    r = client.get("/api/v1/data/templates/organizations", **auth)
    assert r.status_code == 200
    assert load_workbook(io.BytesIO(r.content)).active["A1"].value == "名称"
    r = client.get("/api/v1/data/exports/people", **auth)
    assert r.status_code == 200
    names = [row[1].value for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=2)]
    assert names == ["张三"]
    assert client.get("/api/v1/data/exports/people").status_code == 401
    resident = _auth(world.liaison_a)  # liaison: may export the unit's view
    assert client.get("/api/v1/data/exports/organizations", **resident).status_code == 200
