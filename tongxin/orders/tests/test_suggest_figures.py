"""Suggestion from text (simplified and traditional), and the figures' definitions on real rows."""

import datetime as dt

from django.utils import timezone

from tongxin.orders import selectors, services
from tongxin.orders.models import ServiceRequest
from tongxin.orders.suggest import suggest


def test_traditional_text_suggests_like_simplified(ow):
    a = suggest(text="樓下垃圾堆放發臭", alliance=ow.alliance, community=ow.community_a)
    b = suggest(text="楼下垃圾堆放发臭", alliance=ow.alliance, community=ow.community_a)
    assert a["category"] == b["category"] == ow.cat["sanitation"]
    assert any("垃圾" in r for r in a["reasons"])


def test_default_unit_and_grid_explain_themselves(ow):
    cat = ow.cat["elderly_care"]
    cat.default_unit = ow.unit_a
    cat.save()
    s = suggest(text="独居老人行动不便需要送餐", alliance=ow.alliance, grid=ow.grid_a)
    assert s["category"] == cat and s["unit"] == ow.unit_a
    assert any("甲社区第1网格" in r for r in s["reasons"]) and any("默认承办单位是甲医院" in r for r in s["reasons"])


def test_no_keyword_falls_back_to_other(ow):
    s = suggest(text="想咨询一下", alliance=ow.alliance, community=ow.community_a)
    assert s["category"] == ow.cat["other"] and s["unit"] == ow.community_a


def test_category_keywords_are_editable_by_the_admin_only(ow):
    from tongxin.core.errors import PermissionDenied

    services.save_category(alliance=ow.alliance, by=ow.admin, category=ow.cat["parking"], keywords="停车 车位 共享车位")
    assert suggest(text="想要共享车位", alliance=ow.alliance, community=ow.community_a)["category"] == ow.cat["parking"]
    try:
        services.save_category(alliance=ow.alliance, by=ow.dispatcher_a, category=ow.cat["parking"], keywords="x")
        raise AssertionError("dispatcher changed a category")
    except PermissionDenied as exc:
        assert "只有联盟管理员" in exc.message


def test_figures_follow_the_definitions(ow, dispatched):
    late = dispatched()
    ServiceRequest.objects.filter(pk=late.pk).update(accept_due_at=timezone.now() - dt.timedelta(hours=1))
    late.refresh_from_db()
    services.accept(req=late, by=ow.liaison_a)  # accepted after the limit
    on_time = dispatched()
    services.accept(req=on_time, by=ow.liaison_a)
    services.complete(req=on_time, by=ow.liaison_a, result="好了")
    services.rate(req=on_time, by=ow.resident_a, rating=5)
    dispatched()  # not accepted yet
    rows = selectors.figures(ow.admin, by="unit")
    assert len(rows) == 1
    r = rows[0]
    assert (r["name"], r["dispatched"], r["responded"], r["resolved"], r["rated"], r["satisfied"], r["on_time"]) == (
        "甲医院", 3, 1, 1, 1, 1, 1)
    # The third dispatch waits for acceptance before its limit: not yet due, so out of the response rate's base.
    assert r["response_rate"] == round(1 / 2, 4) and r["satisfaction_rate"] == 1.0 and r["on_time_rate"] == 1.0
    assert selectors.figures(ow.dispatcher_b, by="community") == []  # another community sees none of it
