"""The loop through the services: each transition, its event rows, and each refusal in Chinese."""

import pytest

from tongxin.audit.models import Event, SensitiveRead
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.orders import services, workflow
from tongxin.orders.models import Kind, RequestEvent, ServiceRequest, Status


def test_full_loop_leaves_a_timeline(ow, submit):
    req = submit()
    services.inquire(req=req, by=ow.dispatcher_a, note="上门了解情况")
    services.dispatch(req=req, by=ow.dispatcher_a, use_suggestion=True, unit=ow.unit_a)
    assert req.status == Status.DISPATCHED and req.category == ow.cat["municipal"]
    assert req.accept_due_at > req.dispatched_at and req.finish_due_at > req.accept_due_at
    services.accept(req=req, by=ow.liaison_a)
    services.update_progress(req=req, by=ow.liaison_a, note="已联系供电所")
    services.complete(req=req, by=ow.liaison_a, result="已更换路灯灯泡")
    services.rate(req=req, by=ow.resident_a, rating=5, comment="很快，谢谢")
    services.publish(req=req, by=ow.dispatcher_a)
    req.refresh_from_db()
    assert req.status == Status.PUBLISHED and req.published and req.rating == 5
    verbs = list(RequestEvent.objects.filter(request=req).values_list("verb", flat=True))
    assert verbs == ["submitted", "inquire", "dispatch", "accept", "progress", "complete", "rated", "publish"]
    ev = RequestEvent.objects.get(request=req, verb="accept")
    assert (ev.from_status, ev.to_status, ev.actor) == (Status.DISPATCHED, Status.ACCEPTED, ow.liaison_a)
    assert Event.objects.filter(target_id=str(req.pk), verb__startswith="order.").count() == 8


def test_every_status_in_the_table_is_a_status():
    for status, steps in workflow.TRANSITIONS.items():
        assert status in Status.values
        for action, step in steps.items():
            assert step.to in Status.values and step.who and action in workflow.ACTION_ZH


def test_wrong_state_is_refused(ow, submit):
    req = submit()
    with pytest.raises(DomainError) as exc:
        services.accept(req=req, by=ow.liaison_a)
    assert exc.value.code == "wrong_state" and "当前状态为“已提交”，不能接单" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.rate(req=req, by=ow.resident_a, rating=5)
    assert "不能评价" in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.post_wish(req=req, by=ow.dispatcher_a)  # a service request is not a wish
    assert "不能发布到心愿墙" in exc.value.message


def test_wrong_role_is_refused(ow, submit, dispatched):
    req = submit()
    with pytest.raises(PermissionDenied) as exc:
        services.dispatch(req=req, by=ow.liaison_a, unit=ow.unit_a, category=ow.cat["municipal"])
    assert "只有社区派单员可以派单" in exc.value.message
    with pytest.raises(PermissionDenied) as exc:
        services.dispatch(req=req, by=ow.resident_a, unit=ow.unit_a, category=ow.cat["municipal"])
    assert "只有社区派单员可以派单" in exc.value.message
    req = dispatched()
    with pytest.raises(PermissionDenied) as exc:
        services.accept(req=req, by=ow.dispatcher_a)  # the community cannot accept for a member unit
    assert "只有承办单位可以接单" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.accept(req=req, by=ow.resident_a)


def test_wrong_organisation_is_refused(ow, submit):
    req = submit()
    with pytest.raises(PermissionDenied) as exc:
        services.dispatch(req=req, by=ow.dispatcher_b, unit=ow.unit_a, category=ow.cat["municipal"])
    assert "不在您的组织范围内" in exc.value.message
    liaison_other = ow.user("t-liaison-other", "liaison", ow.community_b)
    services.dispatch(req=req, by=ow.dispatcher_a, unit=ow.unit_a, category=ow.cat["municipal"])
    with pytest.raises(PermissionDenied) as exc:
        services.accept(req=req, by=liaison_other)
    assert "不在您的组织范围内，不能接单" in exc.value.message


def test_unit_outside_the_alliance_is_refused(ow, submit):
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    outsider = orgs.create_organization(by=ow.system, parent=ow.community_a, name="非成员商店", kind=OrgKind.INDIVIDUAL_BUSINESS)
    req = submit()
    with pytest.raises(DomainError) as exc:
        services.dispatch(req=req, by=ow.dispatcher_a, unit=outsider, category=ow.cat["municipal"])
    assert exc.value.field == "unit" and "不是本联盟的成员单位" in exc.value.message
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED


def test_decline_needs_reason_and_goes_back(ow, dispatched):
    req = dispatched()
    with pytest.raises(DomainError) as exc:
        services.decline(req=req, by=ow.liaison_a, reason=" ")
    assert exc.value.field == "reason" and "请填写退单原因" in exc.value.message
    services.decline(req=req, by=ow.liaison_a, reason="不属于本单位职责")
    req.refresh_from_db()
    assert req.status == Status.DECLINED and req.assigned_unit is None and req.last_reason == "不属于本单位职责"
    services.dispatch(req=req, by=ow.dispatcher_a, unit=ow.community_a, category=ow.cat["municipal"])
    services.accept(req=req, by=ow.dispatcher_a)  # the community's own team
    assert req.status == Status.ACCEPTED


def test_unsatisfied_reopens_once_then_escalates(ow, done):
    req = done()
    services.rate(req=req, by=ow.resident_a, rating=1, comment="灯还是不亮")
    req.refresh_from_db()
    assert req.status == Status.REOPENED and req.reopen_count == 1 and req.done_at is None
    services.complete(req=req, by=ow.liaison_a, result="更换了线路")
    services.rate(req=req, by=ow.resident_a, rating=2, comment="还是不行")
    req.refresh_from_db()
    assert req.status == Status.RATED and req.rating == 2 and req.escalation_level == 2
    assert RequestEvent.objects.filter(request=req, verb="escalated").exists()


def test_rating_must_be_1_to_5_and_by_the_resident(ow, done):
    req = done()
    with pytest.raises(DomainError) as exc:
        services.rate(req=req, by=ow.resident_a, rating=6)
    assert exc.value.field == "rating" and "1 到 5" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.rate(req=req, by=ow.liaison_a, rating=5)
    # Anyone holding the access key (the tracking link) is the resident.
    services.rate(req=req, by=None, key=req.access_key, rating=4)
    assert req.status == Status.RATED


def test_cancel_with_reason_and_merge(ow, submit):
    a, b = submit(), submit(text="门口路灯坏了好几天了")
    with pytest.raises(DomainError) as exc:
        services.cancel(req=a, by=ow.resident_a, reason="")
    assert "请填写撤销原因" in exc.value.message
    services.merge(req=b, into=a, by=ow.dispatcher_a)
    b.refresh_from_db()
    assert b.status == Status.MERGED and b.merged_into == a
    with pytest.raises(DomainError) as exc:
        services.merge(req=a, into=b, by=ow.dispatcher_a)
    assert "已合并" in exc.value.message
    services.cancel(req=a, by=ow.resident_a, reason="自己修好了")
    assert a.status == Status.CANCELLED


def test_publish_removes_personal_data(ow, submit):
    req = submit(text="我是张三，电话13800000001，5号楼3单元门口路灯不亮，身份证11010519491231002X")
    services.dispatch(req=req, by=ow.dispatcher_a, unit=ow.unit_a, category=ow.cat["municipal"])
    services.accept(req=req, by=ow.liaison_a)
    services.complete(req=req, by=ow.liaison_a, result="已联系张三，更换灯泡")
    services.publish(req=req, by=ow.dispatcher_a)
    text = req.public_text
    for secret in ("13800000001", "11010519491231002X", "张三", "5号楼"):
        assert secret not in text
    assert "路灯不亮" in text and "更换灯泡" in text


def test_stale_object_cannot_overwrite_a_newer_state(ow, dispatched):
    req = dispatched()
    stale = ServiceRequest.objects.get(pk=req.pk)
    services.accept(req=req, by=ow.liaison_a)
    with pytest.raises(DomainError) as exc:
        services.decline(req=stale, by=ow.liaison_a, reason="晚到的退单")
    assert exc.value.code == "conflict" and "已被他人处理" in exc.value.message
    req.refresh_from_db()
    assert req.status == Status.ACCEPTED


def test_contact_phone_only_after_accepting(ow, dispatched):
    req = dispatched()
    with pytest.raises(PermissionDenied) as exc:
        services.reveal_contact(req=req, by=ow.liaison_a)
    assert "接单后才能查看" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.reveal_contact(req=req, by=ow.dispatcher_b)
    services.accept(req=req, by=ow.liaison_a)
    assert services.reveal_contact(req=req, by=ow.liaison_a, purpose="联系上门") == "13800000001"
    assert Event.objects.filter(verb="order.contact_revealed", actor=ow.liaison_a).count() == 1
    assert SensitiveRead.objects.filter(actor=ow.liaison_a, person=ow.person_a, field="phone").count() == 1
    assert not RequestEvent.objects.get(request=req, verb="contact_revealed").public


def test_micro_wish_post_claim_fulfil_thank(ow, image_file):
    wish = services.submit_request(by=ow.resident_a, kind=Kind.WISH, text="希望有人教我用智能手机挂号")
    services.post_wish(req=wish, by=ow.dispatcher_a)
    assert wish.status == Status.OPEN
    with pytest.raises(PermissionDenied):
        services.claim_wish(req=wish, by=ow.resident_a)  # residents do not claim
    services.claim_wish(req=wish, by=ow.member_a)
    assert wish.status == Status.ACCEPTED and wish.claimed_by == ow.member_a
    with pytest.raises(DomainError) as exc:
        services.claim_wish(req=ServiceRequest.objects.get(pk=wish.pk), by=ow.liaison_a)
    assert "该心愿已被认领" in exc.value.message
    services.complete(req=wish, by=ow.member_a, result="上门教了两次，已学会", photos=[image_file()])
    services.thank(req=wish, by=ow.resident_a, message="谢谢党员同志")
    wish.refresh_from_db()
    assert wish.status == Status.RATED and wish.rating is None and wish.rating_comment == "谢谢党员同志"
    assert RequestEvent.objects.filter(request=wish, verb="thanked").exists()


def test_claim_for_a_unit_needs_its_liaison(ow):
    wish = services.submit_request(by=ow.resident_a, kind=Kind.WISH, text="想要一批儿童图书")
    services.post_wish(req=wish, by=ow.dispatcher_a)
    with pytest.raises(PermissionDenied) as exc:
        services.claim_wish(req=wish, by=ow.member_a, unit=ow.unit_a)
    assert "不是甲医院的联络员" in exc.value.message
    services.claim_wish(req=wish, by=ow.liaison_a, unit=ow.unit_a)
    assert wish.assigned_unit == ow.unit_a
