"""Obligations (责任清单): who may owe them, their due dates, fulfilment records, overdue notices, contract selectors."""

import datetime as dt

import pytest

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.governance import selectors, services
from tongxin.governance.models import ObligationDue


def test_due_dates_of_recurrences():
    d = dt.date
    assert services.due_dates("monthly", d(2026, 1, 15), d(2026, 4, 10)) == [d(2026, 1, 31), d(2026, 2, 28), d(2026, 3, 31), d(2026, 4, 10)]
    assert services.due_dates("quarterly", d(2026, 2, 1), d(2026, 12, 31)) == [d(2026, 3, 31), d(2026, 6, 30), d(2026, 9, 30), d(2026, 12, 31)]
    assert services.due_dates("yearly", d(2025, 7, 1), d(2027, 6, 30)) == [d(2025, 12, 31), d(2026, 12, 31), d(2027, 6, 30)]
    assert services.due_dates("once", d(2026, 1, 1), d(2026, 12, 31), d(2026, 5, 1)) == [d(2026, 5, 1)]


def test_obligation_owed_by_non_party_is_refused(gw, make_agreement):
    ag = make_agreement()
    with pytest.raises(DomainError) as exc:
        services.add_obligation(agreement=ag, by=gw.admin, title="每月清扫门前路段", debtor=gw.unit_b, recurrence="monthly")
    assert exc.value.field == "debtor" and "不是本协议的签约方" in exc.value.message


def test_one_off_due_outside_term_and_area_of_other_alliance(gw, make_agreement):
    from tongxin.orgs import services as orgs

    ag = make_agreement()
    with pytest.raises(DomainError, match="不在协议期限") as exc:
        services.add_obligation(agreement=ag, by=gw.admin, title="捐赠图书", debtor=gw.unit_a, due_on=ag.ends_on + dt.timedelta(days=1))
    assert exc.value.field == "due_on"
    with pytest.raises(DomainError, match="请填写到期日"):
        services.add_obligation(agreement=ag, by=gw.admin, title="捐赠图书", debtor=gw.unit_a, recurrence="once")
    other = orgs.create_alliance(by=gw.system, core_organization=gw.community_b, name="另一联盟")
    foreign = orgs.ensure_cobuilding_areas(other)[0]
    with pytest.raises(DomainError, match="不属于测试党建联盟"):
        services.add_obligation(agreement=ag, by=gw.admin, title="捐赠图书", debtor=gw.unit_a, due_on=gw.today, area=foreign)


def test_recurring_obligation_materialises_due_dates(gw, make_agreement):
    from tongxin.orgs.services import ensure_cobuilding_areas

    env = next(a for a in ensure_cobuilding_areas(gw.alliance) if a.name == "环境联抓")
    ag = make_agreement()
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="每季度开展一次环境整治", debtor=gw.unit_a,
                                 recurrence="quarterly", area=env)
    dues = list(ob.dues.values_list("due_on", flat=True))
    assert dues == services.due_dates("quarterly", ag.starts_on, ag.ends_on) and len(dues) >= 4
    assert ob.area == env


def test_fulfilment_by_liaison_settles_the_earliest_due(gw, make_agreement, image_file, pdf_file):
    ag = make_agreement()
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="每月清扫门前路段", debtor=gw.unit_a, recurrence="monthly")
    first = ob.dues.order_by("due_on").first()
    f = services.record_fulfilment(obligation=ob, by=gw.liaison_a, note="已组织职工清扫门前 100 米道路",
                                   photos=[image_file()], attachment=pdf_file("签到表.pdf"))
    first.refresh_from_db()
    assert first.fulfilment == f and f.photos.count() == 1 and f.attachment_type == "application/pdf"
    assert f.recorded_by == gw.liaison_a
    ev = ag.events.get(verb="fulfilled")
    assert ev.payload["due_on"] == str(first.due_on) and ev.actor == gw.liaison_a
    with pytest.raises(DomainError, match="已经登记过履行"):
        services.record_fulfilment(obligation=ob, by=gw.liaison_a, note="重复登记", due=first)


def test_fulfilment_refusals(gw, make_agreement):
    ag = make_agreement()
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="捐赠图书 200 册", debtor=gw.unit_a, due_on=gw.today)
    with pytest.raises(PermissionDenied, match="不在您的组织范围内"):
        services.record_fulfilment(obligation=ob, by=gw.liaison_b, note="不是我们的责任")
    with pytest.raises(PermissionDenied, match="您的角色不能登记"):
        services.record_fulfilment(obligation=ob, by=gw.resident_a, note="居民")
    with pytest.raises(DomainError, match="请写明履行情况"):
        services.record_fulfilment(obligation=ob, by=gw.liaison_a, note="")
    with pytest.raises(DomainError, match="不能晚于今天"):
        services.record_fulfilment(obligation=ob, by=gw.liaison_a, note="已捐赠", done_on=gw.today + dt.timedelta(days=1))
    services.terminate(agreement=ag, by=gw.admin, reason="单位撤并")
    with pytest.raises(DomainError, match="终止，不能再登记履行") as exc:
        services.record_fulfilment(obligation=ob, by=gw.liaison_a, note="已捐赠")
    assert exc.value.code == "wrong_state"


def test_fulfilment_on_draft_is_refused(gw, make_agreement):
    ag = make_agreement(activate=False)
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="捐赠图书", debtor=gw.unit_a, due_on=gw.today)
    with pytest.raises(DomainError, match="尚未生效"):
        services.record_fulfilment(obligation=ob, by=gw.liaison_a, note="已捐赠")


def test_contract_selectors_and_overdue_notice_once(gw, make_agreement):
    from tongxin.governance.tasks import obligation_overdue
    from tongxin.notify import scheduler
    from tongxin.notify.models import Notification, ScheduledJob

    ag = make_agreement()
    late = services.add_obligation(agreement=ag, by=gw.admin, title="上月应交的共建总结", debtor=gw.unit_a,
                                   due_on=gw.today - dt.timedelta(days=5))
    soon = services.add_obligation(agreement=ag, by=gw.admin, title="下周的义诊活动", debtor=gw.unit_a, due_on=gw.today + dt.timedelta(days=6))
    services.add_obligation(agreement=ag, by=gw.admin, title="社区的责任", debtor=gw.community_a, due_on=gw.today)
    rows = selectors.obligations_due_for(gw.unit_a, start=gw.today, end=gw.today + dt.timedelta(days=30))
    assert [(r["obligation"], r["overdue"]) for r in rows] == [(late, True), (soon, False)]
    assert rows[0]["agreement"] == ag and rows[0]["due_on"] == late.due_on
    assert selectors.obligations_due_for(gw.unit_b, start=gw.today, end=gw.today + dt.timedelta(days=30)) == []
    # The bulk form answers the same, per organisation, in one query.
    bulk = selectors.obligations_due_by_debtor([gw.unit_a.pk, gw.unit_b.pk, gw.community_a.pk], start=gw.today,
                                               end=gw.today + dt.timedelta(days=30))
    assert bulk[gw.unit_a.pk] == rows and gw.unit_b.pk not in bulk
    assert [r["obligation"].title for r in bulk[gw.community_a.pk]] == ["社区的责任"]
    # The overdue job for the late one exists and is due; running it notifies unit A's liaison once.
    job = ScheduledJob.objects.get(kind="governance.obligation_overdue", dedupe_key=f"gov:due:{late.dues.get().pk}:overdue")
    assert scheduler.run_due() >= 1
    notes = Notification.objects.filter(verb="governance.obligation_overdue", recipient=gw.liaison_a)
    assert notes.count() == 1 and "上月应交的共建总结" in notes.get().title
    obligation_overdue(job)  # running again (a second scheduler, a retry) sends nothing new
    assert notes.count() == 1
    # Fulfilled: no longer due, no longer in the selector.
    services.record_fulfilment(obligation=late, by=gw.liaison_a, note="总结已提交")
    rows = selectors.obligations_due_for(gw.unit_a, start=gw.today, end=gw.today + dt.timedelta(days=30))
    assert [r["obligation"] for r in rows] == [soon]


def test_my_obligations_scoped_to_liaison_unit(gw, make_agreement):
    ag = make_agreement(parties=[gw.unit_a, gw.unit_b, gw.community_a])
    services.add_obligation(agreement=ag, by=gw.admin, title="甲医院的责任", debtor=gw.unit_a, due_on=gw.today)
    services.add_obligation(agreement=ag, by=gw.admin, title="乙学校的责任", debtor=gw.unit_b, due_on=gw.today)
    assert [r["obligation"].title for r in selectors.my_obligations(gw.liaison_a)] == ["甲医院的责任"]
    assert [r["obligation"].title for r in selectors.my_obligations(gw.liaison_b)] == ["乙学校的责任"]


def test_concurrent_due_is_unique(gw, make_agreement):
    ag = make_agreement()
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="每月清扫", debtor=gw.unit_a, recurrence="monthly")
    n = ob.dues.count()
    services.update_agreement(agreement=ag, by=gw.admin, title="改名不改期限")
    assert ObligationDue.objects.filter(obligation=ob).count() == n


def test_my_obligations_lists_overdue_and_next_date_only(gw, make_agreement):
    ag = make_agreement()  # started 90 days ago: two or three monthly dates are already past
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="每月清扫门前路段", debtor=gw.unit_a, recurrence="monthly")
    past = ob.dues.filter(due_on__lt=gw.today).count()
    rows = selectors.my_obligations(gw.liaison_a, within_days=45)
    assert len(rows) == past + 1 and sum(r["overdue"] for r in rows) == past
    assert len(selectors.my_obligations(gw.liaison_a)) == ob.dues.count()


def test_overdue_of_a_community_goes_to_its_dispatchers(gw, make_agreement):
    import datetime as dt

    from tongxin.governance.models import ObligationDue
    from tongxin.notify.models import Notification

    ag = make_agreement()
    ob = services.add_obligation(agreement=ag, by=gw.admin, title="社区提供双报到岗位", debtor=gw.community_a,
                                 due_on=gw.today - dt.timedelta(days=2))
    assert services.notify_overdue(ObligationDue.objects.get(obligation=ob)) == 1
    assert Notification.objects.filter(recipient=gw.dispatcher_a, verb="governance.obligation_overdue").count() == 1
    assert not Notification.objects.filter(recipient=gw.dispatcher_b, verb="governance.obligation_overdue").exists()
