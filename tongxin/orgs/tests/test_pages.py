"""Pages: Chinese UI, htmx search, forms that post and redirect, refusals shown in Chinese, and scope (404)."""

import datetime as dt

import pytest

from tongxin.accounts.models import Role
from tongxin.audit.models import Event
from tongxin.orgs import services
from tongxin.orgs.models import AllianceMembership, Department, DutyChairTerm, Organization, OrgKind


def test_list_shows_chinese_headings_and_the_tree(world, page_for):
    r = page_for(world.admin).get("/orgs/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "<h1 class=\"h3 mb-0 me-auto\">组织</h1>" in html
    assert "新建组织" in html
    assert html.index("测试街道党工委") < html.index("甲社区党委") < html.index("甲社区第一党支部")


def test_list_is_scoped(world, page_for):
    html = page_for(world.dispatcher_a).get("/orgs/").content.decode()
    assert "甲社区党委" in html and "甲医院" in html
    assert "乙社区党委" not in html and "测试街道党工委" not in html


def test_search_as_you_type_finds_simplified_from_traditional(world, page_for):
    services.create_organization(by=world.admin, parent=world.community_a, name="甲社区党建联盟服务站", kind=OrgKind.CLUB)
    client = page_for(world.admin)
    r = client.get("/orgs/", {"q": "黨建聯盟"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<html" not in html  # only the results fragment
    assert "甲社区党建联盟服务站" in html and "乙社区党委" not in html
    assert "1 个组织" in html


def test_kind_filter_and_archived_toggle(world, page_for):
    services.archive_organization(org=world.branch_b, by=world.admin, reason="合并")
    client = page_for(world.admin)
    html = client.get("/orgs/", {"kind": OrgKind.BRANCH}).content.decode()
    assert "甲社区第一党支部" in html and "甲医院" not in html and "乙社区第一党支部" not in html
    html = client.get("/orgs/", {"kind": OrgKind.BRANCH, "archived": "1"}).content.decode()
    assert "乙社区第一党支部" in html and "已归档" in html


def test_detail_shows_affiliation_apart_people_and_history(world, page_for):
    services.add_member(alliance=world.alliance, organization=world.unit_a, by=world.admin, joined_on=dt.date(2024, 3, 1))
    r = page_for(world.admin).get(f"/orgs/{world.unit_a.pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "医院" in html and "799" in html
    assert "原党组织隶属关系" in html and "市卫健委党委" in html
    assert "测试党建联盟" in html and "联盟成员" in html
    assert f'href="/people/?organization={world.unit_a.pk}"' in html
    assert f'href="/history/organization/{world.unit_a.pk}/"' in html
    crumbs = html[html.index('data-testid="org-ancestors"'):]
    assert crumbs.index("测试街道党工委") < crumbs.index("甲社区党委") < crumbs.index("甲医院")


def test_detail_counts_people(world, page_for):
    html = page_for(world.admin).get(f"/orgs/{world.community_a.pk}/").content.decode()
    assert "1 人" in html
    assert "甲社区第一党支部" in html  # children


@pytest.mark.parametrize("suffix", ["", "edit/", "move/", "archive/", "restore/", "delete/"])
def test_dispatcher_of_b_gets_404_for_a(world, page_for, suffix):
    r = page_for(world.dispatcher_b).get(f"/orgs/{world.unit_a.pk}/{suffix}")
    assert r.status_code == 404


def test_dispatcher_of_b_cannot_post_edits_to_a(world, page_for):
    r = page_for(world.dispatcher_b).post(f"/orgs/{world.unit_a.pk}/edit/", {"name": "改名", "kind": OrgKind.HOSPITAL})
    assert r.status_code == 404
    world.unit_a.refresh_from_db()
    assert world.unit_a.name == "甲医院"


def test_viewer_without_manage_rights_gets_403(world, page_for):
    member = world.user("t-member-a", Role.PARTY_MEMBER, world.community_a)
    client = page_for(member)
    assert client.get(f"/orgs/{world.branch_a.pk}/").status_code == 200
    assert client.get(f"/orgs/{world.branch_a.pk}/edit/").status_code == 403


def test_create_child_posts_and_redirects(world, page_for):
    client = page_for(world.dispatcher_a)
    form = client.get(f"/orgs/new/?parent={world.community_a.pk}").content.decode()
    assert "新建组织" in form and "变更原因" in form
    r = client.post(f"/orgs/new/?parent={world.community_a.pk}", {
        "parent": world.community_a.pk, "name": "甲社区第二党支部", "kind": OrgKind.BRANCH, "reason": "党员人数增加",
    })
    org = Organization.objects.get(name="甲社区第二党支部")
    assert r.status_code == 302 and r["Location"] == f"/orgs/{org.pk}/"
    assert org.parent == world.community_a
    assert Event.objects.get(verb="org.created", target_id=str(org.pk)).reason == "党员人数增加"


def test_create_outside_scope_is_refused_on_the_form(world, page_for):
    r = page_for(world.dispatcher_a).post("/orgs/new/", {"parent": world.community_b.pk, "name": "越权", "kind": OrgKind.BRANCH})
    assert r.status_code == 200
    assert "选择一个有效的选项" in r.content.decode()
    assert not Organization.objects.filter(name="越权").exists()


def test_create_via_htmx_answers_with_a_redirect_header(world, page_for):
    r = page_for(world.admin).post("/orgs/new/", {"parent": world.community_a.pk, "name": "甲社区志愿队", "kind": OrgKind.VOLUNTEER_TEAM},
                                   HTTP_HX_REQUEST="true")
    org = Organization.objects.get(name="甲社区志愿队")
    assert r["HX-Redirect"] == f"/orgs/{org.pk}/"


def test_edit_records_the_reason(world, page_for):
    r = page_for(world.admin).post(f"/orgs/{world.unit_a.pk}/edit/", {
        "name": "甲市第一医院", "kind": OrgKind.HOSPITAL, "original_affiliation": "市卫健委党委", "reason": "更名",
    })
    assert r.status_code == 302
    world.unit_a.refresh_from_db()
    assert world.unit_a.name == "甲市第一医院"
    assert Event.objects.get(verb="org.updated", target_id=str(world.unit_a.pk)).reason == "更名"


def test_move_into_own_subtree_shows_the_chinese_error(world, page_for):
    r = page_for(world.admin).post(f"/orgs/{world.community_a.pk}/move/", {"parent": world.branch_a.pk, "reason": "调整"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "组织树不能成环" in html and "is-invalid" in html
    world.community_a.refresh_from_db()
    assert world.community_a.parent == world.street


def test_move_posts_and_redirects(world, page_for):
    r = page_for(world.admin).post(f"/orgs/{world.unit_a.pk}/move/", {"parent": world.community_b.pk, "reason": "属地调整"})
    assert r.status_code == 302
    world.unit_a.refresh_from_db()
    assert world.unit_a.parent == world.community_b and world.unit_a.original_affiliation == "市卫健委党委"


def test_archive_needs_a_reason_then_restore(world, page_for):
    client = page_for(world.admin)
    html = client.post(f"/orgs/{world.branch_b.pk}/archive/", {"reason": ""}).content.decode()
    assert "这个字段是必填项" in html
    r = client.post(f"/orgs/{world.branch_b.pk}/archive/", {"reason": "支部合并"})
    assert r.status_code == 302
    world.branch_b.refresh_from_db()
    assert world.branch_b.is_archived and world.branch_b.archived_reason == "支部合并"
    assert "支部合并" in client.get(f"/orgs/{world.branch_b.pk}/").content.decode()
    client.post(f"/orgs/{world.branch_b.pk}/restore/", {"reason": "撤销合并"})
    world.branch_b.refresh_from_db()
    assert not world.branch_b.is_archived


def test_delete_with_people_says_archive_instead(world, page_for):
    r = page_for(world.admin).post(f"/orgs/{world.community_b.pk}/delete/", {"reason": "误建"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "不能删除；请改为归档" in html
    assert Organization.objects.filter(pk=world.community_b.pk).exists()


def test_delete_of_an_empty_organisation_redirects_to_its_parent(world, page_for):
    org = services.create_organization(by=world.admin, parent=world.community_a, name="误建组织", kind=OrgKind.CLUB)
    r = page_for(world.admin).post(f"/orgs/{org.pk}/delete/", {"reason": "录入错误"})
    assert r.status_code == 302 and r["Location"] == f"/orgs/{world.community_a.pk}/"
    assert not Organization.objects.filter(pk=org.pk).exists()


# --- alliances ----------------------------------------------------------------------------


def test_alliance_list_and_detail(world, page_for):
    services.add_member(alliance=world.alliance, organization=world.unit_a, by=world.admin, joined_on=dt.date(2024, 3, 1),
                        liaison=world.person_a, committee_member=world.person_a, committee_post="兼职委员")
    today = dt.date.today()
    services.set_duty_chair(alliance=world.alliance, organization=world.unit_a, starts_on=today - dt.timedelta(days=5),
                            ends_on=today + dt.timedelta(days=5), by=world.admin)
    services.save_department(alliance=world.alliance, by=world.admin, name="组织工作部", head=world.person_a)
    client = page_for(world.admin)
    html = client.get("/orgs/alliances/").content.decode()
    assert "联盟" in html and "测试党建联盟" in html and "1+2+N" in html
    html = client.get(f"/orgs/alliances/{world.alliance.pk}/").content.decode()
    assert "成员单位" in html and "轮值主席" in html and "工作部" in html
    assert "甲医院" in html and "兼职委员" in html and "张三" in html
    assert 'data-testid="current-chair"' in html and "当前" in html
    assert "组织工作部" in html and "添加成员单位" in html


def test_alliance_hidden_from_a_dispatcher_outside_it(world, page_for):
    client = page_for(world.dispatcher_b)
    assert client.get(f"/orgs/alliances/{world.alliance.pk}/").status_code == 404
    assert "测试党建联盟" not in client.get("/orgs/alliances/").content.decode()
    services.add_member(alliance=world.alliance, organization=world.community_b, by=world.admin, joined_on=dt.date(2024, 3, 1))
    r = client.get(f"/orgs/alliances/{world.alliance.pk}/")
    assert r.status_code == 200 and "添加成员单位" not in r.content.decode()
    assert client.get(f"/orgs/alliances/{world.alliance.pk}/members/new/").status_code == 403


def test_create_alliance(world, page_for):
    r = page_for(world.admin).post("/orgs/alliances/new/", {
        "name": "甲社区共建联盟", "structure_label": "1+N", "core_organization": world.community_a.pk, "founded_on": "2025-01-01",
        "reason": "成立",
    })
    alliance = world.alliance.__class__.objects.get(name="甲社区共建联盟")
    assert r.status_code == 302 and r["Location"] == f"/orgs/alliances/{alliance.pk}/"
    assert alliance.memberships.get().organization == world.community_a


def test_add_edit_and_end_membership(world, page_for):
    client = page_for(world.admin)
    url = f"/orgs/alliances/{world.alliance.pk}/members/new/"
    html = client.get(url).content.decode()
    assert "加入联盟不改变该单位原有的党组织隶属关系" in html
    r = client.post(url, {"organization": world.unit_a.pk, "role": "member_unit", "joined_on": "2024-03-01",
                          "liaison": world.person_a.pk, "reason": "签订共建协议"})
    assert r.status_code == 302
    m = AllianceMembership.objects.get(organization=world.unit_a)
    assert m.liaison == world.person_a
    world.unit_a.refresh_from_db()
    assert world.unit_a.original_affiliation == "市卫健委党委" and world.unit_a.parent == world.community_a
    r = client.post(f"/orgs/alliances/{world.alliance.pk}/members/{m.pk}/edit/", {
        "role": "member_unit", "liaison": world.person_a.pk, "committee_member": world.person_a.pk, "committee_post": "兼职副书记",
    })
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.committee_member == world.person_a and m.committee_post == "兼职副书记"
    end = f"/orgs/alliances/{world.alliance.pk}/members/{m.pk}/end/"
    html = client.post(end, {"left_on": "2024-01-01", "reason": "搬迁"}).content.decode()
    assert "退出日期不能早于加入日期" in html
    assert client.post(end, {"left_on": "2024-12-31", "reason": "搬迁"}).status_code == 302
    m.refresh_from_db()
    assert m.left_on == dt.date(2024, 12, 31)


def test_duty_chair_form_error_and_success(world, page_for):
    client = page_for(world.admin)
    url = f"/orgs/alliances/{world.alliance.pk}/duty-chairs/new/"
    html = client.post(url, {"organization": world.street.pk, "starts_on": "2026-03-01", "ends_on": "2026-01-01"}).content.decode()
    assert "轮值结束日期不能早于开始日期" in html
    assert not DutyChairTerm.objects.exists()
    r = client.post(url, {"organization": world.street.pk, "starts_on": "2026-01-01", "ends_on": "2026-03-31", "note": "一季度"},
                    HTTP_HX_REQUEST="true")
    assert r["HX-Redirect"] == f"/orgs/alliances/{world.alliance.pk}/"
    assert DutyChairTerm.objects.get().note == "一季度"


def test_department_add_and_edit(world, page_for):
    client = page_for(world.admin)
    r = client.post(f"/orgs/alliances/{world.alliance.pk}/departments/new/", {"name": "宣传工作部", "head": world.person_a.pk})
    assert r.status_code == 302
    d = Department.objects.get()
    html = client.get(f"/orgs/alliances/{world.alliance.pk}/departments/{d.pk}/edit/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and "宣传工作部" in html
    client.post(f"/orgs/alliances/{world.alliance.pk}/departments/{d.pk}/edit/", {"name": "宣传工作部", "head": world.person_b.pk,
                                                                                  "reason": "换届"})
    d.refresh_from_db()
    assert d.head == world.person_b


def test_person_picker_offers_only_visible_people(world, page_for):
    html = page_for(world.dispatcher_a).get("/orgs/people-options/", {"q": ""}).content.decode()
    assert "张三" in html and "李四" not in html
    html = page_for(world.admin).get("/orgs/people-options/", {"q": "李"}).content.decode()
    assert "李四" in html and "张三" not in html
