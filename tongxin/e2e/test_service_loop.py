"""The service loop in Chromium: 居民点单 → 社区派单 → 单位接单 → 组织晒单, and a micro-wish from
the wall to its thanks. Each test builds the demo once and drives the pages the way people do."""

import re

import pytest

from .conftest import DESKTOP, PHONE, submit

pytestmark = [pytest.mark.e2e]

PHONE_NO = "13912345678"


def fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], (page.url, width)


def clean_console(page) -> None:
    # Refused forms answer 400 on purpose; anything else in the console is a defect.
    assert [e for e in page.console_errors if "status of 400" not in e] == [], page.console_errors


def test_request_from_phone_to_results_wall(demo, open_page):
    from tongxin.accounts.models import User
    from tongxin.notify.models import Notification
    from tongxin.orders.models import RequestEvent, ServiceRequest, Status

    resident_name = User.objects.get(username="resident").person.name

    # 1. The resident places a request from a phone: text only; community and contact come from the record.
    res = open_page(PHONE, "resident")
    res.goto(f"{res.base}/orders/new/")
    assert "我要点单" in res.locator("h1").inner_text() or "点单" in res.locator("h1").inner_text()
    fits(res, PHONE)
    submit(res, "[data-testid=submit]")  # empty text: refused with a Chinese message, nothing created
    assert "请描述您的诉求" in res.locator("[data-testid=submit-form]").inner_text()
    assert not ServiceRequest.objects.filter(text__contains="占道摆摊").exists()
    res.fill("#text", f"5号楼门口有人占道摆摊，影响通行。我叫{resident_name}，电话{PHONE_NO}")
    submit(res, "[data-testid=submit]")
    res.wait_for_url(re.compile(r"/orders/t/TX\w+/\?k=\w+"))
    number = res.locator("[data-testid=tracking-number]").inner_text().strip()
    track_url = res.url
    assert "已提交" in res.locator("main").inner_text()
    fits(res, PHONE)
    req = ServiceRequest.objects.get(tracking_number=number)
    assert req.community.name == "宁化府社区党委" and req.contact_phone_masked  # pre-filled from the record
    assert req.suggested_category.code == "street_order"

    # 2. The dispatcher dispatches with the suggestion: one click in the inbox.
    disp = open_page(PHONE, "dispatcher")
    disp.goto(f"{disp.base}/orders/inbox/")
    row = disp.locator("[data-testid=inbox-row]", has_text=number)
    assert "建议" in row.inner_text() and "山西饭店" in row.inner_text()
    row.locator("[data-testid=dispatch-suggested]").click()
    disp.wait_for_selector(f"#row-{req.pk} [data-testid=row-done]")
    assert "已派单" in row.inner_text()
    fits(disp, PHONE)
    req.refresh_from_db()
    assert req.status == Status.DISPATCHED and req.assigned_unit.name == "山西饭店" and req.category.code == "street_order"
    liaison = User.objects.get(username="liaison")
    assert Notification.objects.filter(recipient=liaison, verb="order.dispatched", target_id=str(req.pk)).exists()

    # 3. The unit liaison accepts, posts an update and completes, at phone width.
    unit = open_page(PHONE, "liaison")
    unit.goto(f"{unit.base}/orders/unit/")
    urow = unit.locator("[data-testid=unit-row]", has_text=number)
    assert PHONE_NO not in urow.inner_text()
    urow.locator("[data-testid=accept]").click()
    unit.wait_for_selector(f"#row-{req.pk} [data-testid=row-done]")
    unit.goto(f"{unit.base}/orders/{req.pk}/")
    assert "已接单" in unit.locator("main").inner_text()
    unit.fill("[data-testid=progress-form] textarea[name=note]", "已联系城管，明早到现场劝离")
    unit.click("[data-testid=progress-form] button[type=submit]")
    unit.wait_for_load_state("networkidle")
    assert "办理中" in unit.locator("main").inner_text()
    unit.fill("[data-testid=complete-form] textarea[name=result]", f"摊贩已劝离，通道恢复畅通。已电话{PHONE_NO}回访")
    unit.click("[data-testid=complete-form] button[type=submit]")
    unit.wait_for_load_state("networkidle")
    timeline = unit.locator("[data-testid=timeline]").inner_text()
    for verb in ("已提交", "已派单", "已接单", "已联系城管", "已办结"):
        assert verb in timeline, (verb, timeline)
    assert "朱兰" in timeline  # the liaison is named on the timeline; the resident is not
    assert resident_name not in timeline
    fits(unit, PHONE)
    req.refresh_from_db()
    assert req.status == Status.DONE
    resident = User.objects.get(username="resident")
    assert set(Notification.objects.filter(recipient=resident, target_id=str(req.pk)).values_list("verb", flat=True)) >= {
        "order.accepted", "order.done"}

    # 4. The resident rates from the tracking link.
    res.goto(track_url)
    assert "已办结" in res.locator("main").inner_text()
    res.locator("label[for=star5]").click()
    res.fill("[data-testid=rate-form] textarea[name=comment]", "很快就处理好了，谢谢")
    res.click("[data-testid=rate-submit]")
    res.wait_for_load_state("networkidle")
    assert "已评价" in res.locator("main").inner_text()
    req.refresh_from_db()
    assert req.status == Status.RATED and req.rating == 5

    # 5. The dispatcher publishes; the public wall shows it without personal data.
    disp.goto(f"{disp.base}/orders/{req.pk}/")
    disp.click("[data-testid=publish-form] button[type=submit]")
    disp.wait_for_load_state("networkidle")
    assert "已晒单" in disp.locator("main").inner_text()
    assert RequestEvent.objects.filter(request=req).count() >= 6

    public = open_page(PHONE)
    public.goto(f"{public.base}/orders/wall/")
    card = public.locator("[data-testid=wall-card]", has_text="占道摆摊")
    assert card.count() == 1
    text = card.inner_text()
    assert "山西饭店" in text and "★★★★★" in text and "摊贩已劝离" in text
    assert PHONE_NO not in text and resident_name not in text and "5号楼" not in text
    assert PHONE_NO not in public.content()
    fits(public, PHONE)
    for page in (res, disp, unit, public):
        clean_console(page)


def test_micro_wish_posted_claimed_and_fulfilled(demo, open_page):
    from tongxin.orders.models import ServiceRequest, Status

    res = open_page(PHONE, "resident")
    res.goto(f"{res.base}/orders/new/?kind=wish")
    res.fill("#text", "想请人帮忙修一下家里的旧收音机")
    res.click("[data-testid=submit]")
    res.wait_for_url(re.compile(r"/orders/t/TX\w+/"))
    number = res.locator("[data-testid=tracking-number]").inner_text().strip()
    track_url = res.url
    wish = ServiceRequest.objects.get(tracking_number=number)
    assert wish.kind == "wish" and wish.status == Status.SUBMITTED

    disp = open_page(DESKTOP, "dispatcher")
    disp.goto(f"{disp.base}/orders/inbox/")
    disp.locator("[data-testid=inbox-row]", has_text=number).locator("[data-testid=post-wish]").click()
    disp.wait_for_selector(f"#row-{wish.pk} [data-testid=row-done]")

    member = open_page(PHONE, "member")
    member.goto(f"{member.base}/orders/wishes/")
    card = member.locator("[data-testid=wish-card]", has_text="旧收音机")
    card.locator("[data-testid=claim]").click()
    card.locator("text=已认领").wait_for()
    fits(member, PHONE)
    wish.refresh_from_db()
    assert wish.status == Status.ACCEPTED and wish.claimed_by.username == "member"

    # A second claim (the liaison, a moment later) is refused in Chinese; the wall shows it as claimed.
    late = open_page(PHONE, "liaison")
    late.goto(f"{late.base}/orders/wishes/")
    assert late.locator("[data-testid=wish-card]", has_text="旧收音机").locator("[data-testid=claim]").count() == 0

    member.goto(f"{member.base}/orders/{wish.pk}/")
    member.fill("[data-testid=complete-form] textarea[name=result]", "收音机已修好，送到老人家里")
    member.click("[data-testid=complete-form] button[type=submit]")
    member.wait_for_load_state("networkidle")
    assert "已办结" in member.locator("main").inner_text()
    wish.refresh_from_db()
    assert wish.status == Status.DONE

    res.goto(track_url)
    assert "收音机已修好" in res.locator("main").inner_text()
    res.fill("[data-testid=rate-form] textarea[name=comment]", "谢谢您！")
    res.click("[data-testid=rate-submit]")
    res.wait_for_load_state("networkidle")
    wish.refresh_from_db()
    assert wish.status == Status.RATED and wish.rating_comment == "谢谢您！"
    assert "致谢" in res.locator("[data-testid=timeline]").inner_text() or "感谢" in res.locator("[data-testid=timeline]").inner_text()
    for page in (res, disp, member, late):
        fits(page, page.viewport_size)
        clean_console(page)
