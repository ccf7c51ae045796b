"""Grid workers and the five heads come in from Excel with their grid: by the grid's name within
the person's community, or by its code; a missing, unknown, ambiguous or out-of-scope grid is a
row error in Chinese and nothing is written."""

import pytest

from tongxin.dataio import services
from tongxin.dataio.models import ImportStatus
from tongxin.grids.models import GridLevel
from tongxin.grids.services import create_grid
from tongxin.people.models import Person, PersonRole

from .conftest import PEOPLE_HEADERS, person_row, xlsx

pytestmark = pytest.mark.tasks


@pytest.fixture
def grids(world):
    street = create_grid(by=world.system, name="测试街道", code="J", level=GridLevel.STREET, organization=world.street)
    com_a = create_grid(by=world.system, name="甲社区", code="JA", level=GridLevel.COMMUNITY, organization=world.community_a,
                        parent=street)
    com_b = create_grid(by=world.system, name="乙社区", code="JB", level=GridLevel.COMMUNITY, organization=world.community_b,
                        parent=street)
    return {
        "a1": create_grid(by=world.system, name="第一网格", code="JA-01", level=GridLevel.GRID, organization=world.community_a, parent=com_a),
        "a2": create_grid(by=world.system, name="第二网格", code="JA-02", level=GridLevel.GRID, organization=world.community_a, parent=com_a),
        "b1": create_grid(by=world.system, name="第一网格", code="JB-01", level=GridLevel.GRID, organization=world.community_b, parent=com_b),
    }


def test_grid_workers_and_heads_are_imported_with_their_grid(world, grids, start_job, confirm_job):
    rows = [
        person_row(name="网格员甲", phone="13900000101", organization="甲社区党委", community="甲社区党委", tags="网格员、居民", grid="第一网格"),
        person_row(name="楼长乙", phone="13900000102", organization="甲社区党委", tags="楼长", grid="JA-02"),  # code; community follows
        person_row(name="居民丙", phone="13900000103", organization="甲社区党委", community="甲社区党委", tags="居民", grid="第二网格"),
    ]
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows))
    assert job.status == ImportStatus.VALIDATED, job.errors
    job = confirm_job(job, world.dispatcher_a)
    assert job.status == ImportStatus.DONE, job.message
    worker = Person.objects.get(name="网格员甲")
    assert worker.grid == grids["a1"]  # "第一网格" of 甲社区, not the one of 乙社区
    roles = {r.tag: r.grid for r in PersonRole.objects.filter(person=worker)}
    assert roles == {"grid_worker": grids["a1"], "resident": None}
    head = Person.objects.get(name="楼长乙")
    assert head.grid == grids["a2"] and head.community == world.community_a
    assert PersonRole.objects.get(person=head).grid == grids["a2"]
    assert Person.objects.get(name="居民丙").grid == grids["a2"]


def test_orm_fallback_writes_the_grid_too(world, grids, start_job, confirm_job, monkeypatch):
    monkeypatch.setattr("tongxin.dataio.importers.fast_path", lambda: False)
    rows = [person_row(name="网格长丁", phone="13900000104", organization="甲社区党委", community="甲社区党委", tags="网格长", grid="第一网格")]
    job = confirm_job(start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows)), world.dispatcher_a)
    assert job.status == ImportStatus.DONE, job.message
    assert PersonRole.objects.get(person__name="网格长丁").grid == grids["a1"]


def test_grid_problems_are_row_errors(world, grids, start_job):
    rows = [
        person_row(name="无网格", phone="13900000111", organization="甲社区党委", community="甲社区党委", tags="网格员、路长"),  # row 2
        person_row(name="错网格", phone="13900000112", organization="甲社区党委", community="甲社区党委", tags="居民", grid="第九网格"),
        person_row(name="别社区", phone="13900000113", organization="甲社区党委", community="甲社区党委", tags="店长", grid="JB-01"),
        person_row(name="看不见", phone="13900000114", organization="甲社区党委", tags="巷长", grid="第一网格"),  # row 5
    ]
    before = Person.objects.count()
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows))
    assert job.status == ImportStatus.INVALID
    got = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert got[(2, "所在网格")] == "“网格员、路长”需要填写所在网格（网格名称或网格编码）"
    assert got[(3, "所在网格")] == "所在社区找不到网格“第九网格”：请核对网格名称或改填网格编码"
    # 乙社区's grid is outside a 甲 dispatcher's scope, so its code is as unknown as a wrong one
    assert got[(4, "所在网格")].startswith("所在社区找不到网格“JB-01”")
    # Without a community, "第一网格" names only 甲's grid for this dispatcher: it is found
    assert (5, "所在网格") not in got
    assert Person.objects.count() == before


def test_same_name_in_two_communities_needs_the_code_when_no_community_is_given(world, grids, start_job):
    rows = [person_row(name="歧义", phone="13900000121", organization="甲社区党委", tags="网格员", grid="第一网格")]
    job = start_job(world.admin, "people", xlsx(PEOPLE_HEADERS, rows))  # the admin sees both communities' grids
    assert job.status == ImportStatus.INVALID
    assert job.errors[0]["message"] == "有 2 个网格名为“第一网格”，请改填网格编码以区分"


def test_a_grid_deleted_after_the_dry_run_fails_the_import(world, grids, start_job, confirm_job):
    rows = [person_row(name="后删", phone="13900000131", organization="甲社区党委", community="甲社区党委", tags="网格员", grid="JA-02")]
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows))
    assert job.status == ImportStatus.VALIDATED, job.errors
    grids["a2"].delete()
    job = confirm_job(job, world.dispatcher_a)
    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["column"] == "所在网格" and "已被删除" in job.errors[0]["message"]
    assert not Person.objects.filter(name="后删").exists()


def test_the_export_carries_the_grid_back(world, grids, start_job, confirm_job):
    rows = [person_row(name="往返", phone="13900000141", organization="甲社区党委", community="甲社区党委", tags="网格员", grid="第一网格")]
    confirm_job(start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows)), world.dispatcher_a)
    from io import BytesIO

    from openpyxl import load_workbook

    data, _count = services.export_people(by=world.dispatcher_a)
    ws = load_workbook(BytesIO(data)).active
    header = [c.value for c in ws[1]]
    line = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[header.index("姓名")] == "往返")
    assert line[header.index("所在网格")] == "第一网格" and line[header.index("角色标签")] == "网格员"
