"""Services: every write checks scope, refuses bad input in Chinese, and leaves an event and a history row."""

import datetime as dt

import pytest

from tongxin.audit.models import Event
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.orgs import selectors, services
from tongxin.orgs.models import AllianceMembership, Organization, OrgKind


def _events(obj, verb):
    return Event.objects.filter(target_id=str(obj.pk), verb=verb)


def test_create_sets_path_records_event_and_history(world):
    org = services.create_organization(by=world.dispatcher_a, parent=world.community_a, name="甲社区党建服务站",
                                       kind=OrgKind.SOCIAL_ORGANIZATION, reason="新设站点")
    assert org.path == f"{world.community_a.path}{org.pk}/"
    assert org.depth == world.community_a.depth + 1
    event = _events(org, "org.created").get()
    assert event.actor == world.dispatcher_a
    assert event.reason == "新设站点"
    assert org.history.filter(history_type="+").exists()
    assert org.history.first().history_change_reason == "新设站点"


def test_create_refuses_blank_name_and_foreign_parent(world):
    with pytest.raises(DomainError, match="组织名称不能为空") as exc:
        services.create_organization(by=world.dispatcher_a, parent=world.community_a, name="  ", kind=OrgKind.BRANCH)
    assert exc.value.field == "name"
    with pytest.raises(PermissionDenied):
        services.create_organization(by=world.dispatcher_a, parent=world.community_b, name="越权支部", kind=OrgKind.BRANCH)
    assert not Organization.objects.filter(name="越权支部").exists()


def test_move_refuses_a_cycle_and_changes_nothing(world):
    before = (world.community_a.path, world.community_a.parent_id)
    with pytest.raises(DomainError, match="不能成环") as exc:
        services.move_organization(org=world.community_a, new_parent=world.branch_a, by=world.admin, reason="试试")
    assert exc.value.field == "parent"
    world.community_a.refresh_from_db()
    assert (world.community_a.path, world.community_a.parent_id) == before
    assert not _events(world.community_a, "org.moved").exists()


def test_move_carries_the_subtree(world):
    unit_branch = services.create_organization(by=world.admin, parent=world.unit_a, name="甲医院党支部", kind=OrgKind.BRANCH)
    services.move_organization(org=world.unit_a, new_parent=world.community_b, by=world.admin, reason="划转")
    world.unit_a.refresh_from_db()
    unit_branch.refresh_from_db()
    assert world.unit_a.path == f"{world.community_b.path}{world.unit_a.pk}/"
    assert unit_branch.path == f"{world.unit_a.path}{unit_branch.pk}/"
    assert unit_branch.depth == world.unit_a.depth + 1
    event = _events(world.unit_a, "org.moved").get()
    assert event.payload == {"from": "甲社区党委", "to": "乙社区党委"} and event.reason == "划转"
    # The original party affiliation never follows a move.
    assert world.unit_a.original_affiliation == "市卫健委党委"


def test_dispatcher_cannot_move_into_another_community(world):
    with pytest.raises(PermissionDenied):
        services.move_organization(org=world.unit_a, new_parent=world.community_b, by=world.dispatcher_a)


def test_delete_is_refused_while_it_holds_people_or_children(world):
    with pytest.raises(DomainError, match="请改为归档") as exc:
        services.delete_organization(org=world.community_a, by=world.admin, reason="误建")
    assert exc.value.code == "has_members"
    assert "仍有下级组织" in exc.value.message and "仍有人员" in exc.value.message
    assert Organization.objects.filter(pk=world.community_a.pk).exists()


def test_delete_of_an_empty_organisation_records_the_reason(world):
    org = services.create_organization(by=world.admin, parent=world.community_a, name="误建组织", kind=OrgKind.CLUB)
    pk = org.pk
    services.delete_organization(org=org, by=world.admin, reason="录入错误")
    assert not Organization.objects.filter(pk=pk).exists()
    event = Event.objects.get(target_id=str(pk), verb="org.deleted")
    assert event.actor == world.admin and event.reason == "录入错误"


def test_archive_needs_a_reason_hides_and_ends_memberships(world):
    services.add_member(alliance=world.alliance, organization=world.unit_a, by=world.admin, joined_on=dt.date(2024, 3, 1))
    with pytest.raises(DomainError, match="归档需要填写原因"):
        services.archive_organization(org=world.unit_a, by=world.admin, reason=" ")
    services.archive_organization(org=world.unit_a, by=world.admin, reason="单位撤销")
    assert world.unit_a not in selectors.visible_organizations(world.admin)
    assert world.unit_a in selectors.visible_organizations(world.admin, include_archived=True)
    assert not AllianceMembership.objects.filter(organization=world.unit_a, left_on__isnull=True).exists()
    assert _events(world.unit_a, "org.archived").get().reason == "单位撤销"
    services.restore_organization(org=world.unit_a, by=world.admin, reason="恢复")
    world.unit_a.refresh_from_db()
    assert not world.unit_a.is_archived


def test_archive_refused_while_children_are_active(world):
    with pytest.raises(DomainError, match="下级组织"):
        services.archive_organization(org=world.community_a, by=world.admin, reason="合并")


def test_membership_keeps_the_original_affiliation(world):
    joint = services.create_organization(by=world.admin, parent=world.street, name="区域化党建联合党委", kind=OrgKind.JOINT_COMMITTEE)
    m = services.add_member(alliance=world.alliance, organization=world.unit_a, by=world.admin, joined_on=dt.date(2024, 3, 1),
                            liaison=world.person_a, committee_member=world.person_a, committee_post="兼职委员", reason="共建")
    services.add_member(alliance=world.alliance, organization=joint, by=world.admin, joined_on=dt.date(2024, 3, 1))
    world.unit_a.refresh_from_db()
    assert world.unit_a.original_affiliation == "市卫健委党委"
    assert world.unit_a.parent == world.community_a
    assert m.liaison == world.person_a and m.committee_post == "兼职委员"
    assert _events(m, "alliance.member_added").get().actor == world.admin
    with pytest.raises(DomainError, match="已经是该联盟的成员"):
        services.add_member(alliance=world.alliance, organization=world.unit_a, by=world.admin, joined_on=dt.date(2024, 4, 1))


def test_end_membership_checks_date_and_reason(world):
    m = services.add_member(alliance=world.alliance, organization=world.unit_a, by=world.admin, joined_on=dt.date(2024, 3, 1))
    with pytest.raises(DomainError, match="退出日期不能早于加入日期"):
        services.end_membership(membership=m, by=world.admin, left_on=dt.date(2024, 1, 1), reason="搬迁")
    with pytest.raises(DomainError, match="需要填写原因"):
        services.end_membership(membership=m, by=world.admin, left_on=dt.date(2024, 6, 1), reason="")
    services.end_membership(membership=m, by=world.admin, left_on=dt.date(2024, 6, 1), reason="搬迁")
    m.refresh_from_db()
    assert m.left_on == dt.date(2024, 6, 1) and m.left_reason == "搬迁"
    assert m.history.first().history_change_reason == "搬迁"


def test_duty_chair_dates_membership_and_overlap(world):
    services.add_member(alliance=world.alliance, organization=world.community_a, by=world.admin, joined_on=dt.date(2024, 1, 1))
    with pytest.raises(DomainError, match="结束日期不能早于开始日期") as exc:
        services.set_duty_chair(alliance=world.alliance, organization=world.community_a, starts_on=dt.date(2026, 3, 1),
                                ends_on=dt.date(2026, 1, 1), by=world.admin)
    assert exc.value.field == "ends_on"
    with pytest.raises(DomainError, match="不是该联盟的成员单位"):
        services.set_duty_chair(alliance=world.alliance, organization=world.community_b, starts_on=dt.date(2026, 1, 1),
                                ends_on=dt.date(2026, 3, 31), by=world.admin)
    term = services.set_duty_chair(alliance=world.alliance, organization=world.community_a, starts_on=dt.date(2026, 1, 1),
                                   ends_on=dt.date(2026, 3, 31), by=world.admin, reason="一季度轮值")
    with pytest.raises(DomainError, match="重叠"):
        services.set_duty_chair(alliance=world.alliance, organization=world.street, starts_on=dt.date(2026, 3, 1),
                                ends_on=dt.date(2026, 6, 30), by=world.admin)
    assert _events(term, "alliance.duty_chair_set").get().reason == "一季度轮值"
    current = [t for t in selectors.duty_chairs(world.alliance, today=dt.date(2026, 2, 1)) if t.is_current]
    assert current == [term]


def test_department_names_are_unique_and_heads_recorded(world):
    d = services.save_department(alliance=world.alliance, by=world.admin, name="组织工作部", head=world.person_a)
    with pytest.raises(DomainError, match="已存在"):
        services.save_department(alliance=world.alliance, by=world.admin, name="组织工作部")
    services.save_department(alliance=world.alliance, by=world.admin, name="组织工作部", head=world.person_b, department=d, reason="换届")
    d.refresh_from_db()
    assert d.head == world.person_b
    assert d.history.count() == 2


def test_only_alliance_managers_change_the_alliance(world):
    with pytest.raises(PermissionDenied):
        services.add_member(alliance=world.alliance, organization=world.unit_a, by=world.dispatcher_a, joined_on=dt.date(2024, 3, 1))


def test_search_treats_traditional_as_simplified(world):
    org = services.create_organization(by=world.admin, parent=world.community_a, name="甲社区党建联盟服务站", kind=OrgKind.CLUB)
    assert list(selectors.search_organizations(world.admin, q="黨建聯盟")) == [org]
    assert list(selectors.search_organizations(world.dispatcher_b, q="黨建聯盟")) == []
