"""Every refusal of the loop is a clear Chinese sentence: wrong state, wrong role and wrong
organisation, for each action of the transition table; the same sentence reaches the page (htmx
row and flashed message) and the API (JSON detail with a code)."""

import pytest
from django.test import Client

from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.orders import services
from tongxin.orders.models import ServiceRequest, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def make(ow, submit):
    """make(stage) -> a request of community A at that stage of the loop."""

    def _make(stage):
        if stage == "wish_submitted":
            return submit(kind="wish", text="想要一把轮椅")
        if stage == "wish_open":
            w = submit(kind="wish", text="想要一把轮椅")
            return services.post_wish(req=w, by=ow.dispatcher_a)
        req = submit()
        if stage == "submitted":
            return req
        services.dispatch(req=req, by=ow.dispatcher_a, unit=ow.unit_a, category=ow.cat["municipal"])
        if stage == "dispatched":
            return req
        services.accept(req=req, by=ow.liaison_a)
        if stage == "accepted":
            return req
        services.complete(req=req, by=ow.liaison_a, result="已修好")
        return req  # done

    return _make


def other_liaison(ow):
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    unit = orgs.create_organization(by=ow.system, parent=ow.community_b, name="乙学校", kind=OrgKind.SCHOOL)
    return ow.user("t-liaison-b", "liaison", unit)


def run(action, req, user, ow):
    s = services
    return {
        "inquire": lambda: s.inquire(req=req, by=user, note="去问问"),
        "dispatch": lambda: s.dispatch(req=req, by=user, unit=ow.unit_a, category=ow.cat["municipal"]),
        "post": lambda: s.post_wish(req=req, by=user),
        "claim": lambda: s.claim_wish(req=req, by=user),
        "accept": lambda: s.accept(req=req, by=user),
        "decline": lambda: s.decline(req=req, by=user, reason="不归我们管"),
        "progress": lambda: s.update_progress(req=req, by=user, note="在办"),
        "complete": lambda: s.complete(req=req, by=user, result="办好了"),
        "rate": lambda: s.rate(req=req, by=user, rating=5),
        "publish": lambda: s.publish(req=req, by=user),
        "cancel": lambda: s.cancel(req=req, by=user, reason="重复"),
    }[action]()


WRONG_STATE = [
    ("inquire", "dispatched", "dispatcher_a", "工单当前状态为“已派单”，不能询单"),
    ("dispatch", "done", "dispatcher_a", "工单当前状态为“已办结”，不能派单"),
    ("post", "submitted", "dispatcher_a", "工单当前状态为“已提交”，不能发布到心愿墙"),  # a service request is no wish
    ("claim", "wish_submitted", "member_a", "工单当前状态为“已提交”，不能认领"),
    ("accept", "submitted", "liaison_a", "工单当前状态为“已提交”，不能接单"),
    ("decline", "accepted", "liaison_a", "工单当前状态为“已接单”，不能退单"),
    ("progress", "dispatched", "liaison_a", "工单当前状态为“已派单”，不能更新进度"),
    ("complete", "dispatched", "liaison_a", "工单当前状态为“已派单”，不能办结"),
    ("rate", "accepted", "resident_a", "工单当前状态为“已接单”，不能评价"),
    ("publish", "accepted", "dispatcher_a", "工单当前状态为“已接单”，不能晒单"),
    ("cancel", "done", "dispatcher_a", "工单当前状态为“已办结”，不能撤销"),
]

WRONG_ROLE = [
    ("inquire", "submitted", "liaison_a", "只有社区派单员可以询单，您的角色不能执行此操作"),
    ("dispatch", "submitted", "liaison_a", "只有社区派单员可以派单，您的角色不能执行此操作"),
    ("post", "wish_submitted", "member_a", "只有社区派单员可以发布到心愿墙，您的角色不能执行此操作"),
    ("claim", "wish_open", "resident_a", "只有党员或成员单位可以认领，您的角色不能执行此操作"),
    ("accept", "dispatched", "dispatcher_a", "只有承办单位可以接单，您的角色不能执行此操作"),
    ("decline", "dispatched", "resident_a", "只有承办单位可以退单，您的角色不能执行此操作"),
    ("progress", "accepted", "member_a", "只有承办单位可以更新进度，您的角色不能执行此操作"),
    ("complete", "accepted", "resident_a", "只有承办单位可以办结，您的角色不能执行此操作"),
    ("rate", "done", "liaison_a", "只有社区派单员或提交人可以评价，您的角色不能执行此操作"),
    ("publish", "done", "liaison_a", "只有社区派单员可以晒单，您的角色不能执行此操作"),
    ("cancel", "dispatched", "liaison_a", "只有社区派单员可以撤销，您的角色不能执行此操作"),
]

WRONG_ORG = [
    ("inquire", "submitted", "dispatcher_b", "该工单不在您的组织范围内，不能询单"),
    ("dispatch", "submitted", "dispatcher_b", "该工单不在您的组织范围内，不能派单"),
    ("post", "wish_submitted", "dispatcher_b", "该工单不在您的组织范围内，不能发布到心愿墙"),
    ("accept", "dispatched", "liaison_b", "该工单不在您的组织范围内，不能接单"),
    ("decline", "dispatched", "liaison_b", "该工单不在您的组织范围内，不能退单"),
    ("progress", "accepted", "liaison_b", "该工单不在您的组织范围内，不能更新进度"),
    ("complete", "accepted", "liaison_b", "该工单不在您的组织范围内，不能办结"),
    ("rate", "done", "dispatcher_b", "该工单不在您的组织范围内，不能评价"),
    ("publish", "done", "dispatcher_b", "该工单不在您的组织范围内，不能晒单"),
    ("cancel", "dispatched", "dispatcher_b", "该工单不在您的组织范围内，不能撤销"),
]


def _user(ow, name):
    return other_liaison(ow) if name == "liaison_b" else getattr(ow, name)


def _check(ow, make, action, stage, who, message, exc_type):
    req = make(stage)
    before = (req.status, req.events.count())
    user = _user(ow, who)
    with pytest.raises(exc_type) as exc:
        run(action, ServiceRequest.objects.get(pk=req.pk), user, ow)
    assert exc.value.message == message
    req.refresh_from_db()
    assert (req.status, req.events.count()) == before  # nothing half-done


@pytest.mark.parametrize("action, stage, who, message", WRONG_STATE, ids=[c[0] for c in WRONG_STATE])
def test_wrong_state(ow, make, action, stage, who, message):
    _check(ow, make, action, stage, who, message, DomainError)


@pytest.mark.parametrize("action, stage, who, message", WRONG_ROLE, ids=[c[0] for c in WRONG_ROLE])
def test_wrong_role(ow, make, action, stage, who, message):
    _check(ow, make, action, stage, who, message, PermissionDenied)


@pytest.mark.parametrize("action, stage, who, message", WRONG_ORG, ids=[c[0] for c in WRONG_ORG])
def test_wrong_organisation(ow, make, action, stage, who, message):
    _check(ow, make, action, stage, who, message, PermissionDenied)


def test_every_action_of_the_table_has_its_three_refusals():
    from tongxin.orders import workflow

    actions = {a for steps in workflow.TRANSITIONS.values() for a in steps} - {"merge"}  # merge: test_workflow
    assert {c[0] for c in WRONG_STATE} == actions
    assert {c[0] for c in WRONG_ROLE} == actions
    assert {c[0] for c in WRONG_ORG} == actions - {"claim"}  # a claim is open to party members anywhere


def test_refusals_reach_the_page(ow, make):
    req = make("dispatched")
    c = Client()
    c.force_login(ow.dispatcher_a)
    r = c.post(f"/orders/{req.pk}/act/accept/", HTTP_HX_REQUEST="true")
    assert "只有承办单位可以接单" in r.content.decode() and 'data-testid="row-error"' in r.content.decode()
    r = c.post(f"/orders/{req.pk}/act/publish/", follow=True)
    assert "工单当前状态为“已派单”，不能晒单" in r.content.decode()
    c.force_login(ow.dispatcher_b)
    assert c.post(f"/orders/{req.pk}/act/cancel/", {"reason": "x"}).status_code == 404  # not even visible
    req.refresh_from_db()
    assert req.status == Status.DISPATCHED


def test_refusals_reach_the_api(ow, make, api):
    req = make("dispatched")
    r = api(ow.dispatcher_a)("post", f"/{req.pk}/publish", {})
    assert r.status_code == 400 and r.json()["code"] == "wrong_state" and r.json()["detail"] == "工单当前状态为“已派单”，不能晒单"
    r = api(ow.resident_a)("post", f"/{req.pk}/accept", {})
    assert r.status_code == 403 and r.json()["detail"] == "只有承办单位可以接单，您的角色不能执行此操作"
    r = api(ow.dispatcher_b)("post", f"/{req.pk}/cancel", {"reason": "重复"})
    assert r.status_code == 404 and r.json()["detail"] == "工单不存在或不在您的权限范围内"
    r = api(ow.resident_a)("post", f"/{req.pk}/rate", {"rating": 5})
    assert r.status_code == 400 and "不能评价" in r.json()["detail"]
