"""Two scheduler instances generating the same month at once: one prompt per unit, one delivery per
recipient and channel (SQLite and PostgreSQL, real threads)."""

import pytest

from tongxin.core.testing import run_in_threads
from tongxin.notify import scheduler
from tongxin.notify.models import Notification, ScheduledJob
from tongxin.rhythm import services
from tongxin.rhythm.models import Prompt

pytestmark = pytest.mark.django_db(transaction=True)
PERIOD = "2026-11"


def test_two_generations_at_once_send_each_prompt_once(rw, waiting):
    services.save_settings(alliance=rw.alliance, by=rw.admin, channels=["inbox", "email"])
    waiting()
    waiting(unit=rw.unit_b)
    results = run_in_threads(4, lambda i: services.generate_prompts(alliance=rw.alliance, period=PERIOD))
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["created"] for r in results) == 2
    assert Prompt.objects.filter(period=PERIOD).count() == 2
    for unit, liaison in ((rw.unit_a, rw.liaison_a), (rw.unit_b, rw.liaison_b)):
        rows = Notification.objects.filter(dedupe_key=f"prompt:{unit.pk}:{PERIOD}")
        assert sorted(rows.values_list("recipient_id", "channel")) == [(liaison.pk, "email"), (liaison.pk, "inbox")]


def test_two_scheduler_workers_run_the_monthly_job_once(rw, waiting):
    waiting()
    key = services.prompt_job_key(rw.alliance.pk, PERIOD)
    from django.utils import timezone

    scheduler.schedule(kind=services.PROMPT_KIND, due_at=timezone.now(), target=rw.alliance,
                       payload={"alliance": rw.alliance.pk, "period": PERIOD}, dedupe_key=key)
    results = run_in_threads(2, lambda i: scheduler.run_due(worker=f"w{i}"))
    assert sorted(results) == [0, 1], results
    assert ScheduledJob.objects.get(dedupe_key=key).status == "done"
    assert Prompt.objects.filter(period=PERIOD).count() == 1
    assert Notification.objects.filter(verb="rhythm.prompt").count() == 1
    # the handler scheduled the next month
    assert ScheduledJob.objects.filter(kind=services.PROMPT_KIND, status="pending").count() == 1
