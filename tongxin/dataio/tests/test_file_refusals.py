"""Whole-file refusals: each names what is wrong (columns, cell range, cell) in Chinese."""

import pytest

from tongxin.dataio.models import ImportStatus
from tongxin.people.models import Person

from .conftest import PEOPLE_HEADERS, person_row, xlsx

pytestmark = pytest.mark.tasks

ROW = person_row(name="王小明", organization="甲社区党委")


def test_wrong_and_missing_columns_are_named(world, start_job):
    headers = [h for h in PEOPLE_HEADERS if h != "所属组织"] + ["微信号"]
    job = start_job(world.dispatcher_a, "people", xlsx(headers, [["王小明"]]))
    assert job.status == ImportStatus.INVALID
    assert "缺少必填列 “所属组织”" in job.message and "无法识别的列 “微信号”" in job.message
    assert job.errors == [{"row": 0, "column": "", "message": job.message}]


def test_merged_cells_are_named(world, start_job):
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, [ROW, ROW], merge="E2:E3"))
    assert job.status == ImportStatus.INVALID
    assert "合并单元格（E2:E3）" in job.message


def test_formulas_are_named(world, start_job):
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, [ROW], formula="C2"))
    assert job.status == ImportStatus.INVALID
    assert "单元格 C2 含有公式" in job.message


def test_text_starting_with_equals_sign_is_not_a_formula(world, start_job):
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx(PEOPLE_HEADERS, [ROW])))
    cell = wb.active["P2"]  # 备注
    cell.value = "=不是公式"
    cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    job = start_job(world.dispatcher_a, "people", out.getvalue())
    assert job.status == ImportStatus.VALIDATED, job.message


def test_too_many_rows(world, start_job, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [person_row(name=f"人{i}", organization="甲社区党委") for i in range(4)]
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows))
    assert job.status == ImportStatus.INVALID
    assert "超过 3 行数据的上限" in job.message
    assert not Person.objects.filter(name="人0").exists()


def test_exactly_the_limit_is_accepted(world, start_job, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [person_row(name=f"人{i}", organization="甲社区党委") for i in range(3)]
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows))
    assert job.status == ImportStatus.VALIDATED


def test_empty_file(world, start_job):
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, []))
    assert job.status == ImportStatus.INVALID and "没有数据行" in job.message


def test_not_an_xlsx_is_refused_at_upload(world):
    from tongxin.dataio import services
    from tongxin.dataio.workbook import FileRefused

    from .conftest import upload

    with pytest.raises(FileRefused, match="这不是 Excel .xlsx 文件"):
        services.create_job(by=world.dispatcher_a, kind="people", upload=upload("姓名,手机号\n王,1".encode(), "people.csv"))


def test_a_zip_that_is_not_a_workbook(world, start_job):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    job = start_job(world.dispatcher_a, "people", buf.getvalue())
    assert job.status == ImportStatus.INVALID and "不是 Excel .xlsx 文件" in job.message


def test_too_big_is_refused_at_upload(world, settings):
    from tongxin.dataio import services
    from tongxin.dataio.workbook import FileRefused

    from .conftest import upload

    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(FileRefused, match="超过上限"):
        services.create_job(by=world.dispatcher_a, kind="people", upload=upload(xlsx(PEOPLE_HEADERS, [ROW])))


def test_id_number_stored_as_number_by_excel(world, start_job):
    rows = [person_row(name="王小明", organization="甲社区党委", id_number=110105194912310046)]
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows))
    assert job.errors[0]["column"] == "身份证号" and "存成了数字" in job.errors[0]["message"]
