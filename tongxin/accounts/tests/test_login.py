"""Log in with a username or with the phone number on the user's person record."""

import pytest

from tongxin.accounts.backends import PhoneOrUsernameBackend


def test_login_with_username(world, client):
    resp = client.post("/accounts/login/", {"username": "t-disp-a", "password": "pass-12345"})
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("phone", ["13800000001", "138 0000 0001", "+86 138-0000-0001"])
def test_login_with_the_phone_number_of_the_person(world, client, phone):
    resp = client.post("/accounts/login/", {"username": phone, "password": "pass-12345"})
    assert resp.status_code == 302
    assert int(client.session["_auth_user_id"]) == world.resident_a.pk


def test_wrong_password_shows_the_chinese_error(world, client):
    resp = client.post("/accounts/login/", {"username": "13800000001", "password": "wrong"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "用户名/手机号或密码错误，请重试。" in html
    assert "_auth_user_id" not in client.session


def test_unknown_user_and_unknown_phone_are_refused(world):
    backend = PhoneOrUsernameBackend()
    assert backend.authenticate(None, username="nobody", password="pass-12345") is None
    assert backend.authenticate(None, username="13900000000", password="pass-12345") is None
    assert backend.authenticate(None, username="t-admin", password=None) is None
    assert backend.authenticate(None, username="t-admin", password="pass-12345") == world.admin


def test_inactive_users_cannot_log_in(world, client):
    world.resident_a.is_active = False
    world.resident_a.save()
    resp = client.post("/accounts/login/", {"username": "13800000001", "password": "pass-12345"})
    assert resp.status_code == 200 and "_auth_user_id" not in client.session


def test_pages_need_a_login(db, client):
    resp = client.get("/people/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


def test_the_session_user_comes_with_its_person(world, django_assert_num_queries):
    backend = PhoneOrUsernameBackend()
    with django_assert_num_queries(1):
        user = backend.get_user(world.resident_a.pk)
        assert str(user) == world.resident_a.person.name  # the menu's name: no second query
    world.resident_a.is_active = False
    world.resident_a.save()
    assert backend.get_user(world.resident_a.pk) is None
    assert backend.get_user(10**9) is None
