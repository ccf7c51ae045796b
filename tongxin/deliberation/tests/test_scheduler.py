"""Automatic escalation after the configured time, once, even with two scheduler instances."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.deliberation import services
from tongxin.deliberation.models import Stage, Topic
from tongxin.notify import scheduler
from tongxin.notify.models import Notification, ScheduledJob

pytestmark = pytest.mark.django_db


def _due(topic):
    return ScheduledJob.objects.get(kind="deliberation.stage_overdue", target_id=str(topic.pk), status="pending")


def test_config_sets_the_stage_time(dw, raise_topic):
    with pytest.raises(PermissionDenied):
        services.save_config(alliance=dw.alliance, by=dw.dispatcher_a, online_days=3)
    with pytest.raises(DomainError) as exc:
        services.save_config(alliance=dw.alliance, by=dw.admin, online_days=0)
    assert exc.value.field == "online_days"
    services.save_config(alliance=dw.alliance, by=dw.admin, online_days=3, property_days=5)
    topic = raise_topic()
    from tongxin.core import workcalendar

    assert abs((topic.stage_due_at - workcalendar.add_working_days(topic.stage_since, 3)).total_seconds()) < 1


def test_unresolved_topic_escalates_by_itself_once(dw, raise_topic):
    topic = raise_topic()
    job = _due(topic)
    later = job.due_at + dt.timedelta(minutes=1)
    assert scheduler.run_due(now=later) == 1
    topic.refresh_from_db()
    assert topic.stage == Stage.PROPERTY
    ev = topic.events.get(verb="escalate")
    assert ev.actor is None and ev.payload.get("auto") and "自动升级" in ev.note
    assert Notification.objects.filter(recipient=dw.resident_a, verb="deliberation.escalated").exists()
    # The next stage has its own job; running the old one again does nothing.
    assert _due(topic).payload == {"stage": Stage.PROPERTY}
    from tongxin.deliberation.tasks import stage_overdue

    job.refresh_from_db()
    stage_overdue(job)
    topic.refresh_from_db()
    assert topic.stage == Stage.PROPERTY and topic.events.filter(verb="escalate").count() == 1


def test_two_handlers_on_one_stale_topic_escalate_once(dw, raise_topic):
    topic = raise_topic()
    a, b = Topic.objects.get(pk=topic.pk), Topic.objects.get(pk=topic.pk)
    assert services.auto_escalate(topic=a, stage=Stage.ONLINE) is True
    assert services.auto_escalate(topic=b, stage=Stage.ONLINE) is False
    assert topic.events.filter(verb="escalate").count() == 1


def test_moderator_first_then_job_does_nothing(dw, raise_topic):
    topic = raise_topic()
    job = _due(topic)
    services.escalate(topic=topic, by=dw.dispatcher_a, to=Stage.COMMUNITY)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert scheduler.run_due(now=job.due_at + dt.timedelta(minutes=1)) == 0


def test_community_stage_overdue_reminds(dw, raise_topic):
    topic = raise_topic()
    services.escalate(topic=topic, by=dw.dispatcher_a, to=Stage.COMMUNITY)
    job = _due(topic)
    assert scheduler.run_due(now=job.due_at + dt.timedelta(minutes=1)) == 1
    topic.refresh_from_db()
    assert topic.stage == Stage.COMMUNITY
    assert Notification.objects.filter(recipient=dw.admin, verb="deliberation.overdue").count() == 1


def test_no_auto_escalation_when_switched_off(dw, raise_topic):
    services.save_config(alliance=dw.alliance, by=dw.admin, auto_escalate=False)
    topic = raise_topic()
    assert topic.stage_due_at is None
    assert not ScheduledJob.objects.filter(kind="deliberation.stage_overdue").exists()
    assert scheduler.run_due(now=timezone.now() + dt.timedelta(days=100)) == 0
