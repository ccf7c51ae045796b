"""The action-item contract: create_action_item and the three contract selectors."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.meetings import selectors, services
from tongxin.meetings.models import ActionStatus

TODAY = dt.date(2026, 3, 10)


def _item(w, owner=None, due=dt.date(2026, 4, 1), title="整治楼道堆物"):
    return services.create_action_item(by=w.admin, alliance=w.alliance, title=title, owner=owner or w.unit_a, due_on=due)


def test_create_for_member_and_core(mw):
    item = _item(mw)
    assert item.status == ActionStatus.OPEN and item.owner == mw.unit_a
    core = _item(mw, owner=mw.street)
    assert core.owner == mw.street


def test_owner_outside_alliance_refused(mw):
    with pytest.raises(DomainError) as e:
        _item(mw, owner=mw.unit_b)
    assert "不是" in e.value.message and e.value.field == "owner"


def test_owner_who_left_refused(mw):
    from tongxin.orgs import services as orgs

    ms = mw.alliance.memberships.get(organization=mw.unit_a)
    orgs.end_membership(membership=ms, by=mw.system, left_on=dt.date(2025, 1, 1), reason="退出")
    with pytest.raises(DomainError):
        _item(mw)


def test_empty_title_and_missing_due_refused(mw):
    with pytest.raises(DomainError) as e:
        _item(mw, title="  ")
    assert e.value.field == "title"
    with pytest.raises(DomainError) as e:
        services.create_action_item(by=mw.admin, alliance=mw.alliance, title="x", owner=mw.unit_a, due_on=None)
    assert e.value.field == "due_on"


def test_liaison_cannot_create(mw):
    with pytest.raises(PermissionDenied):
        services.create_action_item(by=mw.liaison_a, alliance=mw.alliance, title="x", owner=mw.unit_a, due_on=TODAY)


def test_community_dispatcher_may_assign_within_own_community(mw):
    item = services.create_action_item(by=mw.dispatcher_a, alliance=mw.alliance, title="x", owner=mw.unit_a, due_on=TODAY)
    assert item.pk
    with pytest.raises(PermissionDenied):
        services.create_action_item(by=mw.dispatcher_b, alliance=mw.alliance, title="x", owner=mw.unit_a, due_on=TODAY)


def test_origin_generic_link(mw):
    origin = mw.branch_a  # any model instance
    item = services.create_action_item(by=mw.admin, alliance=mw.alliance, title="x", owner=mw.unit_a, due_on=TODAY, origin=origin)
    item.refresh_from_db()
    assert item.origin == origin and item.origin_label == str(origin)


def test_liaison_reports_and_closes_once(mw):
    item = _item(mw)
    services.report_progress(by=mw.liaison_a, item=item, text="已清理一半")
    services.complete_action_item(by=mw.liaison_a, item=item, reason="已全部清理")
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE and item.closed_by == mw.liaison_a and item.close_reason == "已全部清理"
    with pytest.raises(DomainError) as e:
        services.complete_action_item(by=mw.liaison_a, item=item, reason="再次")
    assert "不能重复" in e.value.message
    with pytest.raises(DomainError):
        services.report_progress(by=mw.liaison_a, item=item, text="x")


def test_other_unit_cannot_close(mw):
    item = _item(mw)
    with pytest.raises(PermissionDenied):
        services.complete_action_item(by=mw.liaison_b, item=item, reason="x")
    with pytest.raises(PermissionDenied):
        services.cancel_action_item(by=mw.liaison_a, item=item, reason="x")
    with pytest.raises(DomainError) as e:
        services.cancel_action_item(by=mw.admin, item=item, reason="")
    assert e.value.field == "reason"
    services.cancel_action_item(by=mw.admin, item=item, reason="不再需要")
    item.refresh_from_db()
    assert item.status == ActionStatus.CANCELLED


def test_open_action_items_for_as_of(mw):
    a = _item(mw, due=dt.date(2020, 1, 1), title="逾期")
    b = _item(mw, title="未到期")
    _item(mw, owner=mw.community_a, title="别人的")
    today = timezone.localdate()
    assert list(selectors.open_action_items_for(mw.unit_a, as_of=today)) == [a, b]
    services.complete_action_item(by=mw.liaison_a, item=a, reason="完成")
    assert list(selectors.open_action_items_for(mw.unit_a, as_of=today)) == [b]
    # before the items existed, nothing was open
    assert list(selectors.open_action_items_for(mw.unit_a, as_of=today - dt.timedelta(days=1))) == []


def test_action_items_for_review(mw):
    a = _item(mw, title="开着的")
    b = _item(mw, title="已完成")
    services.complete_action_item(by=mw.liaison_a, item=b, reason="完成")
    today = timezone.localdate()
    rows = list(selectors.action_items_for_review(mw.alliance, start=today - dt.timedelta(days=90), end=today))
    assert set(rows) == {a, b}
    # a period that ended before they were created
    assert list(selectors.action_items_for_review(mw.alliance, start=dt.date(2020, 1, 1), end=dt.date(2020, 3, 31))) == []


def test_scope_of_action_items(mw):
    item = _item(mw)
    assert item in selectors.visible_action_items(mw.liaison_a)
    assert item in selectors.visible_action_items(mw.admin)
    assert item not in selectors.visible_action_items(mw.liaison_b)
    assert item not in selectors.visible_action_items(mw.dispatcher_b)
    assert list(selectors.my_action_items(mw.liaison_a)) == [item]
    assert list(selectors.my_action_items(mw.liaison_b)) == []
