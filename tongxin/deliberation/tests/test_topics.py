"""Raising a topic, the stage ladder and its refusals, scope."""

import pytest

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.deliberation import selectors, services, workflow
from tongxin.deliberation.models import Stage, Topic, TopicEvent
from tongxin.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_resident_raises_topic_in_own_community(dw, raise_topic):
    topic = raise_topic(grid=dw.grid_a, compound="后铁匠巷11号院", building="3号楼")
    assert topic.stage == Stage.ONLINE and topic.community == dw.community_a and topic.alliance == dw.alliance
    assert topic.stage_due_at is not None
    assert TopicEvent.objects.filter(topic=topic, verb="raised").count() == 1
    assert Notification.objects.filter(recipient=dw.dispatcher_a, verb="deliberation.raised").exists()
    from tongxin.notify.models import ScheduledJob

    assert ScheduledJob.objects.filter(kind="deliberation.stage_overdue", target_id=str(topic.pk), status="pending").count() == 1


@pytest.mark.parametrize("field,kw,message", [
    ("title", {"title": "停"}, "请填写议题标题"),
    ("description", {"description": "太挤"}, "请填写议题说明"),
    ("title", {"title": "停" * 81}, "议题标题不能超过 80 字"),
])
def test_bad_input_refused_in_chinese(dw, raise_topic, field, kw, message):
    with pytest.raises(DomainError) as exc:
        raise_topic(**kw)
    assert exc.value.field == field and message in exc.value.message
    assert not Topic.objects.exists()


def test_grid_of_another_community_refused(dw, raise_topic):
    with pytest.raises(DomainError) as exc:
        raise_topic(grid=dw.grid_b, community=dw.community_a)
    assert exc.value.field == "grid" and "不属于" in exc.value.message


def test_resident_cannot_raise_in_other_community(dw, raise_topic):
    with pytest.raises(PermissionDenied) as exc:
        raise_topic(community=dw.community_b)
    assert "不在您的范围内" in exc.value.message


def test_party_member_of_branch_may_raise_in_their_community(dw, raise_topic):
    topic = raise_topic(by=dw.member_a)
    assert topic.community == dw.community_a


def test_anonymous_refused(dw, raise_topic):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        raise_topic(by=AnonymousUser(), community=dw.community_a)


def test_photos_are_cleaned(dw, raise_topic):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(buf, format="PNG")
    topic = raise_topic(photos=[SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")])
    assert topic.photos.count() == 1 and topic.photos.first().image.name.endswith(".jpg")
    with pytest.raises(DomainError) as exc:
        raise_topic(photos=[SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")])
    assert exc.value.field == "photos"


def test_escalate_online_to_property_to_community(dw, raise_topic):
    topic = raise_topic()
    services.escalate(topic=topic, by=dw.dispatcher_a, reason="讨论分歧较大")
    assert Topic.objects.get(pk=topic.pk).stage == Stage.PROPERTY
    services.escalate(topic=topic, by=dw.dispatcher_a)
    topic.refresh_from_db()
    assert topic.stage == Stage.COMMUNITY and topic.stage_due_at is not None
    assert list(topic.events.filter(verb="escalate").values_list("to_stage", flat=True)) == [Stage.PROPERTY, Stage.COMMUNITY]
    with pytest.raises(DomainError) as exc:
        services.escalate(topic=topic, by=dw.dispatcher_a)
    assert "社区党群议事" in exc.value.message


def test_moderator_may_jump_to_community_council(dw, raise_topic):
    topic = raise_topic()
    services.escalate(topic=topic, by=dw.dispatcher_a, to=Stage.COMMUNITY)
    assert Topic.objects.get(pk=topic.pk).stage == Stage.COMMUNITY
    with pytest.raises(DomainError):
        services.escalate(topic=raise_topic(), by=dw.dispatcher_a, to=Stage.RESOLVED)


def test_escalation_refusals_wrong_role_and_wrong_org(dw, raise_topic):
    topic = raise_topic()
    with pytest.raises(PermissionDenied) as exc:
        services.escalate(topic=topic, by=dw.resident_a)
    assert "只有" in exc.value.message
    with pytest.raises(PermissionDenied) as exc:
        services.escalate(topic=topic, by=dw.dispatcher_b)
    assert "不在您的组织范围内" in exc.value.message
    services.escalate(topic=topic, by=dw.admin)  # the street admin moderates every community below


def test_stale_copy_cannot_escalate_twice(dw, raise_topic):
    topic = raise_topic()
    stale = Topic.objects.get(pk=topic.pk)
    services.escalate(topic=topic, by=dw.dispatcher_a)
    with pytest.raises(DomainError) as exc:
        services.escalate(topic=stale, by=dw.dispatcher_a)
    assert exc.value.code == "conflict"
    assert TopicEvent.objects.filter(topic=topic, verb="escalate").count() == 1


def test_close_needs_reason_and_raiser_may_withdraw(dw, raise_topic):
    topic = raise_topic()
    with pytest.raises(DomainError) as exc:
        services.close_topic(topic=topic, by=dw.resident_a, reason="")
    assert exc.value.field == "reason"
    services.close_topic(topic=topic, by=dw.resident_a, reason="物业已自行解决")
    topic.refresh_from_db()
    assert topic.stage == Stage.CLOSED and topic.outcome == "物业已自行解决"
    other = raise_topic()
    services.escalate(topic=other, by=dw.dispatcher_a)
    with pytest.raises(PermissionDenied):
        services.close_topic(topic=other, by=dw.resident_a, reason="不想讨论了")


def test_scope_other_community_cannot_see(dw, raise_topic):
    topic = raise_topic()
    assert selectors.visible_topics(dw.resident_a).filter(pk=topic.pk).exists()
    assert selectors.visible_topics(dw.resident_c).filter(pk=topic.pk).exists()
    assert selectors.visible_topics(dw.member_a).filter(pk=topic.pk).exists()
    assert selectors.visible_topics(dw.dispatcher_a).filter(pk=topic.pk).exists()
    assert selectors.visible_topics(dw.admin).filter(pk=topic.pk).exists()
    assert not selectors.visible_topics(dw.resident_b).filter(pk=topic.pk).exists()
    assert not selectors.visible_topics(dw.dispatcher_b).filter(pk=topic.pk).exists()
    with pytest.raises(DomainError):
        selectors.get_topic(dw.dispatcher_b, topic.pk)


def test_filters(dw, raise_topic):
    t1 = raise_topic(grid=dw.grid_a, compound="后铁匠巷11号院", area=None)
    t2 = raise_topic(title="楼道堆物", description="三楼楼道长期堆放杂物，有消防隐患", building="5号楼")
    services.escalate(topic=t2, by=dw.dispatcher_a)
    assert list(selectors.search(dw.resident_a, stage=Stage.PROPERTY)) == [t2]
    assert list(selectors.search(dw.resident_a, grid=dw.grid_a)) == [t1]
    assert list(selectors.search(dw.resident_a, place="铁匠巷")) == [t1]
    assert list(selectors.search(dw.resident_a, q="堆物")) == [t2]
    assert set(selectors.search(dw.resident_a, stage="open")) == {t1, t2}


def test_allowed_actions(dw, raise_topic):
    topic = raise_topic()
    assert workflow.allowed_actions(dw.resident_a, topic) == ["withdraw"]
    assert set(workflow.allowed_actions(dw.dispatcher_a, topic)) == {"escalate", "withdraw", "resolve", "close"}
    assert workflow.allowed_actions(dw.resident_c, topic) == []
