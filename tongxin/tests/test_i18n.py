"""The UI speaks Simplified Chinese by default; Traditional and English are one click away."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _i18n_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_catalogue_is_complete_and_traditional_is_in_step():
    script = _i18n_script()
    assert script.catalogues(), "no zh_Hans catalogues found"
    assert script.check() == []


def test_traditional_conversion_touches_translations_only():
    script = _i18n_script()
    po = 'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\nmsgid "Organisations"\nmsgstr "组织"\n'
    hant = script.to_hant(po)
    assert 'msgstr "組織"' in hant and 'msgid "Organisations"' in hant and "zh_Hant" in hant


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [(None, "登录同心平台"), ("zh-hant", "登錄同心平臺"), ("en", "Log in to Tongxin")],
)
def test_login_page_in_each_language(client, language, expected):
    if language:
        client.cookies["django_language"] = language
    body = client.get("/accounts/login/").content.decode()
    assert expected in body


@pytest.mark.django_db
def test_switching_language_from_the_footer(client):
    resp = client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/accounts/login/"}, follow=True)
    assert "登錄同心平臺" in resp.content.decode()


@pytest.mark.django_db
def test_favicon_and_offline_api_docs(client, world):
    assert client.get("/favicon.ico").status_code == 301
    client.force_login(world.admin)
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower() and "/static/ninja/" in docs
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and schema.json()["info"]["title"].startswith("Tongxin")


@pytest.mark.django_db
def test_api_refusals_speak_chinese(client, world):
    resp = client.get("/api/v1/people/")
    assert resp.status_code == 401 and "令牌" in resp.json()["detail"]
    client.force_login(world.admin)
    bad = client.post("/api/v1/organizations", {"name": 123}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"].startswith("请求数据格式有误")
