"""API tokens: created and revoked on a page, stored hashed, accepted by the API until revoked."""

import pytest

from tongxin.accounts.models import ApiToken
from tongxin.accounts.services import create_api_token, revoke_api_token, user_for_key
from tongxin.audit.models import Event
from tongxin.core.errors import DomainError


def test_tokens_page_creates_a_token_shown_once(world, client):
    client.force_login(world.dispatcher_a)
    html = client.get("/accounts/tokens/").content.decode()
    assert "接口令牌" in html
    resp = client.post("/accounts/tokens/", {"name": "网格系统"})
    html = resp.content.decode()
    token = ApiToken.objects.get(user=world.dispatcher_a)
    assert "请立即复制此令牌：它只显示这一次。" in html
    key = html.split('data-testid="new-token">')[1].split("<")[0]
    assert key.startswith("tx_") and token.prefix == key[:10]
    assert key not in token.key_hash  # only the hash is stored
    assert user_for_key(key) == world.dispatcher_a
    assert key not in client.get("/accounts/tokens/").content.decode()  # shown only once
    assert Event.objects.filter(verb="token.created", actor=world.dispatcher_a).exists()


def test_a_token_needs_a_name(world, client):
    client.force_login(world.dispatcher_a)
    html = client.post("/accounts/tokens/", {"name": "  "}).content.decode()
    assert "请填写令牌名称" in html
    assert not ApiToken.objects.exists()


def test_roles_without_the_permission_cannot_create_tokens(world):
    with pytest.raises(DomainError) as exc:
        create_api_token(user=world.resident_a, name="自用")
    assert "您的角色不能创建接口令牌" in exc.value.message


def test_revoke_on_the_page_and_the_api_refuses_the_token(world, client):
    token, key = create_api_token(user=world.dispatcher_a, name="网格系统")
    assert client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    client.force_login(world.dispatcher_a)
    resp = client.post(f"/accounts/tokens/{token.pk}/revoke/", {"reason": "系统下线"}, follow=True)
    assert "令牌已吊销" in resp.content.decode() and "已吊销" in resp.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Event.objects.get(verb="token.revoked").reason == "系统下线"
    client.logout()
    assert client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert client.get("/api/v1/people/", HTTP_X_API_KEY=key).status_code == 401


def test_nobody_revokes_another_users_token(world, client):
    token, _ = create_api_token(user=world.dispatcher_a, name="网格系统")
    client.force_login(world.dispatcher_b)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    with pytest.raises(DomainError):
        revoke_api_token(token=token, by=world.dispatcher_b)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_auth_sees_what_the_user_sees(world, client):
    _, key_a = create_api_token(user=world.dispatcher_a, name="甲")
    _, key_b = create_api_token(user=world.dispatcher_b, name="乙")
    names_a = [p["name"] for p in client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {key_a}").json()["items"]]
    names_b = [p["name"] for p in client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {key_b}").json()["items"]]
    assert names_a == ["张三"] and names_b == ["李四"]
    token = ApiToken.objects.get(name="甲")
    assert token.last_used_at is not None


def test_inactive_users_tokens_are_refused(world):
    _, key = create_api_token(user=world.dispatcher_a, name="甲")
    world.dispatcher_a.is_active = False
    world.dispatcher_a.save()
    assert user_for_key(key) is None
    assert user_for_key("not-a-key") is None and user_for_key("") is None


def test_a_remembered_key_is_forgotten_when_revoked_or_the_user_is_deactivated(world, client):
    from tongxin.accounts import services

    token, key = create_api_token(user=world.dispatcher_a, name="集成")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/v1/people/", **auth).status_code == 200
    assert client.get("/api/v1/people/", **auth).status_code == 200  # served from the memo
    assert services._token_memo, "a verified key is remembered"
    revoke_api_token(token=token, by=world.dispatcher_a)
    assert client.get("/api/v1/people/", **auth).status_code == 401

    token2, key2 = create_api_token(user=world.dispatcher_a, name="集成2")
    assert user_for_key(key2) == world.dispatcher_a
    world.dispatcher_a.is_active = False
    world.dispatcher_a.save()
    assert user_for_key(key2) is None


def test_each_call_gets_its_own_user_instance(world):
    _token, key = create_api_token(user=world.dispatcher_a, name="集成")
    first, second = user_for_key(key), user_for_key(key)
    assert first == second == world.dispatcher_a
    assert first is not second  # nothing cached on one request's user leaks into another's
