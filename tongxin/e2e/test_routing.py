"""Learned routing in Chromium: the alliance admin on a phone sees that the rules serve, the
history grows, "Retrain now" trains a model in the background, and "Try a text" shows the
learned suggestion with its reason (traditional characters and symbols included)."""

import random

import pytest

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.e2e]


def fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], (page.url, width)


def add_history(n_per_class: int = 14) -> None:
    """Handled requests of the demo alliance, made up from the test generator's words."""
    from django.utils import timezone

    from tongxin.orders.models import Category, ServiceRequest, Status
    from tongxin.orgs.models import Alliance, Organization
    from tongxin.routing.tests.conftest import make_text

    alliance = Alliance.objects.order_by("id").first()
    cats = {c.code: c for c in Category.objects.filter(alliance=alliance)}
    community = ServiceRequest.objects.order_by("id").first().community
    unit = Organization.objects.get(name="国网迎泽供电中心")
    rng = random.Random(7)
    rows = []
    for i in range(n_per_class * 3):
        code = ("municipal", "sanitation", "parking")[i % 3]
        rows.append(ServiceRequest(tracking_number=f"E2EH{i:04d}", access_key="k", alliance=alliance, community=community,
                                   text=make_text(rng, code), category=cats[code], status=Status.DONE, done_at=timezone.now(),
                                   assigned_unit=unit if code == "municipal" else community))
    ServiceRequest.objects.bulk_create(rows)


def test_admin_retrains_and_tries_a_text(demo, open_page):
    from tongxin.routing.models import RoutingModel

    page = open_page(PHONE, "admin")
    page.goto(f"{page.base}/routing/")
    assert "智能分派" in page.locator("h1").inner_text()
    assert "至少需要 30 条" in page.locator("[data-testid=target-category]").inner_text()
    fits(page, PHONE)
    # no model yet: the try form answers with the keyword rules only
    page.fill("#try-text", "小区门口路灯坏了")
    page.click("[data-testid=try]")
    page.wait_for_selector("[data-testid=try-result]")
    assert page.locator("[data-testid=no-learned]").count() == 1
    assert "市政设施" in page.locator("[data-testid=rules-category]").inner_text()

    add_history()
    page.click("[data-testid=retrain]")
    page.wait_for_selector("[data-testid=queued]")
    assert RoutingModel.objects.filter(active=True).count() == 2
    page.reload()
    assert "留出检验宏F1" in page.locator("[data-testid=target-category]").inner_text()
    assert page.locator("[data-testid=run-row]").count() == 2
    fits(page, PHONE)

    page.fill("#try-text", "學校後街的私家車(chē)天天停在草坪上！！★")
    page.click("[data-testid=try]")
    page.wait_for_selector("[data-testid=learned-category]")
    assert page.locator("[data-testid=learned-category]").inner_text() == "停车管理"
    assert "智能分派模型" in page.locator("[data-testid=learned-reason]").inner_text()
    fits(page, PHONE)

    desk = open_page(DESKTOP, "admin")
    desk.goto(f"{desk.base}/routing/")
    fits(desk, DESKTOP)
    assert [e for e in page.console_errors + desk.console_errors if "status of 400" not in e] == []


def test_dispatcher_cannot_open_routing(demo, open_page):
    page = open_page(PHONE, "dispatcher")
    resp = page.goto(f"{page.base}/routing/")
    assert resp.status == 404
