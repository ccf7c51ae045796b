"""Scheduler handlers: overdue acceptance escalates community then street, once each; met deadlines do nothing."""

import datetime as dt

from django.utils import timezone

from tongxin.notify import scheduler
from tongxin.notify.models import Notification, ScheduledJob
from tongxin.orders import services
from tongxin.orders.models import RequestEvent


def test_dispatch_schedules_and_accept_cancels(ow, dispatched):
    req = dispatched()
    jobs = ScheduledJob.objects.filter(target_id=str(req.pk))
    assert set(jobs.values_list("kind", flat=True)) == {"orders.accept_overdue", "orders.finish_overdue"}
    services.accept(req=req, by=ow.liaison_a)
    assert ScheduledJob.objects.get(target_id=str(req.pk), kind="orders.accept_overdue").status == "cancelled"


def test_overdue_acceptance_escalates_to_community_then_street(ow, dispatched):
    req = dispatched()
    later = req.accept_due_at + dt.timedelta(minutes=1)
    scheduler.run_due(now=later, worker="w1")
    req.refresh_from_db()
    assert req.escalation_level == 1
    assert Notification.objects.filter(recipient=ow.dispatcher_a, verb="order.escalated").exists()
    assert scheduler.run_due(now=later, worker="w2") == 0  # nothing runs twice
    second = ScheduledJob.objects.get(dedupe_key=f"order:{req.pk}:accept:2")
    scheduler.run_due(now=second.due_at + dt.timedelta(minutes=1), worker="w1")
    req.refresh_from_db()
    assert req.escalation_level == 2
    assert Notification.objects.filter(recipient=ow.admin, verb="order.escalated").exists()
    assert RequestEvent.objects.filter(request=req, verb="escalated").count() == 2


def test_met_deadline_does_nothing(ow, dispatched):
    req = dispatched()
    services.accept(req=req, by=ow.liaison_a)
    services.complete(req=req, by=ow.liaison_a, result="好了")
    scheduler.run_due(now=timezone.now() + dt.timedelta(days=60))
    req.refresh_from_db()
    assert req.escalation_level == 0


def test_rating_reminder_goes_to_the_resident(ow, done):
    req = done()
    job = ScheduledJob.objects.get(target_id=str(req.pk), kind="orders.rating_reminder")
    scheduler.run_due(now=job.due_at + dt.timedelta(minutes=1))
    assert Notification.objects.filter(recipient=ow.resident_a, verb="order.rating_reminder").count() == 1


def test_a_redispatch_drops_the_previous_units_escalation_and_notifies_again(ow, dispatched):
    """The first unit missed its acceptance: escalated to the community, a street-level check
    scheduled. Re-dispatched elsewhere, that check must not fire against the new unit, and the new
    unit's own lateness is news again."""
    req = dispatched()
    later = req.accept_due_at + dt.timedelta(minutes=1)
    scheduler.run_due(now=later, worker="w1")
    req.refresh_from_db()
    assert req.escalation_level == 1
    second = ScheduledJob.objects.get(dedupe_key=f"order:{req.pk}:accept:2")
    services.decline(req=req, by=ow.liaison_a, reason="人手不足")
    services.dispatch(req=req, by=ow.dispatcher_a, unit=ow.community_a, category=ow.cat["municipal"])  # its own team
    req.refresh_from_db()
    second.refresh_from_db()
    assert req.escalation_level == 0 and second.status == "cancelled"
    scheduler.run_due(now=req.accept_due_at - dt.timedelta(minutes=1), worker="w1")  # the new unit is in time: nothing
    req.refresh_from_db()
    assert RequestEvent.objects.filter(request=req, verb="escalated").count() == 1 and req.escalation_level == 0
    scheduler.run_due(now=req.accept_due_at + dt.timedelta(minutes=1), worker="w1")  # the new unit is late
    req.refresh_from_db()
    assert req.escalation_level == 1
    assert Notification.objects.filter(recipient=ow.dispatcher_a, verb="order.escalated").count() == 2
