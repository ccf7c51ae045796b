"""The quarterly review: per-unit figures from recorded work (GROUP BY), stored snapshot, scope, records."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.core.errors import DomainError, NotFound, PermissionDenied
from tongxin.orders import services as orders
from tongxin.orders.models import ServiceRequest
from tongxin.rhythm import periods, selectors, services
from tongxin.rhythm.models import Review

QUARTER = periods.quarter_of(periods.today())


@pytest.fixture
def worked(rw, waiting):
    """Unit A: 3 requests this quarter (one done on time and rated 5, one accepted, one waiting); unit B: 1 waiting;
    an action item of unit A (open) and one closed."""
    from tongxin.meetings import services as meetings

    done = waiting(text="路灯不亮", accept=True)
    orders.complete(req=done, by=rw.liaison_a, result="已修好")
    orders.rate(req=ServiceRequest.objects.get(pk=done.pk), by=rw.resident_a, rating=5)
    waiting(text="下水道堵塞", accept=True)
    waiting(text="楼道堆物")
    waiting(text="操场灯坏", unit=rw.unit_b)
    today = timezone.localdate()
    rw.item = meetings.create_action_item(by=rw.admin, alliance=rw.alliance, title="整治背街小巷", owner=rw.unit_a,
                                          due_on=today + dt.timedelta(days=10))
    rw.late = meetings.create_action_item(by=rw.admin, alliance=rw.alliance, title="补种绿化", owner=rw.unit_a,
                                          due_on=today - dt.timedelta(days=1))
    return rw


def test_review_figures_per_unit(worked):
    review = services.generate_review(alliance=worked.alliance, quarter=QUARTER, by=worked.admin, pdf=False)
    units = {u["id"]: u for u in review.figures["units"]}
    a, b = units[worked.unit_a.pk], units[worked.unit_b.pk]
    assert a["orders"]["dispatched"] == 3 and a["orders"]["resolved"] == 1 and a["orders"]["rated"] == 1
    assert a["orders"]["satisfied"] == 1 and a["orders"]["on_time"] == 1
    assert a["orders"]["resolution_rate"] == round(1 / 3, 4) and a["orders"]["satisfaction_rate"] == 1.0
    assert a["orders"]["on_time_rate"] == 1.0 and a["orders"]["responded"] == 2
    assert b["orders"]["dispatched"] == 1 and b["orders"]["resolved"] == 0 and b["orders"]["on_time_rate"] is None
    assert a["actions"] == {"opened": 2, "closed": 0, "open_at_end": 2, "overdue": 1}
    assert review.figures["totals"]["orders"]["dispatched"] == 4
    assert review.figures["totals"]["member_units"] == 2
    # The review counts requests where they ended up; its definitions say so (the monthly figures count dispatches).
    assert "按工单计" in review.figures["definitions"]["response_rate"]


def test_snapshot_is_reproducible(worked, waiting):
    review = services.generate_review(alliance=worked.alliance, quarter=QUARTER, by=worked.admin, pdf=False)
    before = review.figures
    waiting(text="新的诉求")
    review.refresh_from_db()
    assert review.figures == before  # the stored review does not move
    newer = services.generate_review(alliance=worked.alliance, quarter=QUARTER, by=worked.admin, pdf=False)
    assert newer.figures["totals"]["orders"]["dispatched"] == before["totals"]["orders"]["dispatched"] + 1
    assert Review.objects.filter(quarter=QUARTER).count() == 2


def test_refusals(worked):
    with pytest.raises(PermissionDenied):
        services.generate_review(alliance=worked.alliance, quarter=QUARTER, by=worked.dispatcher_a)
    with pytest.raises(PermissionDenied):
        services.generate_review(alliance=worked.alliance, quarter=QUARTER, by=worked.liaison_a)
    for bad in ("2026-Q5", "2026Q1", "", "去年"):
        with pytest.raises(DomainError) as exc:
            services.generate_review(alliance=worked.alliance, quarter=bad, by=worked.admin)
        assert exc.value.field == "quarter"
    future = periods.quarter_of(periods.today() + dt.timedelta(days=200))
    with pytest.raises(DomainError) as exc:
        services.generate_review(alliance=worked.alliance, quarter=future, by=worked.admin)
    assert "还没有开始" in exc.value.message
    assert not Review.objects.exists()


def test_scope_and_records_behind(worked):
    review = services.generate_review(alliance=worked.alliance, quarter=QUARTER, by=worked.admin, pdf=False)
    assert selectors.get_review(worked.admin, review.pk) == review
    # community B's dispatcher sees only the units under community B, without the alliance totals
    scoped = selectors.scoped_figures(worked.dispatcher_b, selectors.get_review(worked.dispatcher_b, review.pk))
    assert [u["id"] for u in scoped["units"]] == [worked.unit_b.pk] and scoped["totals"] == {}
    with pytest.raises(NotFound):
        selectors.get_review(worked.liaison_a, review.pk)
    kind, qs = selectors.records_behind(worked.admin, review, source="orders", figure="resolved", unit_id=worked.unit_a.pk)
    assert kind == "orders" and qs.count() == 1
    kind, qs = selectors.records_behind(worked.admin, review, source="orders", figure="dispatched", unit_id=None)
    assert qs.count() == 4
    # community B's dispatcher cannot open unit A's requests through the drill-down
    _, qs = selectors.records_behind(worked.dispatcher_b, review, source="orders", figure="dispatched", unit_id=worked.unit_a.pk)
    assert qs.count() == 0
    kind, qs = selectors.records_behind(worked.admin, review, source="actions", figure="overdue", unit_id=worked.unit_a.pk)
    assert kind == "actions" and list(qs) == [worked.late]


def test_pages(worked, client):
    review = services.generate_review(alliance=worked.alliance, quarter=QUARTER, by=worked.admin, pdf=False)
    client.force_login(worked.admin)
    page = client.get(f"/rhythm/reviews/{review.pk}/").content.decode()
    assert worked.unit_a.name in page and "33.3%" in page
    link = f"/rhythm/reviews/{review.pk}/records/?source=orders&amp;figure=resolved&amp;unit={worked.unit_a.pk}"
    assert link in page
    records = client.get(link.replace("&amp;", "&")).content.decode()
    assert ServiceRequest.objects.get(text="路灯不亮").tracking_number in records
    assert client.get(f"/rhythm/reviews/{review.pk}/records/?source=orders&figure=nope").status_code == 404
    client.force_login(worked.liaison_a)
    assert client.get(f"/rhythm/reviews/{review.pk}/").status_code == 404
    assert client.get("/rhythm/reviews/").status_code == 404


def test_scheduler_makes_the_quarterly_review_and_tells_the_committee(worked):
    from tongxin.notify import scheduler
    from tongxin.notify.models import Notification, ScheduledJob

    services.save_settings(alliance=worked.alliance, by=worked.admin, review_recipients=[worked.admin.pk, worked.dispatcher_a.pk])
    key = services.review_job_key(worked.alliance.pk, QUARTER)
    scheduler.schedule(kind=services.REVIEW_KIND, due_at=timezone.now(), target=worked.alliance,
                       payload={"alliance": worked.alliance.pk, "period": QUARTER}, dedupe_key=key)
    assert scheduler.run_due(worker="t") >= 1
    review = Review.objects.get(quarter=QUARTER)
    assert review.generated_by is None and review.pdf_size > 0
    notes = Notification.objects.filter(verb="rhythm.review", url=f"/rhythm/reviews/{review.pk}/")
    assert {n.recipient for n in notes} == {worked.admin, worked.dispatcher_a}
    assert ScheduledJob.objects.get(dedupe_key=key).status == "done"
    # the next quarter's run is armed; running the same period again is never re-armed
    services.ensure_scheduled(worked.alliance)
    assert ScheduledJob.objects.get(dedupe_key=key).status == "done"


def test_large_review_pdf_comes_from_the_background_task(worked, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "INLINE_PDF_UNITS", 0)
    with django_capture_on_commit_callbacks(execute=True):
        review = services.generate_review(alliance=worked.alliance, quarter=QUARTER, by=worked.admin)
    review.refresh_from_db()
    assert review.pdf and review.pdf.read().startswith(b"%PDF")


def test_schedule_command_arms_every_alliance_once(rw):
    from django.core.management import call_command

    from tongxin.notify.models import ScheduledJob

    call_command("rhythm_schedule", stdout=__import__("io").StringIO())
    call_command("rhythm_schedule", stdout=__import__("io").StringIO())
    kinds = sorted(ScheduledJob.objects.filter(status="pending", payload__alliance=rw.alliance.pk).values_list("kind", flat=True))
    assert kinds == [services.PROMPT_KIND, services.REVIEW_KIND]
