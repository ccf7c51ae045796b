"""The learned model inside the service loop: the dispatch suggestion, and the retrain trigger."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.notify import scheduler
from tongxin.notify.models import ScheduledJob
from tongxin.orders import services as orders
from tongxin.routing import selectors, services
from tongxin.routing.models import Outcome, RoutingModel, Target, TrainingRun

pytestmark = pytest.mark.django_db


def test_submit_request_suggestion_comes_from_the_model(rw, history):
    text = "学校后街私家车天天停在草坪上，请社区帮忙协调"
    before = orders.submit_request(by=rw.resident_a, text=text)
    assert not any("智能分派模型" in r for r in before.suggestion["reasons"])  # day one: the rules (or "other") serve
    history(per_class=12)
    services.train(alliance=rw.alliance, by=rw.admin)
    selectors.clear_cache()
    req = orders.submit_request(by=rw.resident_a, text=text)
    assert req.suggested_category == rw.cat["parking"]
    assert any("智能分派模型" in r and "停车管理" in r for r in req.suggestion["reasons"])
    # the dispatcher follows the suggestion in one click
    orders.dispatch(req=req, by=rw.dispatcher_a, unit=rw.community_a, use_suggestion=True)
    req.refresh_from_db()
    assert req.category == rw.cat["parking"]


def test_keyword_rules_keep_their_pick_when_the_model_is_unsure(rw, history):
    from tongxin.orders.suggest import LEARNED_OVERRIDES_RULES

    history(per_class=12)
    services.train(alliance=rw.alliance)
    selectors.clear_cache()
    text = "小区里的路灯坏了"  # the rules know 路灯 (municipal); the model never saw these words
    p = selectors.predict(alliance=rw.alliance, text=text)
    req = orders.submit_request(by=rw.resident_a, text=text)
    if p is None or p["confidence"] < LEARNED_OVERRIDES_RULES:
        assert req.suggested_category == rw.cat["municipal"]
        assert any("路灯" in r for r in req.suggestion["reasons"])
    else:
        assert any("智能分派模型" in r for r in req.suggestion["reasons"])


def test_completion_schedules_training_after_enough_history(rw, history, done, django_capture_on_commit_callbacks):
    history(per_class=10)  # 30 handled, no training yet
    assert not ScheduledJob.objects.filter(kind="routing.retrain").exists()
    done()  # one more request completed through the services: the trigger fires
    job = ScheduledJob.objects.get(kind="routing.retrain")
    assert job.target_id == str(rw.alliance.pk) and job.dedupe_key == f"routing:{rw.alliance.pk}:after:0"
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.run_due(now=timezone.now() + dt.timedelta(seconds=5), worker="t")
    runs = TrainingRun.objects.filter(alliance=rw.alliance)
    assert {r.target for r in runs} == {Target.CATEGORY, Target.UNIT}
    assert all(r.trigger == "history" for r in runs)
    assert RoutingModel.objects.filter(active=True, target=Target.CATEGORY).exists()
    # right after a training, one more completion does not schedule another
    done()
    assert ScheduledJob.objects.filter(kind="routing.retrain").count() == 1


def test_trigger_waits_for_retrain_every_new_requests(rw, history, done):
    history(per_class=12)
    services.train(alliance=rw.alliance)
    last = TrainingRun.objects.order_by("-id").first()
    TrainingRun.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    history(per_class=services.RETRAIN_EVERY // 3, seed=5)
    done()
    assert not ScheduledJob.objects.filter(kind="routing.retrain").exists() or services.RETRAIN_EVERY // 3 * 3 + 1 >= services.RETRAIN_EVERY
    history(per_class=services.RETRAIN_EVERY // 3 + 1, seed=6)
    done()
    job = ScheduledJob.objects.get(kind="routing.retrain")
    assert job.dedupe_key == f"routing:{rw.alliance.pk}:after:{last.pk}"


def test_retrain_request_runs_in_background_task(rw, history, django_capture_on_commit_callbacks):
    from tongxin.audit.models import Event

    history(per_class=12)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_retrain(by=rw.admin, alliance=rw.alliance)
    assert Event.objects.filter(verb="routing.retrain_requested").exists()
    runs = TrainingRun.objects.filter(alliance=rw.alliance, trigger="manual")
    assert runs.count() == 2 and {r.outcome for r in runs} == {Outcome.ACTIVATED}
    assert all(r.requested_by == rw.admin for r in runs)


def test_the_unit_the_model_is_sure_of_is_suggested(rw, history):
    history(per_class=12)
    services.train(alliance=rw.alliance, by=rw.admin)
    selectors.clear_cache()
    text = "路口的路灯坏了好几天，晚上一片漆黑，电线也垂下来了"
    learned = selectors.predict(alliance=rw.alliance, text=text)
    assert learned["unit"] == rw.unit_a and learned["unit_confidence"] >= 0.6
    req = orders.submit_request(by=rw.resident_a, text=text)
    assert req.suggestion["unit_id"] == rw.unit_a.pk
    assert any(f"类似诉求多由{rw.unit_a.name}办理" in r for r in req.suggestion["reasons"])
