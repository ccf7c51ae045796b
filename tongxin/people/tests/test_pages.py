"""People pages, as a user sees them: Simplified Chinese text, masked lists, forms that refuse
bad input in Chinese, logged reveals, and 404 for what lies outside the role's scope."""

import pytest

from tongxin.audit.models import Event, SensitiveRead
from tongxin.people.models import PartyMemberProfile, Person, PersonRole, RoleTag

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


# --- list ---------------------------------------------------------------------------------

def test_list_is_in_chinese_masked_and_scoped(world, as_user):
    c = as_user(world.dispatcher_a)
    resp = c.get("/people/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "人员" in html and "登记人员" in html and "1 人" in html
    assert "张三" in html and "李四" not in html
    assert "138****0001" in html
    assert "13800000001" not in html and "11010519491231002X" not in html
    assert "1101**********002X" in html  # the ID column is masked too
    assert 'class="table-responsive"' in html


def test_list_search_as_you_type_returns_a_fragment(world, as_user):
    c = as_user(world.admin)
    resp = c.get("/people/", {"q": "張三"}, **HTMX)
    html = resp.content.decode()
    assert "<html" not in html and 'id="people-filters"' not in html
    assert "张三" in html and "李四" not in html
    resp = c.get("/people/", {"q": "13800000002"}, **HTMX)
    assert "李四" in resp.content.decode()
    resp = c.get("/people/", {"q": "不存在的人"}, **HTMX)
    assert "没有符合条件的人员。" in resp.content.decode()


def test_another_communitys_person_never_shows_in_search(world, as_user):
    c = as_user(world.dispatcher_a)
    for q in ("李四", "13800000002"):
        html = c.get("/people/", {"q": q}, **HTMX).content.decode()
        assert "李四" not in html and "0 人" in html


def test_list_filters_and_pagination(world, as_user):
    from tongxin.people import services

    for i in range(55):
        services.create_person(by=world.system, organization=world.community_a, name=f"居民{i:02d}", tags=(RoleTag.VOLUNTEER,))
    c = as_user(world.dispatcher_a)
    html = c.get("/people/", {"tag": "volunteer"}).content.decode()
    assert "55 人" in html and "居民49" in html and "居民50" not in html and "张三" not in html
    html = c.get("/people/", {"tag": "volunteer", "page": 2}).content.decode()
    assert "居民54" in html and "居民00" not in html
    html = c.get("/people/", {"organization": world.unit_a.pk}).content.decode()
    assert "0 人" in html
    # Another community's organisation is not a filter one can use to peek.
    html = c.get("/people/", {"organization": world.community_b.pk}).content.decode()
    assert "李四" not in html


# --- detail ----------------------------------------------------------------------------------

def test_detail_shows_tags_profile_and_history_link(world, as_user):
    from tongxin.people import services

    services.add_role(person=world.person_a, tag=RoleTag.VOLUNTEER, by=world.admin)
    services.set_party_profile(person=world.person_a, by=world.admin, branch=world.branch_a, status="probationary",
                               home_community=world.community_a)
    html = as_user(world.dispatcher_a).get(f"/people/{world.person_a.pk}/").content.decode()
    assert "基本信息" in html and "志愿者" in html and "党员" in html
    assert "预备党员" in html and "甲社区第一党支部" in html
    assert f"/history/person/{world.person_a.pk}/" in html
    assert "138****0001" in html and "13800000001" not in html
    assert f'hx-post="/people/{world.person_a.pk}/reveal/phone/"' in html


def test_detail_of_another_community_is_404(world, as_user):
    assert as_user(world.dispatcher_a).get(f"/people/{world.person_b.pk}/").status_code == 404
    assert as_user(world.dispatcher_a).get(f"/people/{world.person_b.pk}/edit/").status_code == 404
    assert as_user(world.dispatcher_a).post(f"/people/{world.person_b.pk}/reveal/phone/").status_code == 404


def test_a_resident_opens_their_own_record_only(world, as_user):
    c = as_user(world.resident_a)
    resp = c.get(f"/people/{world.person_a.pk}/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "张三" in html and "本人" in html
    assert "编辑" not in html  # no managing their own record
    assert c.get(f"/people/{world.person_b.pk}/").status_code == 404
    assert c.get(f"/people/{world.person_a.pk}/edit/").status_code == 403
    resp = c.post(f"/people/{world.person_a.pk}/reveal/phone/", {"purpose": "查看本人信息"}, **HTMX)
    assert resp.status_code == 200 and "13800000001" in resp.content.decode()


def test_anonymous_users_are_sent_to_login(world, client):
    resp = client.get(f"/people/{world.person_a.pk}/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


# --- reveal ------------------------------------------------------------------------------------

def test_reveal_is_an_htmx_post_that_writes_a_sensitive_read(world, as_user):
    c = as_user(world.dispatcher_a)
    assert c.get(f"/people/{world.person_a.pk}/reveal/phone/").status_code == 405
    resp = c.post(f"/people/{world.person_a.pk}/reveal/id_number/", {"purpose": "核实身份"}, **HTMX)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "11010519491231002X" in html and "本次查看已记录。" in html
    assert resp["Cache-Control"] == "no-store"
    read = SensitiveRead.objects.get()
    assert (read.actor, read.person, read.field, read.purpose, read.channel) == (world.dispatcher_a, world.person_a, "id_number", "核实身份", "web")
    assert c.post(f"/people/{world.person_a.pk}/reveal/search_text/").status_code == 404


def test_reveal_without_the_permission_is_refused_and_not_logged(world, as_user):
    from tongxin.people import services

    doctor = services.create_person(by=world.system, organization=world.unit_a, name="医生", phone="13700000001")
    c = as_user(world.liaison_a)
    html = c.get(f"/people/{doctor.pk}/").content.decode()
    assert "137****0001" in html and "reveal/phone" not in html
    resp = c.post(f"/people/{doctor.pk}/reveal/phone/")
    assert resp.status_code == 403 and "您无权查看此人的完整个人信息" in resp.content.decode()
    assert not SensitiveRead.objects.exists()


# --- create and edit ----------------------------------------------------------------------------

def test_create_form_is_in_chinese_and_registers_a_person(world, as_user):
    c = as_user(world.dispatcher_a)
    html = c.get("/people/new/").content.decode()
    assert "登记人员" in html and "姓名" in html and "身份证号" in html and "加密存储，脱敏显示" in html
    assert "乙社区党委" not in html.split('name="organization"')[1].split("</select>")[0]
    resp = c.post("/people/new/", {"organization": world.community_a.pk, "community": world.community_a.pk, "name": "王五",
                                   "phone": "139 1234 5678", "tags": ["resident", "volunteer"], "reason": "入户走访"})
    person = Person.objects.get(name="王五")
    assert resp.status_code == 302 and resp["Location"] == f"/people/{person.pk}/"
    assert person.tags == ["resident", "volunteer"]
    assert person.phone_masked == "139****5678"
    assert Event.objects.get(verb="person.created", target_id=str(person.pk)).reason == "入户走访"
    assert "已登记“王五”。" in c.get(resp["Location"]).content.decode()


def test_create_with_a_bad_phone_shows_the_chinese_error_and_saves_nothing(world, as_user):
    c = as_user(world.dispatcher_a)
    resp = c.post("/people/new/", {"organization": world.community_a.pk, "name": "王五", "phone": "1234", "id_number": "110105198001011230"})
    html = resp.content.decode()
    assert resp.status_code == 400
    assert "手机号码“1234”格式不正确" in html and "is-invalid" in html
    assert not Person.objects.filter(name="王五").exists()
    resp = c.post("/people/new/", {"organization": world.community_a.pk, "name": "王五", "id_number": "110105198001011230"})
    assert "身份证号校验位不正确" in resp.content.decode()


def test_create_in_another_community_is_refused(world, as_user):
    resp = as_user(world.dispatcher_a).post("/people/new/", {"organization": world.community_b.pk, "name": "越权"})
    assert resp.status_code == 400
    assert "选择一个有效的选项" in resp.content.decode()  # not offered, so not accepted
    assert not Person.objects.filter(name="越权").exists()


def test_a_duplicate_links_to_the_existing_record(world, as_user):
    c = as_user(world.dispatcher_a)
    resp = c.post("/people/new/", {"organization": world.community_a.pk, "name": "张三", "phone": "13800000001"})
    html = resp.content.decode()
    assert "姓名和手机号与已登记的“张三”（甲社区党委）重复" in html
    assert "打开已有记录" in html and f'href="/people/{world.person_a.pk}/"' in html
    assert Person.objects.filter(name="张三").count() == 1


def test_a_duplicate_outside_the_scope_is_not_linked(world, as_user):
    html = as_user(world.dispatcher_a).post("/people/new/", {"organization": world.community_a.pk, "name": "李四",
                                                             "phone": "13800000002"}).content.decode()
    assert "一名其他组织的人员" in html
    assert f"/people/{world.person_b.pk}/" not in html and "打开已有记录" not in html


def test_residents_cannot_open_the_create_form(world, as_user):
    assert as_user(world.resident_a).get("/people/new/").status_code == 403


def test_edit_keeps_blank_secrets_and_records_the_reason(world, as_user):
    c = as_user(world.dispatcher_a)
    html = c.get(f"/people/{world.person_a.pk}/edit/").content.decode()
    assert "已登记：138****0001。留空则保持不变。" in html and "13800000001" not in html
    resp = c.post(f"/people/{world.person_a.pk}/edit/", {"organization": world.community_a.pk, "name": "张三", "sex": "F",
                                                          "birth_date": "1949-12-31", "community": world.community_a.pk,
                                                          "ethnicity": "回族", "reason": "更正民族"})
    assert resp.status_code == 302
    world.person_a.refresh_from_db()
    assert world.person_a.ethnicity == "回族" and world.person_a.phone_masked == "138****0001"
    ev = Event.objects.get(verb="person.updated")
    assert ev.reason == "更正民族" and ev.payload["changes"] == {"ethnicity": ["", "回族"]}


def test_edit_can_clear_a_phone(world, as_user):
    c = as_user(world.dispatcher_a)
    c.post(f"/people/{world.person_a.pk}/edit/", {"organization": world.community_a.pk, "name": "张三", "clear_phone": "on"})
    world.person_a.refresh_from_db()
    assert world.person_a.phone_masked == "" and world.person_a.phone_hash == ""


# --- archive, roles, party profile -----------------------------------------------------------------

def test_archive_needs_a_reason(world, as_user):
    c = as_user(world.dispatcher_a)
    resp = c.post(f"/people/{world.person_a.pk}/archive/", {"reason": ""})
    assert resp.status_code == 400 and "这个字段是必填项。" in resp.content.decode()
    resp = c.post(f"/people/{world.person_a.pk}/archive/", {"reason": "已迁出"})
    assert resp.status_code == 302
    world.person_a.refresh_from_db()
    assert world.person_a.archived_at is not None
    html = c.get(f"/people/{world.person_a.pk}/").content.decode()
    assert "已归档" in html and "归档此人员" not in html
    assert "张三" not in c.get("/people/").content.decode().split('id="results"')[1]


def test_add_and_end_a_role_inline(world, as_user, grid_a):
    c = as_user(world.dispatcher_a)
    resp = c.post(f"/people/{world.person_a.pk}/roles/", {"tag": "grid_worker", "reason": "新聘"}, **HTMX)
    html = resp.content.decode()
    assert resp.status_code == 200 and "网格员和“五长”需要指定所在网格。" in html and "<html" not in html
    resp = c.post(f"/people/{world.person_a.pk}/roles/", {"tag": "grid_worker", "grid": grid_a.pk, "reason": "新聘"}, **HTMX)
    html = resp.content.decode()
    assert "角色已增加。" in html and "甲社区第1网格" in html
    role = PersonRole.objects.get(person=world.person_a, tag="grid_worker")
    resp = c.post(f"/people/{world.person_a.pk}/roles/{role.pk}/end/", {"reason": "离职"}, **HTMX)
    assert "已结束角色：网格员" in resp.content.decode()
    role.refresh_from_db()
    assert role.until is not None
    assert Event.objects.get(verb="person.role_ended").reason == "离职"
    # Without htmx the same form falls back to a redirect.
    resp = c.post(f"/people/{world.person_a.pk}/roles/", {"tag": "volunteer"})
    assert resp.status_code == 302


def test_roles_of_another_community_cannot_be_touched(world, as_user):
    c = as_user(world.dispatcher_b)
    assert c.post(f"/people/{world.person_a.pk}/roles/", {"tag": "volunteer"}).status_code == 404
    assert not PersonRole.objects.filter(person=world.person_a).exists()


def test_party_profile_form(world, as_user):
    c = as_user(world.dispatcher_a)
    html = c.get(f"/people/{world.person_a.pk}/party/").content.decode()
    assert "党员信息" in html and "入党日期" in html and "党员中心户" in html
    resp = c.post(f"/people/{world.person_a.pk}/party/", {"branch": world.branch_a.pk, "status": "full", "joined_on": "2010-07-01",
                                                           "full_member_on": "2009-07-01"})
    assert "转正日期不能早于入党日期" in resp.content.decode()
    assert not PartyMemberProfile.objects.exists()
    resp = c.post(f"/people/{world.person_a.pk}/party/", {"branch": world.branch_a.pk, "status": "full", "joined_on": "2010-07-01",
                                                           "full_member_on": "2011-07-01", "is_central_household": "on",
                                                           "home_community": world.community_a.pk, "reason": "组织关系转入"})
    assert resp.status_code == 302
    profile = PartyMemberProfile.objects.get(person=world.person_a)
    assert profile.is_central_household and profile.branch == world.branch_a
    assert PersonRole.objects.filter(person=world.person_a, tag="party_member", until__isnull=True).exists()
