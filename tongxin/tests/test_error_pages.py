"""Error pages speak the user's language and say what to do next (Django's own are English)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views import defaults


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading", "next_step"),
    [(None, "页面不存在", "返回首页"), ("zh-hant", "頁面不存在", "返回首頁"), ("en", "Page not found", "Back to the home page")],
)
def test_not_found_page_in_each_language(client, world, language, heading, next_step):
    if language:
        client.cookies["django_language"] = language
    client.force_login(world.admin)
    r = client.get("/orders/go/TX000000NOPE/")
    body = r.content.decode()
    assert r.status_code == 404 and heading in body and next_step in body
    assert 'href="/"' in body and "/orders/track/" in body  # the way on: home, or look a request up
    assert "Not Found" not in body and "The requested resource" not in body


@pytest.mark.django_db
def test_not_found_for_anonymous_visitors_too(client):
    r = client.get("/no-such-page/")
    assert r.status_code == 404 and "页面不存在" in r.content.decode()


@pytest.mark.django_db
def test_forbidden_bad_request_and_server_error_pages(world):
    request = RequestFactory().get("/somewhere/")
    request.user = world.admin
    forbidden = defaults.permission_denied(request, PermissionDenied())
    assert forbidden.status_code == 403 and "没有权限" in forbidden.content.decode()
    bad = defaults.bad_request(request, ValueError())
    assert bad.status_code == 400 and "请求有误" in bad.content.decode()
    # The 500 page needs nothing that may be what broke (no context, no database, no catalogue).
    broken = defaults.server_error(request)
    assert broken.status_code == 500 and "服务器出错了" in broken.content.decode()
