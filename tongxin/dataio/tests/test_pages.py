import io

import pytest
from openpyxl import load_workbook

from tongxin.dataio.models import ImportJob
from tongxin.people.models import Person

from .conftest import PEOPLE_HEADERS, person_row, upload, xlsx


@pytest.fixture
def client_a(client, world):
    client.force_login(world.dispatcher_a)
    return client


def test_index_in_chinese_with_templates_and_exports(client_a):
    r = client_a.get("/data/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "导入导出" in body or "导入 / 导出" in body
    assert "上传并检查" in body and "导出人员" in body and "已脱敏" in body


def test_template_downloads_parse_back(client_a):
    for kind, first, sheet in (("people", "姓名", "人员"), ("organizations", "名称", "组织")):
        r = client_a.get(f"/data/templates/{kind}.xlsx")
        assert r.status_code == 200
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames == [sheet, "填写说明"]
        header = [c.value for c in wb[sheet][1]]
        assert header[0] == first
        if kind == "people":
            assert header == PEOPLE_HEADERS
            assert {"手机号", "身份证号", "所属组织", "所在支部", "入党日期", "转正日期", "党员状态", "工作单位", "居住地址"} <= set(header)
        else:
            assert {"名称", "简称", "类型", "上级组织", "统一社会信用代码/组织代码", "原隶属党组织", "地址"} <= set(header)
        notes = [row[0].value for row in wb["填写说明"].iter_rows(min_row=2)]
        assert first in notes


def test_resident_cannot_use_the_page(client, world):
    client.force_login(world.resident_a)
    assert client.get("/data/").status_code == 403


@pytest.mark.tasks
def test_upload_page_flow_with_progress_and_confirm(client_a, world, django_capture_on_commit_callbacks, run_tasks):
    data = xlsx(PEOPLE_HEADERS, [person_row(name="王小明", phone="13900000011", organization="甲社区党委"),
                                 person_row(name="坏手机", phone="123", organization="甲社区党委")])
    with django_capture_on_commit_callbacks(execute=True):
        r = client_a.post("/data/upload/", {"kind": "people", "file": upload(data)})
    run_tasks()
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/data/jobs/{job.pk}/"
    body = client_a.get(r["Location"]).content.decode()
    assert "有错误" in body and "第 3 行" in body and "手机号" in body and "格式不正确" in body
    assert 'hx-trigger="every 1s"' not in body  # finished: no more polling
    assert "确认" not in body  # nothing to confirm

    good = xlsx(PEOPLE_HEADERS, [person_row(name="王小明", phone="13900000011", organization="甲社区党委")])
    with django_capture_on_commit_callbacks(execute=True):
        r = client_a.post("/data/upload/", {"kind": "people", "file": upload(good)})
    run_tasks()
    job = ImportJob.objects.latest("id")
    body = client_a.get(f"/data/jobs/{job.pk}/").content.decode()
    assert "确认：导入 1 行" in body
    with django_capture_on_commit_callbacks(execute=True):
        r = client_a.post(f"/data/jobs/{job.pk}/confirm/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    run_tasks()
    body = client_a.get(f"/data/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "已导入" in body and Person.objects.filter(name="王小明").count() == 1
    index = client_a.get("/data/").content.decode()
    assert "data.xlsx" in index


@pytest.mark.tasks
def test_running_job_polls_every_second(client_a, world):
    job = ImportJob.objects.create(kind="people", created_by=world.dispatcher_a, status="validating", progress_done=50,
                                   progress_total=200, file="imports/x.xlsx")
    body = client_a.get(f"/data/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in body and "25%" in body and "正在读取并检查" in body


def test_upload_refusal_shown_on_the_form(client_a):
    r = client_a.post("/data/upload/", {"kind": "people", "file": upload(b"not a spreadsheet", "x.csv")})
    assert r.status_code == 400
    assert "这不是 Excel .xlsx 文件" in r.content.decode()


def test_other_users_job_is_404(client, world):
    job = ImportJob.objects.create(kind="people", created_by=world.dispatcher_b, file="imports/x.xlsx")
    client.force_login(world.dispatcher_a)
    assert client.get(f"/data/jobs/{job.pk}/").status_code == 404
    assert client.post(f"/data/jobs/{job.pk}/confirm/").status_code == 404


def test_errors_are_paginated(client_a, world):
    errors = [{"row": i + 2, "column": "姓名", "message": "姓名不能为空"} for i in range(250)]
    job = ImportJob.objects.create(kind="people", created_by=world.dispatcher_a, status="invalid", errors=errors, error_count=250,
                                   file="imports/x.xlsx")
    body = client_a.get(f"/data/jobs/{job.pk}/?page=3").content.decode()
    assert "第 202 行" in body and "第 251 行" in body and "第 201 行" not in body
    assert "上一页" in body and "?page=2" in body and "下一页" not in body
