"""Writes of learned routing: training (with the held-out comparison), retrain requests, and the
trigger that schedules a training when enough new requests have been handled.

Held-out rows: a fixed fifth of the history, chosen by a hash of the request id, so a request is
held out in every training or in none. No model is ever trained on a held-out row, which makes
the comparison between the new model and the one in use fair: both are scored on rows neither
has seen, and the new one replaces the old only with a strictly higher macro-F1.
"""

from __future__ import annotations

import time
from collections import Counter

from django.db import transaction
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import ensure_can
from tongxin.audit import events
from tongxin.core.errors import DomainError
from tongxin.orgs.models import Alliance

from .learn import TextClassifier, accuracy, macro_f1
from .models import Outcome, RoutingModel, Target, TrainingRun, Trigger

MIN_HISTORY = 30          # handled requests with the target set, before any model is trained
MIN_CLASSES = 2           # ... of which at least this many labels ...
MIN_PER_CLASS = 5         # ... have at least this many examples each
KEEP_LABEL_MIN = 3        # labels with fewer examples are left out of training (too few to learn)
MAX_HISTORY = 20_000      # newest handled requests used for one training
RETRAIN_EVERY = 25        # new handled requests since the last training that schedule the next one
HELD_OUT_SHARE = 5        # one request in five is held out

_FIELD = {Target.CATEGORY: "category_id", Target.UNIT: "assigned_unit_id"}


def held_out(pk: int) -> bool:
    return (pk * 2654435761) % 4294967296 % HELD_OUT_SHARE == 0


def history(alliance, target: str) -> list[tuple[int, str, int]]:
    """(request id, text, label id) of the alliance's handled requests with the target set, newest first."""
    from tongxin.orders.models import CLOSED_STATUSES, ServiceRequest

    field = _FIELD[target]
    rows = (ServiceRequest.objects.filter(alliance=alliance, status__in=list(CLOSED_STATUSES), **{f"{field}__isnull": False})
            .order_by("-done_at", "-id").values_list("pk", "title", "text", field)[:MAX_HISTORY])
    return [(pk, f"{title} {text}".strip(), label) for pk, title, text, label in rows]


def label_counts(alliance, target: str) -> Counter:
    """How many handled requests of the alliance carry each label (the history size, without loading texts)."""
    from django.db.models import Count

    from tongxin.orders.models import CLOSED_STATUSES, ServiceRequest

    field = _FIELD[target]
    rows = (ServiceRequest.objects.filter(alliance=alliance, status__in=list(CLOSED_STATUSES), **{f"{field}__isnull": False})
            .order_by().values_list(field).annotate(n=Count("id")))
    return Counter(dict(rows))


def enough(counts: Counter) -> tuple[bool, str]:
    """Whether a history (label -> examples) is enough to train on; the Chinese explanation when it is not."""
    total = sum(counts.values())
    big = sum(1 for n in counts.values() if n >= MIN_PER_CLASS)
    if total < MIN_HISTORY or big < MIN_CLASSES:
        return False, (f"已办结诉求 {total} 条，其中 {big} 个类别各有 {MIN_PER_CLASS} 条以上；"
                       f"至少需要 {MIN_HISTORY} 条、{MIN_CLASSES} 个这样的类别，在此之前由关键词规则建议")
    return True, ""


def _label_names(target: str, labels) -> dict:
    from tongxin.orders.models import Category
    from tongxin.orgs.models import Organization

    model = Category if target == Target.CATEGORY else Organization
    return {str(pk): name for pk, name in model.objects.filter(pk__in=set(labels)).values_list("pk", "name")}


def train(*, alliance: Alliance, by=None, trigger: str = Trigger.MANUAL, targets=(Target.CATEGORY, Target.UNIT)) -> list[TrainingRun]:
    """Train one model per target on the alliance's history; the new model is used only when it
    scores better on the held-out rows than the model in use. Every training is recorded."""
    return [_train_one(alliance=alliance, by=by, trigger=trigger, target=t) for t in targets]


def _train_one(*, alliance, by, trigger, target) -> TrainingRun:
    from . import selectors

    started = time.perf_counter()
    rows = history(alliance, target)
    labels = [r[2] for r in rows]
    run = TrainingRun(alliance=alliance, target=target, trigger=trigger, requested_by=by if getattr(by, "pk", None) else None,
                      history=len(rows), classes=len(set(labels)))
    counts = Counter(labels)
    ok, why = enough(counts)
    train_rows = [r for r in rows if not held_out(r[0]) and counts[r[2]] >= KEEP_LABEL_MIN]
    test_rows = [r for r in rows if held_out(r[0])]
    if ok and (len(set(r[2] for r in train_rows)) < MIN_CLASSES or not test_rows):
        ok, why = False, f"留出检验的诉求太少（{len(test_rows)} 条），暂不训练"
    model = None
    if not ok:
        run.outcome, run.message = Outcome.TOO_LITTLE, why
    else:
        clf = TextClassifier()
        clf.fit([r[1] for r in train_rows], [r[2] for r in train_rows])
        test_texts, truth = [r[1] for r in test_rows], [r[2] for r in test_rows]
        prepared = clf.prepare(test_texts)
        scores = clf.scores(prepared=prepared)
        predicted = [clf.classes_[i] for i in scores.argmax(axis=1)]
        clf.fit_temperature(scores, truth)
        run.trained_on, run.held_out, run.classes = len(train_rows), len(test_rows), len(clf.classes_)
        run.macro_f1, run.accuracy = macro_f1(truth, predicted), accuracy(truth, predicted)
        with transaction.atomic():
            Alliance.objects.select_for_update().filter(pk=alliance.pk).first()  # one activation at a time per alliance
            current = RoutingModel.objects.filter(alliance=alliance, target=target, active=True).first()
            if current is not None:
                old = TextClassifier.loads(current.blob)
                run.previous_f1 = macro_f1(truth, old.predict_many(prepared=prepared))
            if current is None or run.macro_f1 > run.previous_f1:
                now = timezone.now()
                if current is not None:
                    RoutingModel.objects.filter(pk=current.pk, active=True).update(active=False)
                model = RoutingModel.objects.create(
                    alliance=alliance, target=target, trained_on=run.trained_on, held_out=run.held_out, classes=run.classes,
                    macro_f1=run.macro_f1, accuracy=run.accuracy, labels=_label_names(target, clf.classes_), blob=clf.dumps(),
                    active=True, activated_at=now)
                run.outcome = Outcome.ACTIVATED
                run.message = (f"新模型留出集宏F1 {run.macro_f1:.3f}" +
                               (f"，高于在用模型的 {run.previous_f1:.3f}，已替换" if current is not None else "，已启用"))
                transaction.on_commit(selectors.clear_cache)
            else:
                run.outcome = Outcome.KEPT
                run.message = f"新模型留出集宏F1 {run.macro_f1:.3f}，不高于在用模型的 {run.previous_f1:.3f}，继续使用在用模型"
    run.model = model
    run.seconds = round(time.perf_counter() - started, 3)
    with transaction.atomic():
        run.save()
        events.record(actor=by, verb="routing.trained", target=run, organization=alliance.core_organization, reason=run.message,
                      payload={"target": target, "trigger": trigger, "outcome": run.outcome, "history": run.history,
                               "trained_on": run.trained_on, "held_out": run.held_out, "classes": run.classes,
                               "macro_f1": run.macro_f1, "accuracy": run.accuracy, "previous_f1": run.previous_f1,
                               "seconds": run.seconds, "model_id": getattr(model, "pk", None)})
    return run


def request_retrain(*, by, alliance: Alliance) -> None:
    """The alliance admin's "retrain now": checked here, trained in the background (django_tasks)."""
    if alliance is None:
        raise DomainError("请选择联盟", field="alliance")
    ensure_can(by, P.MANAGE_ROUTING, alliance.core_organization, "只有联盟管理员可以重新训练智能分派模型")
    with transaction.atomic():
        events.record(actor=by, verb="routing.retrain_requested", target=alliance, organization=alliance.core_organization)
        transaction.on_commit(lambda: _enqueue(alliance.pk, Trigger.MANUAL, by.pk))


def _enqueue(alliance_id: int, trigger: str, user_id: int | None) -> None:
    from .tasks import train_alliance

    train_alliance.enqueue(alliance_id, trigger, user_id)


def note_handled(req) -> bool:
    """Called when a request is done: schedule a training once RETRAIN_EVERY new handled requests
    have accumulated since the last one (or once the history first reaches MIN_HISTORY)."""
    from tongxin.notify import scheduler
    from tongxin.orders.models import CLOSED_STATUSES, ServiceRequest

    if req.alliance_id is None:
        return False
    last = TrainingRun.objects.filter(alliance_id=req.alliance_id).order_by("-created_at", "-id").first()
    handled = ServiceRequest.objects.filter(alliance_id=req.alliance_id, status__in=list(CLOSED_STATUSES))
    if last is None:
        due = handled.filter(category__isnull=False).count() >= MIN_HISTORY
    else:
        due = handled.filter(done_at__gt=last.created_at).count() >= RETRAIN_EVERY
    if due:
        scheduler.schedule(kind="routing.retrain", due_at=timezone.now(), target=Alliance(pk=req.alliance_id),
                           payload={"trigger": Trigger.HISTORY}, dedupe_key=f"routing:{req.alliance_id}:after:{getattr(last, 'pk', 0)}")
    return due
