"""Reads on people are scoped for every role; search folds traditional characters and finds
people by full phone or ID number through the look-up hash."""

import pytest

from tongxin.accounts.models import Role
from tongxin.core.errors import NotFound
from tongxin.people import selectors, services
from tongxin.people.models import RoleTag


@pytest.fixture
def unit_doctor(world):
    """Kept by unit A (under community A) but living in community B."""
    return services.create_person(by=world.system, organization=world.unit_a, community=world.community_b, name="赵医生",
                                  phone="13700000003")


def names(qs):
    return sorted(p.name for p in qs)


def test_scope_of_each_role(world, unit_doctor):
    member = world.user("t-member-a", Role.PARTY_MEMBER, world.branch_a)
    grid_worker = world.user("t-grid-a", Role.GRID_WORKER, world.community_a)
    assert names(selectors.visible_people(world.admin)) == ["张三", "李四", "赵医生"]
    assert names(selectors.visible_people(world.dispatcher_a)) == ["张三", "赵医生"]
    assert names(selectors.visible_people(world.dispatcher_b)) == ["李四", "赵医生"]  # lives in B
    assert names(selectors.visible_people(world.liaison_a)) == ["赵医生"]
    assert names(selectors.visible_people(grid_worker)) == ["张三", "赵医生"]
    assert names(selectors.visible_people(member)) == []  # no person record, no people permission
    assert names(selectors.visible_people(world.system)) == ["张三", "李四", "赵医生"]  # superuser


def test_a_resident_sees_their_own_record_and_nothing_else(world):
    assert list(selectors.visible_people(world.resident_a)) == [world.person_a]
    assert selectors.get_person(world.resident_a, world.person_a.pk) == world.person_a
    with pytest.raises(NotFound):
        selectors.get_person(world.resident_a, world.person_b.pk)
    assert list(selectors.search_people(world.resident_a, q="李四")) == []
    assert selectors.can_reveal(world.resident_a, world.person_a)
    assert not selectors.can_manage(world.resident_a, world.person_a)


def test_another_communitys_person_is_not_found(world):
    with pytest.raises(NotFound) as exc:
        selectors.get_person(world.dispatcher_a, world.person_b.pk)
    assert "不在您的权限范围内" in exc.value.message


def test_archived_people_are_hidden_from_lists_but_reachable_by_url(world):
    services.archive_person(person=world.person_a, by=world.dispatcher_a, reason="迁出")
    assert list(selectors.search_people(world.dispatcher_a)) == []
    assert list(selectors.search_people(world.dispatcher_a, include_archived=True)) == [world.person_a]
    assert selectors.get_person(world.dispatcher_a, world.person_a.pk) == world.person_a


@pytest.mark.parametrize("q", ["张三", "張三", "张", "  張 ", "張 三"])
def test_search_treats_traditional_and_simplified_the_same(world, q):
    assert list(selectors.search_people(world.admin, q=q)) == [world.person_a]


def test_a_name_written_in_traditional_is_found_in_simplified(world):
    person = services.create_person(by=world.admin, organization=world.community_a, name="黃國慶")
    assert list(selectors.search_people(world.admin, q="黄国庆")) == [person]
    assert list(selectors.search_people(world.admin, q="國慶")) == [person]


def test_full_phone_and_id_number_find_the_person_by_hash(world):
    for q in ("13800000001", "138 0000 0001", "+8613800000001", "11010519491231002X", "11010519491231002x"):
        assert list(selectors.search_people(world.admin, q=q)) == [world.person_a], q
    assert list(selectors.search_people(world.admin, q="13800000009")) == []
    assert list(selectors.search_people(world.admin, q="1380000")) == []  # partial numbers find nothing


def test_search_never_crosses_the_scope(world):
    assert list(selectors.search_people(world.dispatcher_a, q="李四")) == []
    assert list(selectors.search_people(world.dispatcher_a, q="13800000002")) == []
    assert list(selectors.search_people(world.dispatcher_b, q="13800000002")) == [world.person_b]


def test_filters_by_tag_and_organisation(world, unit_doctor):
    services.add_role(person=world.person_a, tag=RoleTag.VOLUNTEER, by=world.admin)
    services.add_role(person=world.person_b, tag=RoleTag.VOLUNTEER, by=world.admin)
    assert names(selectors.search_people(world.admin, tag=RoleTag.VOLUNTEER)) == ["张三", "李四"]
    assert names(selectors.search_people(world.dispatcher_a, tag=RoleTag.VOLUNTEER)) == ["张三"]
    assert names(selectors.search_people(world.admin, organization=world.community_a)) == ["张三", "赵医生"]
    assert names(selectors.search_people(world.admin, organization=world.unit_a)) == ["赵医生"]
    assert names(selectors.search_people(world.admin, organization=world.community_b, tag=RoleTag.VOLUNTEER)) == ["李四"]


def test_filter_organisations_are_scoped(world):
    assert selectors.visible_people_org(world.dispatcher_a, world.community_b.pk) is None
    assert selectors.visible_people_org(world.dispatcher_a, world.unit_a.pk) == world.unit_a
    offered = set(selectors.filter_organizations(world.dispatcher_a))
    assert world.community_a in offered and world.unit_a in offered
    assert world.community_b not in offered and world.branch_a not in offered
    assert set(selectors.organizations_for_people(world.resident_a)) == set()


def test_can_manage_and_reveal(world, unit_doctor):
    assert selectors.can_manage(world.dispatcher_a, world.person_a)
    assert not selectors.can_manage(world.dispatcher_b, world.person_a)
    assert not selectors.can_manage(world.dispatcher_b, unit_doctor)  # lives in B, kept by A's unit
    assert selectors.can_reveal(world.dispatcher_b, unit_doctor)
    assert not selectors.can_reveal(world.liaison_a, unit_doctor)
    assert selectors.can_manage(world.liaison_a, unit_doctor)
