import datetime as dt

import pytest

from tongxin.audit.models import Event
from tongxin.dataio.models import ImportStatus
from tongxin.people.models import PartyMemberProfile, Person, PersonRole

from .conftest import PEOPLE_HEADERS, person_row, xlsx

pytestmark = pytest.mark.tasks


def good_rows():
    return [
        person_row(name="王小明", sex="男", phone="13900000011", organization="甲社区党委", community="甲社区党委", tags="居民、志愿者",
                   address="幸福路 88 号 3 幢 201 室"),
        person_row(name="陈红", phone="13900000012", id_number="110105194912310046", organization="甲医院",
                   branch="甲社区第一党支部", joined_on=dt.date(2001, 7, 1), full_member_on="2002/7/1", status="正式党员", work_unit="甲医院"),
        person_row(name="林芳", phone=13900000013, organization="甲社区党委", tags="党员", branch="甲社区第一党支部", status="预备党员"),
    ]


def test_dry_run_lists_every_error_with_row_and_column_and_writes_nothing(world, start_job):
    before = Person.objects.count()
    rows = [
        *good_rows(),
        person_row(name="坏手机", phone="12345", organization="甲社区党委"),  # row 5
        person_row(name="坏身份证", id_number="110105194912310021", organization="甲社区党委"),  # row 6
        person_row(name="无此组织", organization="丙社区党委"),  # row 7
        person_row(name="越权", organization="乙社区党委"),  # row 8
        person_row(name="王小明", phone="13900000011", organization="甲社区党委"),  # row 9: same as row 2
        person_row(name="张三", phone="13800000001", organization="甲社区党委"),  # row 10: already registered
        person_row(name="", sex="未知", organization="甲社区党委", tags="党员、飞行员"),  # row 11
    ]
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows))
    assert job.status == ImportStatus.INVALID
    assert Person.objects.count() == before
    by_row = {}
    for e in job.errors:
        by_row.setdefault(e["row"], []).append((e["column"], e["message"]))
    assert set(by_row) == {5, 6, 7, 8, 9, 10, 11}
    assert by_row[5][0][0] == "手机号" and "手机号码" in by_row[5][0][1]
    assert by_row[6] == [("身份证号", "身份证号校验位不正确，请核对后重新输入")]
    assert by_row[7][0][0] == "所属组织" and "找不到组织“丙社区党委”" in by_row[7][0][1]
    assert by_row[8][0] == ("所属组织", "组织“乙社区党委”不在您的权限范围内")
    assert by_row[9][0][0] == "手机号" and "与第 2 行的姓名和手机号重复" in by_row[9][0][1]
    assert by_row[10][0][0] == "手机号" and "已登记的“张三”（甲社区党委）重复" in by_row[10][0][1]
    cols = [c for c, _ in by_row[11]]
    assert "姓名" in cols and "性别" in cols and "角色标签" in cols and "所在支部" in cols
    assert job.valid_rows == 3 and job.total_rows == 10 and job.error_count == len(job.errors)
    assert "7 行有错误" in job.message


def test_confirm_imports_everything_with_history_and_one_event(world, start_job, confirm_job):
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, good_rows()))
    assert job.status == ImportStatus.VALIDATED, job.errors
    assert Person.objects.filter(name="王小明").count() == 0  # the dry run wrote nothing
    job = confirm_job(job, world.dispatcher_a)
    assert job.status == ImportStatus.DONE, job.message
    assert job.imported_count == 3
    wang = Person.objects.get(name="王小明")
    assert wang.phone_masked == "139****0011" and wang.community == world.community_a and wang.sex == "M"
    assert wang.address_masked.endswith("****")
    assert sorted(wang.roles.values_list("tag", flat=True)) == ["resident", "volunteer"]
    chen = Person.objects.get(name="陈红")
    assert chen.sex == "F" and str(chen.birth_date) == "1949-12-31"
    profile = PartyMemberProfile.objects.get(person=chen)
    assert profile.branch == world.branch_a and profile.in_service and profile.work_unit == world.unit_a
    assert str(profile.full_member_on) == "2002-07-01" and profile.joined_on == dt.date(2001, 7, 1)  # a real Excel date cell
    assert PersonRole.objects.get(person=chen).tag == "party_member"
    assert PartyMemberProfile.objects.get(person__name="林芳").status == "probationary"
    # history: one "created" row per person, by the importing user, with the job as the reason
    record = wang.history.get()
    assert record.history_type == "+" and record.history_user == world.dispatcher_a and f"#{job.pk}" in record.history_change_reason
    event = Event.objects.get(verb="dataio.imported_people")
    assert event.actor == world.dispatcher_a and event.payload["count"] == 3
    ids = sorted(Person.objects.filter(name__in=["王小明", "陈红", "林芳"]).values_list("pk", flat=True))
    assert [i for lo, hi in event.payload["ids"] for i in range(lo, hi + 1)] == ids


def test_double_confirm_imports_once(world, start_job, confirm_job):
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, good_rows()))
    stale = type(job).objects.get(pk=job.pk)  # a second request that loaded the job before the first confirm
    confirm_job(job, world.dispatcher_a)
    confirm_job(stale, world.dispatcher_a)
    confirm_job(job, world.dispatcher_a)
    assert Person.objects.filter(name="王小明").count() == 1
    assert Event.objects.filter(verb="dataio.imported_people").count() == 1
    assert Event.objects.filter(verb="dataio.confirmed").count() == 1


def test_failure_during_import_leaves_nothing(world, start_job, confirm_job, monkeypatch):
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, good_rows()))
    before = (Person.objects.count(), PersonRole.objects.count(), Person.history.count())

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # fails after every table has been written: the transaction must take all of it back
    monkeypatch.setattr("tongxin.dataio.importers.job_event", boom)
    job = confirm_job(job, world.dispatcher_a)
    assert job.status == ImportStatus.FAILED
    assert "未写入任何数据" in job.message
    assert (Person.objects.count(), PersonRole.objects.count(), Person.history.count()) == before
    assert not Event.objects.filter(verb="dataio.imported_people").exists()


def test_rows_changed_in_database_after_dry_run_fail_the_whole_import(world, start_job, confirm_job):
    from tongxin.people import services as people

    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, good_rows()))
    people.create_person(by=world.admin, organization=world.community_a, name="王小明", phone="13900000011")
    job = confirm_job(job, world.dispatcher_a)
    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["row"] == 2 and job.errors[0]["column"] == "手机号"
    assert Person.objects.filter(name="陈红").count() == 0


def test_duplicate_id_number_in_file(world, start_job):
    rows = [person_row(name="甲", id_number="110105194912310046", organization="甲社区党委"),
            person_row(name="乙", id_number="110105194912310046", organization="甲社区党委")]
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows))
    assert job.errors == [{"row": 3, "column": "身份证号", "message": "与第 2 行的身份证号重复：同一个人只登记一次"}]


def test_duplicate_of_someone_the_user_cannot_see_is_named_vaguely(world, start_job):
    rows = [person_row(name="李四", phone="13800000002", organization="甲社区党委")]
    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, rows))
    assert job.status == ImportStatus.INVALID
    assert "一名其他组织的人员" in job.errors[0]["message"] and "乙社区" not in job.errors[0]["message"]


def test_user_without_import_permission_is_refused(world):
    from tongxin.core.errors import PermissionDenied
    from tongxin.dataio import services

    from .conftest import upload

    with pytest.raises(PermissionDenied):
        services.create_job(by=world.liaison_a, kind="people", upload=upload(xlsx(PEOPLE_HEADERS, good_rows())))


def test_no_plain_personal_data_is_kept_on_disk(world, start_job, confirm_job):
    from tongxin.dataio.services import _rows_name

    job = start_job(world.dispatcher_a, "people", xlsx(PEOPLE_HEADERS, good_rows()))
    storage = job.file.storage
    assert not storage.exists(job.file.name)  # the uploaded workbook is deleted once read
    prepared = storage.open(_rows_name(job)).read().decode()
    assert "13900000011" not in prepared and "110105194912310046" not in prepared and "139****0011" in prepared
    job = confirm_job(job, world.dispatcher_a)
    assert job.status == ImportStatus.DONE and not storage.exists(_rows_name(job))
