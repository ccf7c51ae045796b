"""Scheduler handlers of the service loop (registered from OrdersConfig.ready()).

Each handler re-checks the request, because a job may run late: a deadline that was met in
the meantime does nothing. Escalation goes community first, then street; the second step is
scheduled one more time limit later.
"""

from tongxin.notify import scheduler

from .models import ServiceRequest, Status

WAITING_FOR_ACCEPT = {Status.DISPATCHED}
WAITING_FOR_DONE = {Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS, Status.REOPENED}


def _request(job) -> ServiceRequest | None:
    target = job.target
    if target is None:
        return None
    return ServiceRequest.objects.select_related("community", "assigned_unit", "category").filter(pk=target.pk).first()


def _next_level(req: ServiceRequest, job, kind: str, suffix: str, hours: float | None = None, days: int | None = None) -> None:
    from tongxin.core import workcalendar

    from . import services

    level = min(req.escalation_level + 1, 2)
    what = "接单" if suffix == "accept" else "办结"
    services.escalate(req=req, level=level, reason=f"超过{what}时限仍未{what}（承办：{getattr(req.assigned_unit, 'name', '未指定')}）")
    if level < 2 and req.category_id:
        due = (workcalendar.add_working_hours(job.due_at, req.category.accept_hours) if suffix == "accept"
               else workcalendar.add_working_days(job.due_at, max(1, req.category.finish_days // 2)))
        scheduler.schedule(kind=kind, due_at=due, target=req, dedupe_key=f"order:{req.pk}:{suffix}:2")


@scheduler.register("orders.accept_overdue")
def accept_overdue(job):
    req = _request(job)
    if req is None or req.status not in WAITING_FOR_ACCEPT:
        return
    _next_level(req, job, "orders.accept_overdue", "accept")


@scheduler.register("orders.finish_overdue")
def finish_overdue(job):
    req = _request(job)
    if req is None or req.status not in WAITING_FOR_DONE:
        return
    _next_level(req, job, "orders.finish_overdue", "finish")


@scheduler.register("orders.rating_reminder")
def rating_reminder(job):
    from . import services

    req = _request(job)
    if req is None or req.status != Status.DONE or req.submitter_id is None:
        return
    services._notify(recipients=[req.submitter], req=req, verb="order.rating_reminder",
                     title=f"请评价：{req.display_title}", body="您的诉求已办结，欢迎对办理结果进行评价。",
                     dedupe_key=f"order:{req.pk}:rating_reminder")
