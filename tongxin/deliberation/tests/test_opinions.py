"""Opinions and moderation: hidden with a reason, visible to moderators and in the history, not to others."""

import pytest

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.deliberation import selectors, services
from tongxin.deliberation.models import Opinion

pytestmark = pytest.mark.django_db


def test_participants_give_opinions(dw, raise_topic):
    topic = raise_topic()
    services.add_opinion(topic=topic, by=dw.resident_c, text="建议晚上给居民留车位")
    services.add_opinion(topic=topic, by=dw.member_a, text="党员可以带头错峰停车")
    assert [o.text for o in selectors.opinions(dw.resident_a, topic)] == ["建议晚上给居民留车位", "党员可以带头错峰停车"]


def test_outsiders_and_bad_text_refused(dw, raise_topic):
    topic = raise_topic()
    with pytest.raises(PermissionDenied) as exc:
        services.add_opinion(topic=topic, by=dw.resident_b, text="我也想说两句")
    assert "不能参与" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.add_opinion(topic=topic, by=dw.resident_c, text=" ")
    assert exc.value.field == "text"
    services.close_topic(topic=topic, by=dw.dispatcher_a, reason="重复议题")
    with pytest.raises(DomainError):
        services.add_opinion(topic=topic, by=dw.resident_c, text="还没说完")


def test_hide_with_reason(dw, raise_topic):
    topic = raise_topic()
    bad = services.add_opinion(topic=topic, by=dw.resident_c, text="某某家的车就是乱停，电话13912345678")
    ok = services.add_opinion(topic=topic, by=dw.resident_d, text="同意错时停车")
    with pytest.raises(PermissionDenied):
        services.hide_opinion(opinion=bad, by=dw.resident_a, reason="泄露隐私")
    with pytest.raises(PermissionDenied):
        services.hide_opinion(opinion=bad, by=dw.dispatcher_b, reason="泄露隐私")
    with pytest.raises(DomainError) as exc:
        services.hide_opinion(opinion=bad, by=dw.dispatcher_a, reason="")
    assert exc.value.field == "reason"
    services.hide_opinion(opinion=bad, by=dw.dispatcher_a, reason="含他人电话号码")
    with pytest.raises(DomainError):
        services.hide_opinion(opinion=bad, by=dw.dispatcher_a, reason="再次隐藏")
    assert selectors.opinions(dw.resident_a, topic) == [ok]
    assert selectors.public_opinions(topic) == [ok]
    mod = selectors.opinions(dw.dispatcher_a, topic)
    assert mod == [bad, ok] and mod[0].hidden_reason == "含他人电话号码"
    assert bad in selectors.opinions(dw.resident_c, topic)  # the author still sees their own, marked hidden
    hist = list(Opinion.history.filter(id=bad.pk).order_by("history_date"))
    assert hist[0].hidden_at is None and hist[-1].hidden_at is not None and hist[-1].history_change_reason == "含他人电话号码"
    ev = topic.events.get(verb="opinion_hidden")
    assert not ev.public and ev.note == "含他人电话号码"
    services.restore_opinion(opinion=bad, by=dw.dispatcher_a, reason="已核实为公开信息")
    assert bad in selectors.opinions(dw.resident_a, topic)


def test_names_masked(dw, raise_topic):
    topic = raise_topic()
    op = services.add_opinion(topic=topic, by=dw.resident_a, text="希望尽快解决")
    staff = services.add_opinion(topic=topic, by=dw.dispatcher_a, text="社区已联系商铺")
    assert selectors.author_label(op) == "张*"
    assert selectors.author_label(op, full=True) == "张三"
    assert selectors.author_label(staff) == "社区工作人员"
