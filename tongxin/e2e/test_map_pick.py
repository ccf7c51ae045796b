"""The submit form's map: a visitor picks a point and the community follows the grid it lies in."""

import re

import pytest

from .conftest import PHONE, submit

pytestmark = pytest.mark.e2e


def test_a_point_on_the_map_sets_the_community(demo, open_page):
    from tongxin.orders import selectors
    from tongxin.orders.models import ServiceRequest

    page = open_page(PHONE)  # a visitor: no login
    page.goto(f"{page.base}/orders/new/")
    options = page.locator("#community option[value]:not([value=''])")
    values = [v for v in options.evaluate_all("els => els.map(e => e.value)") if v]
    assert len(values) >= 2
    first = selectors.public_communities().first()  # the map opens on its grids
    other = next(v for v in values if v != str(first.pk))
    page.select_option("#community", other)
    page.locator("summary", has_text="地图").click()
    page.locator("#pick-map").click()  # the middle of the map: inside one of its grids
    page.wait_for_function(f"document.getElementById('community').value === '{first.pk}'")
    label = page.locator("#pick-label").inner_text()
    assert "网格" in label and first.name in label, label
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "放大"

    page.fill("#text", "这里的井盖松动了，踩上去会晃")
    page.fill("input[name=contact_phone]", "13912345678")
    submit(page, "[data-testid=submit]")
    page.wait_for_url(re.compile(r"/orders/t/TX\w+/\?k=\w+"))
    req = ServiceRequest.objects.get(text__startswith="这里的井盖松动了")
    assert req.community_id == first.pk and req.grid is not None and req.lng is not None
    assert page.console_errors == []
