"""Category editing by the alliance admin: list, create, edit keywords/time limits/default unit,
deactivate; refused in Chinese for bad input, 404 for everyone else."""

import pytest

from tongxin.audit.models import Event
from tongxin.orders import services
from tongxin.orders.models import Category

pytestmark = pytest.mark.django_db


def form(**kw):
    data = {"name": "噪音扰民", "code": "noise", "accept_hours": "8", "finish_days": "3", "keywords": "噪音，装修 广场舞",
            "default_unit": "", "sort": "15", "active": "1"}
    data.update(kw)
    return data


def test_admin_lists_creates_and_edits(ow, client):
    client.force_login(ow.admin)
    page = client.get("/orders/categories/").content.decode()
    assert "工单分类" in page and "市政设施" in page and "停用" in page
    r = client.post("/orders/categories/new/", form(default_unit=str(ow.unit_a.pk)))
    assert r.status_code == 302
    cat = Category.objects.get(alliance=ow.alliance, code="noise")
    assert (cat.name, cat.accept_hours, cat.finish_days, cat.default_unit, cat.active) == ("噪音扰民", 8, 3, ow.unit_a, True)
    assert cat.keyword_list == ["噪音", "装修", "广场舞"]
    # The suggestion uses it at once: text → category → default unit.
    req = services.submit_request(by=ow.resident_a, text="楼下广场舞太吵了")
    assert req.suggested_category == cat and req.suggestion["unit_id"] == ow.unit_a.pk

    r = client.post(f"/orders/categories/{cat.pk}/", form(name="噪音", accept_hours="4", default_unit="", reason="按新规定"))
    assert r.status_code == 302
    cat.refresh_from_db()
    assert (cat.name, cat.accept_hours, cat.default_unit) == ("噪音", 4, None)
    ev = Event.objects.filter(verb="order_category.saved", reason="按新规定").get()
    assert ev.actor == ow.admin and ev.payload["accept_hours"] == [8, 4]
    edit = client.get(f"/orders/categories/{cat.pk}/").content.decode()
    assert "编辑分类" in edit and 'value="噪音"' in edit


def test_deactivate_hides_from_form_and_suggestion(ow, client):
    client.force_login(ow.admin)
    greening = ow.cat["greening"]
    assert client.post(f"/orders/categories/{greening.pk}/active/").status_code == 302
    greening.refresh_from_db()
    assert greening.active is False
    assert "已停用" in client.get("/orders/categories/").content.decode()
    req = services.submit_request(by=ow.resident_a, text="树枝需要修剪")
    assert req.suggested_category != greening
    client.force_login(ow.resident_a)
    assert "园林绿化" not in client.get("/orders/new/").content.decode()
    client.force_login(ow.admin)
    client.post(f"/orders/categories/{greening.pk}/active/", {"active": "1"})
    greening.refresh_from_db()
    assert greening.active is True


@pytest.mark.parametrize("bad, field, message", [
    ({"name": ""}, "name", "请填写分类名称"),
    ({"code": "Noise!"}, "code", "分类代码只能包含小写字母"),
    ({"code": "municipal"}, "code", "分类代码“municipal”已被使用"),
    ({"accept_hours": "0"}, "accept_hours", "接单时限（工作小时）应在 1 到 720 之间"),
    ({"finish_days": "三天"}, "finish_days", "办结时限（工作日）应为整数"),
])
def test_bad_input_is_refused_in_chinese(ow, client, bad, field, message):
    client.force_login(ow.admin)
    before = Category.objects.count()
    r = client.post("/orders/categories/new/", form(**bad))
    assert r.status_code == 400
    assert message in r.content.decode()
    assert Category.objects.count() == before


def test_default_unit_outside_the_alliance_is_refused(ow, client):
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    outsider = orgs.create_organization(by=ow.system, parent=ow.community_b, name="乙超市", kind=OrgKind.PRIVATE_ENTERPRISE)
    client.force_login(ow.admin)
    r = client.post("/orders/categories/new/", form(default_unit=str(outsider.pk)))
    assert r.status_code == 400 and "“乙超市”不能承办工单" in r.content.decode()


def test_only_alliance_admins(ow, client):
    cat = ow.cat["parking"]
    for user in (ow.dispatcher_a, ow.liaison_a, ow.resident_a):
        client.force_login(user)
        assert client.get("/orders/categories/").status_code == 404
        assert client.get(f"/orders/categories/{cat.pk}/").status_code == 404
        assert client.post(f"/orders/categories/{cat.pk}/active/").status_code == 404
    cat.refresh_from_db()
    assert cat.active
    with pytest.raises(services.PermissionDenied, match="只有联盟管理员可以设置分类"):
        services.save_category(alliance=ow.alliance, by=ow.dispatcher_a, category=cat, active=False)


def test_links_from_inbox_and_figures(ow, client):
    client.force_login(ow.admin)
    assert 'data-testid="categories-link"' in client.get("/orders/inbox/").content.decode()
    assert 'data-testid="categories-link"' in client.get("/orders/figures/").content.decode()
    client.force_login(ow.dispatcher_a)
    assert 'data-testid="categories-link"' not in client.get("/orders/inbox/").content.decode()


def test_a_joint_committee_takes_no_requests(ow, client):
    """It convenes the alliance; nobody there accepts a request, so it is neither a default unit
    nor a dispatch target, and the suggestion passes over it."""
    import datetime as dt

    from tongxin.core.errors import DomainError
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    joint = orgs.create_organization(by=ow.system, parent=ow.street, name="街道党建协调委员会", kind=OrgKind.JOINT_COMMITTEE)
    orgs.add_member(alliance=ow.alliance, organization=joint, by=ow.system, joined_on=dt.date(2024, 1, 1))
    client.force_login(ow.admin)
    assert "街道党建协调委员会" not in client.get("/orders/categories/new/").content.decode()
    r = client.post("/orders/categories/new/", form(default_unit=str(joint.pk)))
    assert r.status_code == 400 and "不能承办工单" in r.content.decode()
    Category.objects.filter(pk=ow.cat["municipal"].pk).update(default_unit=joint)  # saved before this rule
    services.memo.clear()
    req = services.submit_request(by=ow.resident_a, text="路灯坏了，晚上很黑", community=ow.community_a)
    assert req.suggestion["unit_id"] != joint.pk
    with pytest.raises(DomainError):
        services.dispatch(req=req, by=ow.dispatcher_a, unit=joint, category=ow.cat["municipal"])


def test_the_code_stays_as_first_saved(ow, client):
    cat = ow.cat["municipal"]
    client.force_login(ow.admin)
    r = client.post(f"/orders/categories/{cat.pk}/", form(name="市政设施", code="muni-changed"))
    assert r.status_code == 400 and "分类代码保存后不能修改" in r.content.decode()
    cat.refresh_from_db()
    assert cat.code == "municipal"


def test_keywords_split_on_chinese_separators(ow, client):
    client.force_login(ow.admin)
    client.post("/orders/categories/new/", form(keywords="扶手；轮椅、助听器;拐杖，陪诊  助浴"))
    assert Category.objects.get(code="noise").keyword_list == ["扶手", "轮椅", "助听器", "拐杖", "陪诊", "助浴"]
