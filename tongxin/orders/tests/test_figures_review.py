"""Review of the figures: every dispatch counts for the unit it went to (a re-dispatch no longer
hides a unit's miss), per community a request counts by its first dispatch, what is not yet due
is no failure, the API honours since/until and month (a bad date is a Chinese 400), and the page
chooses a month and shows the counts behind each rate."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tongxin.orders import selectors, services
from tongxin.orders.models import RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def local(y, m, d, h=9):
    return dt.datetime(y, m, d, h, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def unit_c(ow):
    """A second member unit (with its own liaison) to re-dispatch to."""
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    unit = orgs.create_organization(by=ow.system, parent=ow.community_a, name="丙物业", kind=OrgKind.PROPERTY_COMPANY)
    orgs.add_member(alliance=ow.alliance, organization=unit, by=ow.system, joined_on=dt.date(2024, 1, 1))
    unit.liaison = ow.user("t-liaison-c", "liaison", unit)
    return unit


def move_dispatches(req, *whens):
    """Put the request's dispatch events (oldest first) at `whens`, and dispatched_at at the last."""
    events = list(RequestEvent.objects.filter(request=req, verb="dispatch").order_by("created_at", "id"))
    assert len(events) == len(whens)
    for ev, when in zip(events, whens, strict=True):
        RequestEvent.objects.filter(pk=ev.pk).update(created_at=when)
    ServiceRequest.objects.filter(pk=req.pk).update(dispatched_at=whens[-1])


def by_name(rows):
    return {(r["month"], r["name"]): r for r in rows}


def test_a_unit_that_lost_a_request_to_a_redispatch_keeps_its_miss(ow, dispatched, unit_c):
    # Unit A lets the first request lapse; the dispatcher sends it on to unit C, which accepts.
    lapsed = dispatched()
    services.dispatch(req=lapsed, by=ow.dispatcher_a, unit=unit_c, category=ow.cat["municipal"])
    services.accept(req=lapsed, by=unit_c.liaison)
    # Unit A declines the second; it goes to unit C, which accepts.
    declined = dispatched()
    services.decline(req=declined, by=ow.liaison_a, reason="不属于我院职责")
    services.dispatch(req=declined, by=ow.dispatcher_a, unit=unit_c, category=ow.cat["municipal"])
    services.accept(req=declined, by=unit_c.liaison)
    move_dispatches(lapsed, local(2024, 2, 28), local(2024, 3, 5))
    move_dispatches(declined, local(2024, 3, 4), local(2024, 3, 5))

    rows = by_name(selectors.figures(ow.admin, by="unit", since=dt.date(2024, 2, 1), until=dt.date(2024, 3, 31)))
    assert set(rows) == {("2024-02", "甲医院"), ("2024-03", "甲医院"), ("2024-03", "丙物业")}
    for key in (("2024-02", "甲医院"), ("2024-03", "甲医院")):  # the miss stays with unit A, in its dispatch's month
        r = rows[key]
        assert (r["dispatched"], r["responded"], r["response_base"], r["response_rate"]) == (1, 0, 1, 0.0)
        assert (r["resolved"], r["resolution_base"]) == (0, 1)
    c = rows[("2024-03", "丙物业")]
    assert (c["dispatched"], c["responded"], c["response_rate"]) == (2, 2, 1.0)

    # Scope: each liaison sees the dispatches to its own unit, not the other unit's row.
    mine = selectors.figures(ow.liaison_a, by="unit", since=dt.date(2024, 2, 1), until=dt.date(2024, 3, 31))
    assert {(r["month"], r["name"], r["dispatched"]) for r in mine} == {("2024-02", "甲医院", 1), ("2024-03", "甲医院", 1)}
    theirs = selectors.figures(unit_c.liaison, by="unit", since=dt.date(2024, 2, 1), until=dt.date(2024, 3, 31))
    assert [(r["name"], r["dispatched"]) for r in theirs] == [("丙物业", 2)]
    assert selectors.figures(ow.dispatcher_b, by="unit", since=dt.date(2024, 2, 1), until=dt.date(2024, 3, 31)) == []

    # Per community: each request once, in the month of its first dispatch (not of the re-dispatch).
    com = selectors.figures(ow.admin, by="community", since=dt.date(2024, 2, 1), until=dt.date(2024, 3, 31))
    assert [(r["month"], r["name"], r["dispatched"], r["responded"]) for r in com] == [
        ("2024-03", "甲社区党委", 1, 1), ("2024-02", "甲社区党委", 1, 1)]


def test_what_is_not_yet_due_is_pending_not_a_failure(ow, dispatched):
    now = timezone.now()
    waiting = dispatched()  # acceptance deadline ahead: pending
    [r] = selectors.figures(ow.admin, by="unit")  # a unit whose only dispatch is not yet due has no rate, not 0 %
    assert (r["dispatched"], r["response_base"], r["response_rate"], r["resolution_rate"]) == (1, 0, None, None)
    lapsed = dispatched()
    ServiceRequest.objects.filter(pk=lapsed.pk).update(accept_due_at=now - dt.timedelta(hours=1))
    working = dispatched()  # accepted, completion deadline ahead: pending for resolution
    services.accept(req=working, by=ow.liaison_a)
    overdue = dispatched()
    services.accept(req=overdue, by=ow.liaison_a)
    ServiceRequest.objects.filter(pk=overdue.pk).update(finish_due_at=now - dt.timedelta(hours=1))
    finished = dispatched()
    services.accept(req=finished, by=ow.liaison_a)
    services.complete(req=finished, by=ow.liaison_a, result="已修好")
    assert waiting.accept_due_at > now and lapsed.finish_due_at > now

    for by in ("unit", "community"):
        [r] = selectors.figures(ow.admin, by=by)  # the current month by default
        assert (r["dispatched"], r["pending_accept"], r["responded"], r["response_base"]) == (5, 1, 3, 4), by
        assert r["response_rate"] == 0.75
        # Waiting, lapsed (completion still ahead) and working are not yet due for resolution.
        assert (r["pending_finish"], r["resolved"], r["resolution_base"], r["resolution_rate"]) == (3, 1, 2, 0.5)
        # On time: the finished one in time, against it the overdue one still open.
        assert (r["on_time"], r["overdue"], r["on_time_base"], r["on_time_rate"]) == (1, 1, 2, 0.5)


    definitions = selectors.figure_definitions("unit")
    assert set(definitions) >= {"basis", "dispatched", "pending", "response_rate", "resolution_rate",
                                "satisfaction_rate", "on_time_rate"}


def test_the_api_honours_since_until_and_month(ow, api, dispatched):
    dispatched()  # this month
    old = dispatched()
    move_dispatches(old, local(2024, 3, 10))
    call = api(ow.dispatcher_a)

    body = call("get", "/figures?by=community&since=2030-01-01&until=2030-02-01").json()
    assert (body["by"], body["since"], body["until"], body["rows"]) == ("community", "2030-01-01", "2030-02-01", [])
    body = call("get", "/figures?by=community&since=2024-03-01&until=2024-03-31").json()
    assert [(r["month"], r["dispatched"]) for r in body["rows"]] == [("2024-03", 1)]
    body = call("get", "/figures?month=2024-03").json()
    assert (body["by"], body["since"], body["until"]) == ("unit", "2024-03-01", "2024-03-31")
    assert [(r["month"], r["name"], r["dispatched"]) for r in body["rows"]] == [("2024-03", "甲医院", 1)]
    body = call("get", "/figures").json()  # nothing given: the current month
    assert [(r["month"], r["dispatched"]) for r in body["rows"]] == [(timezone.localdate().strftime("%Y-%m"), 1)]
    body = call("get", "/figures?month=last12&by=community").json()
    assert len(body["rows"]) == 1 and body["until"] >= timezone.localdate().isoformat()
    assert "basis" in body["definitions"]


@pytest.mark.parametrize("query, field", [
    ("since=2030-13-01", "since"), ("since=2030/01/01", "since"), ("until=abc", "until"), ("since=2030-1-1", "since"),
    ("month=2030-1", "month"), ("month=2030-00", "month"), ("since=2030-02-01&until=2030-01-01", "since"),
    ("month=2030-01&since=2030-01-01", "month"),
])
def test_bad_dates_are_a_chinese_400(ow, api, query, field):
    r = api(ow.dispatcher_a)("get", f"/figures?by=community&{query}")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["field"] == field and CJK.search(body["detail"]), body


def test_the_page_chooses_a_month_and_shows_the_counts(ow, client, dispatched, done):
    finished = done()
    services.rate(req=finished, by=ow.resident_a, rating=5)
    lapsed = dispatched()
    ServiceRequest.objects.filter(pk=lapsed.pk).update(accept_due_at=timezone.now() - dt.timedelta(hours=1))
    dispatched()  # not yet due
    old = dispatched()
    move_dispatches(old, local(2024, 3, 10))
    client.force_login(ow.dispatcher_a)
    this_month = timezone.localdate().strftime("%Y-%m")

    page = client.get("/orders/figures/").content.decode()
    table = page.split('data-testid="figures"', 1)[1].split("</table>", 1)[0]
    assert table.count('data-testid="figures-row"') == 1 and this_month in table and "2024-03" not in table
    assert re.search(r'data-testid="response">\s*50%<div class="small text-muted">1/2<br>', table)  # 1 of 2 due, 1 pending
    assert re.search(r'data-testid="satisfaction">\s*100%<div class="small text-muted">1/1<', table)
    # Headers stay on one line at phone width; the table scrolls sideways instead.
    head = table.split("</thead>", 1)[0]
    assert len(re.findall(r"<th class=\"[^\"]*text-nowrap[^\"]*\">", head)) == 7 and '<div class="table-responsive">' in page
    # The month selector: the current month chosen, the last 12 months and "last 12 months" offered.
    form = page.split('data-testid="figures-month"', 1)[1].split("</form>", 1)[0]
    assert f'<option value="{this_month}" selected>' in form and form.count("<option") == 13
    assert 'value="last12"' in form and 'name="by" value="unit"' in form

    page = client.get("/orders/figures/?month=2024-03&by=community").content.decode()
    table = page.split('data-testid="figures"', 1)[1].split("</table>", 1)[0]
    assert table.count('data-testid="figures-row"') == 1 and "2024-03" in table and "甲社区党委" in table
    assert '<option value="2024-03" selected>' in page  # an older month asked for stays selectable
    assert "?by=unit&amp;month=2024-03" in page  # switching unit/community keeps the month

    page = client.get("/orders/figures/?month=last12").content.decode()
    assert page.count('data-testid="figures-row"') == (1 if "2024-03" < selectors.figure_months()[-1] else 2)
    page = client.get("/orders/figures/?month=2024-13").content.decode()
    assert 'data-testid="bad-month"' in page and f'<option value="{this_month}" selected>' in page
