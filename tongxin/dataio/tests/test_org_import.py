import pytest

from tongxin.dataio.models import ImportStatus
from tongxin.orgs.models import Organization

from .conftest import ORG_HEADERS, org_row, xlsx

pytestmark = pytest.mark.tasks


def test_organisations_import_parent_first_with_paths_and_history(world, start_job, confirm_job):
    rows = [
        org_row(name="甲社区第二党支部", kind="党支部", parent="甲物业党总支"),  # parent is a later row
        org_row(name="甲物业党总支", kind="党总支", parent="甲社区党委", code="P-001"),
        org_row(name="甲小学", short_name="甲小", kind="学校", parent="甲社区党委", code="91330700MA2E000001",
                original_affiliation="区教育局党委", address="学府路 1 号"),
    ]
    job = start_job(world.dispatcher_a, "organizations", xlsx(ORG_HEADERS, rows))
    assert job.status == ImportStatus.VALIDATED, job.errors
    job = confirm_job(job, world.dispatcher_a)
    assert job.status == ImportStatus.DONE, job.message
    general = Organization.objects.get(name="甲物业党总支")
    branch = Organization.objects.get(name="甲社区第二党支部")
    school = Organization.objects.get(name="甲小学")
    assert general.parent == world.community_a and general.path == f"{world.community_a.path}{general.pk}/"
    assert branch.parent == general and branch.path == f"{general.path}{branch.pk}/" and branch.depth == general.depth + 1
    assert school.kind == "school" and school.original_affiliation == "区教育局党委" and school.code == "91330700MA2E000001"
    assert "甲小" in school.search_text
    assert school.history.get().history_user == world.dispatcher_a


def test_organisation_errors_name_row_and_column(world, start_job):
    rows = [
        org_row(name="环一", kind="党支部", parent="环二"),  # row 2
        org_row(name="环二", kind="党支部", parent="环一"),  # row 3
        org_row(name="乙的单位", kind="医院", parent="乙社区党委"),  # row 4: outside scope
        org_row(name="怪东西", kind="飞船", parent="甲社区党委"),  # row 5
        org_row(name="甲社区第一党支部", kind="党支部", parent="甲社区党委"),  # row 6: already exists
        org_row(name="同名", kind="党支部", parent="甲社区党委"),  # row 7
        org_row(name="同名", kind="党支部", parent="甲社区党委"),  # row 8
        org_row(name="无上级", kind="党支部"),  # row 9
        org_row(name="自己", kind="党支部", parent="自己"),  # row 10
    ]
    before = Organization.objects.count()
    job = start_job(world.dispatcher_a, "organizations", xlsx(ORG_HEADERS, rows))
    assert job.status == ImportStatus.INVALID
    assert Organization.objects.count() == before
    got = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert "成环" in got[(2, "上级组织")] and "第 2 行 → 第 3 行 → 第 2 行" in got[(2, "上级组织")]
    assert "成环" in got[(3, "上级组织")]
    assert got[(4, "上级组织")] == "上级组织“乙社区党委”不在您的权限范围内"
    assert got[(5, "类型")].startswith("组织类型“飞船”无效")
    assert got[(6, "名称")] == "“甲社区党委”下已有名为“甲社区第一党支部”的组织"
    assert "与第 7 行重复" in got[(8, "名称")]
    assert (7, "名称") not in got
    assert "上级组织不能为空" in got[(9, "上级组织")]
    assert got[(10, "上级组织")] == "上级组织不能是它自己"


def test_orm_fallback_path_writes_the_same(world, start_job, confirm_job, monkeypatch):
    """Backends without the executemany fast path go through bulk_create; the result is the same."""
    from tongxin.people.models import Person

    from .conftest import PEOPLE_HEADERS, person_row

    monkeypatch.setattr("tongxin.dataio.importers.fast_path", lambda: False)
    rows = [org_row(name="乙级支部", kind="党支部", parent="甲级总支"), org_row(name="甲级总支", kind="党总支", parent="甲社区党委")]
    job = confirm_job(start_job(world.dispatcher_a, "organizations", xlsx(ORG_HEADERS, rows)), world.dispatcher_a)
    assert job.status == ImportStatus.DONE, job.message
    general, branch = Organization.objects.get(name="甲级总支"), Organization.objects.get(name="乙级支部")
    assert branch.path == f"{general.path}{branch.pk}/" and general.parent == world.community_a
    people = [person_row(name="王小明", phone="13900000011", organization="甲社区党委", tags="党员", branch="乙级支部")]
    job = confirm_job(start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, people)), world.dispatcher_a)
    assert job.status == ImportStatus.DONE, job.message
    wang = Person.objects.get(name="王小明")
    assert wang.party_profile.branch == branch and wang.history.count() == 1
