"""Foundation flows in Chromium: register a person (bad input first), reveal a phone, search
across traditional/simplified characters, and find a grid on a map that needs no tile server."""

import re

import pytest

from .conftest import DESKTOP, PHONE, submit

pytestmark = [pytest.mark.e2e]


def test_dispatcher_registers_a_person_and_reveals_the_phone(demo, open_page):
    from tongxin.audit.models import SensitiveRead

    page = open_page(PHONE, "dispatcher")
    page.goto(f"{page.base}/people/new/")
    page.fill("#id_name", "测试居民甲")
    page.select_option("#id_organization", label="宁化府社区党委")
    page.fill("#id_phone", "1381234")
    submit(page, "[data-testid=person-form] button[type=submit]")
    assert "/people/new/" in page.url
    assert "手机号" in page.locator("[data-testid=person-form]").inner_text()
    page.fill("#id_phone", "13912340000")
    submit(page, "[data-testid=person-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/people/\d+/$"))
    assert page.locator("[data-testid=person-name]").inner_text() == "测试居民甲"
    assert "139****0000" in page.locator("[data-testid=personal-data]").inner_text()
    page.click("[data-testid=reveal-phone]")
    page.wait_for_selector("#reveal-phone >> text=13912340000")
    assert SensitiveRead.objects.filter(person__name="测试居民甲", field="phone", actor__username="dispatcher").count() == 1
    page.goto(f"{page.base}/people/")
    assert "13912340000" not in page.locator("main").inner_text()  # lists stay masked
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    # The refused form answered 400 on purpose; anything else in the console is a defect.
    assert [e for e in page.console_errors if "status of 400" not in e] == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_traditional_search_and_offline_grid_map(demo, open_page, viewport):
    page = open_page(viewport, "admin")
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(page.base) and not r.url.startswith("data:") else None)
    page.goto(f"{page.base}/orgs/")
    page.fill("#q", "寧化府")  # traditional 寧 finds simplified 宁
    page.wait_for_selector("main >> text=宁化府社区党委")
    page.goto(f"{page.base}/grids/")
    page.wait_for_selector("[data-testid=grid-map] path.leaflet-interactive")
    assert page.locator("[data-testid=grid-map] path.leaflet-interactive").count() >= 9
    assert page.locator("[data-testid=grid-map] img.leaflet-tile").count() == 0  # no tile server needed
    box = page.locator("[data-testid=grid-map]").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("document.querySelector('[data-testid=locate-result]').innerText.includes('柳巷街道')")
    assert "柳巷街道" in page.locator("[data-testid=locate-result]").inner_text()
    assert outside == []  # works offline: every request stays on this server
    assert page.console_errors == []
