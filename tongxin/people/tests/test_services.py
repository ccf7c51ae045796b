"""Writes on people: validation in Chinese naming the field, encryption at rest, duplicates,
roles, party profiles, and the event/history rows each write leaves."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from tongxin.audit.models import Event, SensitiveRead
from tongxin.core import crypto
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.people import services
from tongxin.people.models import MemberStatus, PartyMemberProfile, Person, PersonRole, RoleTag

from .conftest import make_id


def create(world, **kw):
    data = {"by": world.dispatcher_a, "organization": world.community_a, "community": world.community_a, "name": "王五"}
    data.update(kw)
    return services.create_person(**data)


# --- validation --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"name": "  "}, "name", "姓名不能为空"),
        ({"name": "王" * 41}, "name", "姓名不能超过 40 个字"),
        ({"phone": "12345"}, "phone", "手机号码“12345”格式不正确"),
        ({"phone": "12800000000"}, "phone", "11 位大陆手机号"),
        ({"id_number": "110105198001011"}, "id_number", "身份证号应为 18 位"),
        ({"id_number": make_id()[:17] + ("0" if make_id()[17] != "0" else "1")}, "id_number", "身份证号校验位不正确"),
        ({"id_number": "110105198013011230"}, "id_number", "出生日期无效"),
        ({"sex": "X"}, "sex", "性别只能是"),
        ({"id_number": make_id(seq="123"), "sex": "F"}, "sex", "性别与身份证号不一致"),
        ({"id_number": make_id(), "birth_date": dt.date(1981, 1, 1)}, "birth_date", "出生日期与身份证号不一致"),
    ],
)
def test_bad_input_is_refused_in_chinese_naming_the_field(world, data, field, text):
    before = Person.objects.count()
    with pytest.raises(DomainError) as exc:
        create(world, **data)
    assert exc.value.field == field
    assert text in exc.value.message
    assert Person.objects.count() == before  # nothing half-done
    assert not Event.objects.filter(verb="person.created", target_label=data.get("name", "王五")).exists()


def test_sex_and_birth_date_come_from_the_id_number(world):
    person = create(world, id_number=make_id(born="19800101", seq="123").lower())
    assert person.sex == "M"  # odd 17th digit
    assert person.birth_date == dt.date(1980, 1, 1)
    assert person.id_number_masked == make_id()[:4] + "**********" + make_id()[-4:]


def test_phone_formats_are_normalised(world):
    person = create(world, phone="+86 139-1234-5678")
    assert crypto.decrypt(person.phone_enc) == "13912345678"
    assert person.phone_masked == "139****5678"


# --- encryption at rest and look-up by hash ------------------------------------------------

def test_personal_values_are_encrypted_at_rest(world):
    number = make_id(seq="456")
    person = create(world, phone="13912345678", id_number=number, address="太原市迎泽区柳巷南路88号3单元")
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM people_person WHERE id = %s", [person.pk])
        row = " ".join(str(v) for v in cur.fetchone())
    assert "13912345678" not in row
    assert number not in row
    assert "柳巷南路88号3单元" not in row
    person.refresh_from_db()
    assert crypto.decrypt(person.phone_enc) == "13912345678"
    assert crypto.decrypt(person.id_number_enc) == number
    assert person.address_masked == "太原市迎泽区****"
    # The history table keeps the same encrypted columns, never the plain value.
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM people_historicalperson WHERE id = %s", [person.pk])
        history = " ".join(str(v) for r in cur.fetchall() for v in r)
    assert "13912345678" not in history and number not in history


def test_lookup_by_hash_finds_the_person_without_decrypting(world):
    assert Person.objects.get(phone_hash=crypto.lookup_hash("13800000001")) == world.person_a
    assert Person.objects.get(id_number_hash=crypto.lookup_hash("11010519491231002X")) == world.person_a
    assert not Person.objects.filter(phone_hash=crypto.lookup_hash("13800000009")).exists()


# --- duplicates ----------------------------------------------------------------------------

def test_same_id_number_is_a_duplicate_and_names_the_record_when_visible(world):
    with pytest.raises(DomainError) as exc:
        create(world, name="张三丰", id_number="11010519491231002x")
    assert exc.value.code == "duplicate"
    assert exc.value.field == "id_number"
    assert "身份证号与已登记的“张三”（甲社区党委）重复" in exc.value.message
    assert exc.value.existing == world.person_a


def test_duplicate_of_a_record_outside_the_scope_does_not_reveal_it(world):
    with pytest.raises(DomainError) as exc:
        services.create_person(by=world.dispatcher_b, organization=world.community_b, name="某人", id_number="11010519491231002X")
    assert "一名其他组织的人员" in exc.value.message
    assert "张三" not in exc.value.message
    assert exc.value.existing is None


def test_same_name_and_phone_is_a_duplicate_but_a_shared_phone_is_not(world):
    with pytest.raises(DomainError) as exc:
        create(world, name="张三", phone="138 0000 0001")
    assert exc.value.field == "phone"
    assert "姓名和手机号与已登记的“张三”" in exc.value.message
    family = create(world, name="张小三", phone="13800000001")  # a family may share one phone
    assert family.phone_hash == world.person_a.phone_hash


def test_renaming_into_a_name_and_phone_duplicate_is_refused(world):
    other = create(world, name="张小三", phone="13800000001")
    with pytest.raises(DomainError) as exc:
        services.update_person(person=other, by=world.dispatcher_a, name="张三")
    assert exc.value.code == "duplicate"
    other.refresh_from_db()
    assert other.name == "张小三"


def test_archived_records_do_not_block_a_new_registration_by_name_and_phone(world):
    services.archive_person(person=world.person_a, by=world.dispatcher_a, reason="迁出")
    with pytest.raises(DomainError):  # the ID number stays unique even when archived
        create(world, name="张三", id_number="11010519491231002X")
    assert create(world, name="张三", phone="13800000001").pk != world.person_a.pk


# --- scope ----------------------------------------------------------------------------------

def test_a_dispatcher_cannot_write_in_another_community(world):
    with pytest.raises(PermissionDenied):
        services.create_person(by=world.dispatcher_b, organization=world.community_a, name="越权")
    with pytest.raises(PermissionDenied):
        services.update_person(person=world.person_a, by=world.dispatcher_b, name="改名")
    with pytest.raises(PermissionDenied):
        services.archive_person(person=world.person_a, by=world.dispatcher_b, reason="越权")
    with pytest.raises(PermissionDenied):
        services.create_person(by=world.resident_a, organization=world.community_a, name="居民自建")
    world.person_a.refresh_from_db()
    assert world.person_a.name == "张三" and world.person_a.archived_at is None


# --- events and history ----------------------------------------------------------------------

def test_create_and_update_record_events_with_reason_and_hide_personal_values(world):
    person = create(world, phone="13912345678", reason="入户登记", tags=(RoleTag.RESIDENT,))
    ev = Event.objects.get(verb="person.created", target_id=str(person.pk))
    assert ev.actor == world.dispatcher_a and ev.reason == "入户登记" and ev.organization == world.community_a
    assert ev.payload == {"tags": ["resident"]}

    services.update_person(person=person, by=world.dispatcher_a, name="王五一", phone="13912345679", reason="更正姓名")
    ev = Event.objects.get(verb="person.updated", target_id=str(person.pk))
    assert ev.reason == "更正姓名"
    assert ev.payload["changes"]["name"] == ["王五", "王五一"]
    assert ev.payload["changes"]["phone"] == ["***", "***"]
    assert "13912345679" not in str(ev.payload)
    last = person.history.first()
    assert last.history_change_reason == "更正姓名"
    assert last.name == "王五一"


def test_an_update_that_changes_nothing_records_no_event(world):
    services.update_person(person=world.person_a, by=world.dispatcher_a, name="张三", phone="13800000001")
    assert not Event.objects.filter(verb="person.updated").exists()


def test_archive_needs_a_reason_and_ends_current_roles(world):
    role = services.add_role(person=world.person_a, tag=RoleTag.VOLUNTEER, by=world.dispatcher_a)
    with pytest.raises(DomainError) as exc:
        services.archive_person(person=world.person_a, by=world.dispatcher_a, reason=" ")
    assert exc.value.field == "reason" and "归档需要填写原因" in exc.value.message
    services.archive_person(person=world.person_a, by=world.dispatcher_a, reason="已迁出本社区")
    world.person_a.refresh_from_db()
    role.refresh_from_db()
    assert world.person_a.archived_at is not None
    assert role.until == timezone.localdate()
    assert Event.objects.get(verb="person.archived").reason == "已迁出本社区"


# --- reveal ----------------------------------------------------------------------------------

def test_reveal_returns_the_value_and_logs_each_read(world):
    value = services.reveal(person=world.person_a, field="phone", by=world.dispatcher_a, purpose="联系本人")
    assert value == "13800000001"
    services.reveal(person=world.person_a, field="id_number", by=world.dispatcher_a)
    reads = list(SensitiveRead.objects.order_by("id").values_list("actor__username", "field", "purpose", "channel"))
    assert reads == [("t-disp-a", "phone", "联系本人", "web"), ("t-disp-a", "id_number", "", "web")]


def test_reveal_is_refused_without_the_permission_and_then_nothing_is_logged(world):
    unit_person = services.create_person(by=world.system, organization=world.unit_a, name="医生甲", phone="13700000001")
    with pytest.raises(PermissionDenied):
        services.reveal(person=unit_person, field="phone", by=world.liaison_a)  # liaisons see, but may not reveal
    with pytest.raises(DomainError):
        services.reveal(person=world.person_a, field="phone_hash", by=world.admin)
    assert not SensitiveRead.objects.exists()


def test_a_resident_may_reveal_their_own_values_only(world):
    assert services.reveal(person=world.person_a, field="id_number", by=world.resident_a) == "11010519491231002X"
    with pytest.raises(PermissionDenied):
        services.reveal(person=world.person_b, field="phone", by=world.resident_a)
    assert SensitiveRead.objects.count() == 1


# --- roles -------------------------------------------------------------------------------------

def test_roles_are_tags_on_one_record(world, grid_a):
    services.add_role(person=world.person_a, tag=RoleTag.VOLUNTEER, by=world.dispatcher_a, reason="报名")
    services.add_role(person=world.person_a, tag=RoleTag.GRID_WORKER, by=world.dispatcher_a, grid=grid_a)
    assert world.person_a.tags == ["grid_worker", "volunteer"]
    assert Person.objects.filter(name="张三").count() == 1
    ev = Event.objects.filter(verb="person.role_added").order_by("id").first()
    assert ev.reason == "报名" and ev.payload["tag"] == "volunteer"


def test_role_refusals(world, grid_a):
    with pytest.raises(DomainError) as exc:
        services.add_role(person=world.person_a, tag=RoleTag.BUILDING_HEAD, by=world.dispatcher_a)
    assert exc.value.field == "grid" and "网格" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.add_role(person=world.person_a, tag="king", by=world.dispatcher_a)
    assert exc.value.field == "tag"
    services.add_role(person=world.person_a, tag=RoleTag.VOLUNTEER, by=world.dispatcher_a)
    with pytest.raises(DomainError) as exc:
        services.add_role(person=world.person_a, tag=RoleTag.VOLUNTEER, by=world.dispatcher_a)
    assert "此人已有该角色" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.add_role(person=world.person_a, tag=RoleTag.LIAISON, by=world.dispatcher_b)
    with pytest.raises(PermissionDenied):  # a grid of community A is out of B's reach
        services.add_role(person=world.person_b, tag=RoleTag.GRID_WORKER, by=world.dispatcher_b, grid=grid_a)


def test_grid_tags_on_creation_need_a_grid(world, grid_a):
    with pytest.raises(DomainError) as exc:
        create(world, tags=(RoleTag.GRID_WORKER,))
    assert exc.value.field == "grid"
    person = create(world, grid=grid_a, tags=(RoleTag.GRID_WORKER, RoleTag.RESIDENT))
    assert PersonRole.objects.get(person=person, tag=RoleTag.GRID_WORKER).grid == grid_a
    assert PersonRole.objects.get(person=person, tag=RoleTag.RESIDENT).grid is None


def test_end_role_keeps_it_with_an_until_date(world):
    role = services.add_role(person=world.person_a, tag=RoleTag.VOLUNTEER, by=world.dispatcher_a, since=dt.date(2024, 3, 1))
    services.end_role(role=role, by=world.dispatcher_a, reason="退出服务队")
    role.refresh_from_db()
    assert role.since == dt.date(2024, 3, 1) and role.until == timezone.localdate()
    assert world.person_a.tags == []
    assert Event.objects.get(verb="person.role_ended").reason == "退出服务队"
    with pytest.raises(DomainError) as exc:
        services.end_role(role=role, by=world.dispatcher_a)
    assert "已经结束" in exc.value.message
    # Ended, the same tag can be given again.
    services.add_role(person=world.person_a, tag=RoleTag.VOLUNTEER, by=world.dispatcher_a)
    assert PersonRole.objects.filter(person=world.person_a, tag=RoleTag.VOLUNTEER).count() == 2


# --- party member profile ------------------------------------------------------------------------

def profile(world, **kw):
    data = {"person": world.person_a, "by": world.dispatcher_a, "branch": world.branch_a, "status": MemberStatus.FULL,
            "joined_on": dt.date(2010, 7, 1), "full_member_on": dt.date(2011, 7, 1)}
    data.update(kw)
    return services.set_party_profile(**data)


def test_a_party_profile_adds_the_party_member_tag_and_an_event(world):
    p = profile(world, home_community=world.community_a, is_central_household=True, reason="组织关系转入")
    assert p.branch == world.branch_a and p.is_central_household
    assert PersonRole.objects.get(person=world.person_a, tag=RoleTag.PARTY_MEMBER, until__isnull=True).organization == world.branch_a
    ev = Event.objects.get(verb="person.party_profile_set")
    assert ev.reason == "组织关系转入" and "branch" in ev.payload["changes"]
    profile(world, status=MemberStatus.MOBILE)
    assert PersonRole.objects.filter(person=world.person_a, tag=RoleTag.PARTY_MEMBER).count() == 1
    assert PartyMemberProfile.objects.get(person=world.person_a).status == "mobile"


@pytest.mark.parametrize(
    ("kw", "field", "text"),
    [
        ({"full_member_on": dt.date(2009, 1, 1)}, "full_member_on", "转正日期不能早于入党日期"),
        ({"joined_on": dt.date.today() + dt.timedelta(days=3), "full_member_on": None}, "joined_on", "入党日期不能晚于今天"),
        ({"status": MemberStatus.PROBATIONARY}, "full_member_on", "预备党员不应有转正日期"),
        ({"status": "expelled"}, "status", "党员状态“expelled”无效"),
        ({"in_service": True}, "work_unit", "在职党员需要填写工作单位"),
        ({"home_community": "branch_a"}, "home_community", "报到社区必须是社区党委"),
        ({"branch": "unit_a"}, "branch", "不是党组织"),
        ({"branch": None}, "branch", "请选择所在党支部"),
    ],
)
def test_party_profile_date_and_field_rules(world, kw, field, text):
    kw = {k: getattr(world, v) if isinstance(v, str) and hasattr(world, v) else v for k, v in kw.items()}
    with pytest.raises(DomainError) as exc:
        profile(world, **kw)
    assert exc.value.field == field
    assert text in exc.value.message
    assert not PersonRole.objects.filter(tag=RoleTag.PARTY_MEMBER).exists()


def test_lost_contact_gets_a_date_and_loses_it_when_found(world):
    p = profile(world, status=MemberStatus.LOST_CONTACT)
    assert p.lost_contact_since == timezone.localdate()
    p = profile(world, status=MemberStatus.FULL)
    assert p.lost_contact_since is None


def test_in_service_member_with_work_unit(world):
    p = profile(world, in_service=True, work_unit=world.unit_a, home_community=world.community_a)
    assert p.work_unit == world.unit_a
    p = services.set_party_profile(person=world.person_a, by=world.dispatcher_a, in_service=False)
    assert p.work_unit is None


def test_party_profile_branch_must_be_in_scope(world):
    with pytest.raises(PermissionDenied):
        services.set_party_profile(person=world.person_b, by=world.dispatcher_b, branch=world.branch_a)
