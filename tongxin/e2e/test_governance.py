"""Agreements in Chromium: an admin drafts a co-building agreement with an obligation owed by a
member unit and puts it in force; the unit's liaison records the fulfilment from a phone; the
agreement page shows it."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from .conftest import DESKTOP, PHONE, submit

pytestmark = [pytest.mark.e2e]


def fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], (page.url, width)


def clean_console(page) -> None:
    assert [e for e in page.console_errors if "status of 400" not in e] == [], page.console_errors


def photo_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 140, 60)).save(buf, format="JPEG")
    return buf.getvalue()


def test_agreement_obligation_and_fulfilment_from_a_phone(demo, open_page):
    from tongxin.governance.models import Agreement, Fulfilment

    today = timezone.localdate()
    agreements, fulfilments = Agreement.objects.count(), Fulfilment.objects.count()  # the demo has its own
    start, end = today - dt.timedelta(days=30), today + dt.timedelta(days=335)

    # 1. The admin drafts the agreement; a term ending before it starts is refused in Chinese.
    admin = open_page(DESKTOP, "admin")
    admin.goto(f"{admin.base}/agreements/new/")
    admin.fill("#id_title", "宁化府社区与山西饭店第二期共驻共建协议书")
    admin.get_by_label("宁化府社区党委", exact=True).check()
    admin.get_by_label("山西饭店", exact=True).check()
    admin.fill("#id_starts_on", start.isoformat())
    admin.fill("#id_ends_on", (start - dt.timedelta(days=1)).isoformat())
    admin.fill("#id_signed_on", start.isoformat())
    submit(admin, "[data-testid=save]")
    assert "早于开始日期" in admin.locator("[data-testid=agreement-form]").inner_text()
    assert Agreement.objects.count() == agreements
    admin.fill("#id_ends_on", end.isoformat())
    admin.click("[data-testid=save]")
    admin.wait_for_selector("[data-testid=agreement-title]")
    ag = Agreement.objects.latest("id")
    assert ag.title == "宁化府社区与山西饭店第二期共驻共建协议书"
    assert "草稿" in admin.locator("[data-testid=status]").inner_text()

    # 2. An obligation owed by the hotel, then the agreement goes into force.
    admin.click("[data-testid=add-obligation]")
    admin.fill("#id_title", "每月清扫门前 100 米道路")
    admin.select_option("#id_debtor", label="山西饭店")
    admin.select_option("#id_area", label="环境联抓")
    admin.select_option("#id_recurrence", value="monthly")
    admin.click("[data-testid=save]")
    admin.wait_for_selector("[data-testid=obligation]")
    admin.click("[data-testid=activate]")
    admin.wait_for_load_state("networkidle")
    assert "生效中" in admin.locator("[data-testid=status]").inner_text()
    clean_console(admin)

    # 3. The hotel's liaison, on a phone, finds it under "my obligations" and records it with a photo.
    liaison = open_page(PHONE, "liaison")
    liaison.goto(f"{liaison.base}/agreements/mine/")
    card = liaison.locator("[data-testid=my-obligation]", has_text=ag.title).first
    fits(liaison, PHONE)
    card.locator("[data-testid=record-fulfilment]").click()
    liaison.wait_for_selector("[data-testid=fulfil-form]")
    fits(liaison, PHONE)
    submit(liaison, "[data-testid=save]")  # no note: refused, nothing recorded
    assert "请写明履行情况" in liaison.locator("[data-testid=fulfil-form]").inner_text()
    assert Fulfilment.objects.count() == fulfilments
    liaison.fill("#id_note", "组织职工清扫门前道路，劝离占道摊点 3 处")
    liaison.set_input_files("#photos", files=[{"name": "门前.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}])
    liaison.click("[data-testid=save]")
    liaison.wait_for_url(f"{liaison.base}/agreements/mine/")
    f = Fulfilment.objects.latest("id")
    assert f.recorded_by.username == "liaison" and f.photos.count() == 1
    liaison.goto(f"{liaison.base}/agreements/{ag.pk}/")
    fits(liaison, PHONE)
    assert "劝离占道摊点" in liaison.locator("[data-testid=fulfilment]").first.inner_text()
    clean_console(liaison)

    # 4. The agreement page shows it to the admin, with the photo and the timeline entry.
    admin.goto(f"{admin.base}/agreements/{ag.pk}/")
    ob = admin.locator("[data-testid=obligation]").first
    assert "劝离占道摊点" in ob.inner_text() and "1/" in ob.locator("[data-testid=progress]").inner_text()
    assert ob.locator("img").count() == 1
    # The photo is lazy-loaded: bring it into view and wait for it rather than read its size at once.
    ob.locator("img").scroll_into_view_if_needed()
    admin.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=obligation] img'); return i && i.complete && i.naturalWidth > 0; }",
        timeout=10_000,
    )
    assert "登记履行" in admin.locator("[data-testid=timeline]").inner_text()


def test_liaison_draws_the_road_in_front_of_the_unit(demo, open_page):
    """Tapping the map draws the line; the request reported on it is suggested to the unit."""
    from tongxin.governance.models import RoadSegment

    before = RoadSegment.objects.count()
    page = open_page(PHONE, "liaison")
    page.goto(f"{page.base}/agreements/segments/new/")
    page.wait_for_selector("#segment-map.leaflet-container")
    fits(page, PHONE)
    page.fill("#id_name", "山西饭店后门小巷")
    submit(page, "[data-testid=save]")  # nothing drawn: refused in Chinese
    assert "请在地图上画出路段" in page.locator("[data-testid=segment-form]").inner_text()
    page.wait_for_selector("#segment-map.leaflet-container")
    page.locator("#segment-map").scroll_into_view_if_needed()
    box = page.locator("#segment-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.wait_for_timeout(400)  # not a double click (which would zoom)
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.3)
    assert page.locator("#draw-count").inner_text() == "2"
    assert '"LineString"' in page.input_value("#id_geometry")
    page.click("[data-testid=save]")
    page.wait_for_url(f"{page.base}/agreements/segments/")
    assert RoadSegment.objects.count() == before + 1
    seg = RoadSegment.objects.latest("id")
    assert seg.unit.name == "山西饭店" and seg.kind == "line" and seg.name == "山西饭店后门小巷"
    assert "山西饭店后门小巷" in page.locator("[data-testid=segment-list]").inner_text()
    clean_console(page)
