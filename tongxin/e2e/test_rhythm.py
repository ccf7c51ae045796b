"""一月一提示，一季一调度 in Chromium: the admin opens the quarterly review and downloads its PDF;
the scheduler sends the monthly prompt and the liaison finds it in the notification inbox, listing
an open action item of their unit."""

import datetime as dt

import pytest

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.e2e]


def fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], (page.url, width)


def test_admin_generates_the_quarterly_review_and_downloads_the_pdf(demo, open_page):
    from tongxin.rhythm.models import Review

    admin = open_page(DESKTOP, "admin")
    admin.goto(f"{admin.base}/rhythm/")
    assert admin.locator("[data-testid=month-stats]").count() == 1
    admin.goto(f"{admin.base}/rhythm/reviews/")
    admin.select_option("select[name=quarter]", index=0)  # this quarter: the demo's work happened in it
    admin.click("[data-testid=generate-review]")
    admin.wait_for_url("**/rhythm/reviews/*/")
    review = Review.objects.latest("generated_at")
    table = admin.locator("[data-testid=review-units]")
    assert "山西饭店" in table.inner_text()
    # every count links to the records behind it
    link = table.locator("a[data-figure=dispatched]").first
    expected = link.inner_text().strip()
    link.click()
    admin.wait_for_url("**/records/**")
    assert admin.locator("[data-testid=record-count]").inner_text().strip() == expected
    admin.go_back()
    with admin.expect_download() as info:
        admin.click("[data-testid=download-pdf]")
    download = info.value
    data = open(download.path(), "rb").read()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert download.suggested_filename == f"tongxin-review-{review.quarter}.pdf"
    assert admin.console_errors == []

    phone = open_page(PHONE, "admin")
    phone.goto(f"{phone.base}/rhythm/reviews/{review.pk}/")
    fits(phone, PHONE)


def test_liaison_finds_the_monthly_prompt_with_an_open_action_item(demo, open_page):
    from django.utils import timezone

    from tongxin.accounts.models import User
    from tongxin.meetings.services import create_action_item
    from tongxin.notify import scheduler
    from tongxin.orgs.models import Alliance
    from tongxin.rhythm import periods, services

    admin = User.objects.get(username="admin")
    unit = User.objects.get(username="liaison").role_assignments.first().organization
    alliance = Alliance.objects.get(core_organization__path=admin.role_assignments.first().organization.path)
    item = create_action_item(by=admin, alliance=alliance, title="门前三包路段周末集中清扫", owner=unit,
                              due_on=timezone.localdate() + dt.timedelta(days=20))
    # the scheduler's monthly run (next month: this month's demo prompt is already out)
    period = periods.month_of(periods.next_month_start(periods.today()))
    scheduler.schedule(kind=services.PROMPT_KIND, due_at=timezone.now(), target=alliance,
                       payload={"alliance": alliance.pk, "period": period}, dedupe_key=services.prompt_job_key(alliance.pk, period))
    assert scheduler.run_due(worker="e2e") >= 1

    page = open_page(PHONE, "liaison")
    page.goto(f"{page.base}/notifications/")
    prompt = page.locator("main").get_by_text(f"{int(period[:4])}年{int(period[5:])}月工作提示").first
    assert prompt.count() == 1
    assert item.title in page.locator("main").inner_text()
    fits(page, PHONE)
    page.goto(f"{page.base}/rhythm/prompts/")
    page.locator("[data-testid=prompts] a").first.click()
    page.wait_for_url("**/rhythm/prompts/*/")
    section = page.locator("[data-testid=section-action_items]")
    assert item.title in section.inner_text()
    fits(page, PHONE)
    assert page.console_errors == []
