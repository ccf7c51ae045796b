"""The routing page and API: what the alliance admin sees and does; refusals for everyone else."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tongxin.accounts.services import create_api_token
from tongxin.routing import services
from tongxin.routing.models import TrainingRun

pytestmark = pytest.mark.django_db


def browser(user):
    c = Client()
    c.force_login(user)
    return c


def api(user):
    _, key = create_api_token(user=user, name="测试")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    return c


@pytest.fixture
def other(rw):
    """A second alliance around another street, with its own admin."""
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind

    street2 = orgs.create_organization(by=rw.system, parent=None, name="另一街道党工委", kind=OrgKind.STREET_COMMITTEE)
    alliance2 = orgs.create_alliance(by=rw.system, core_organization=street2, name="另一联盟", founded_on=dt.date(2024, 1, 1))
    admin2 = rw.user("t-admin-2", "alliance_admin", street2)
    return alliance2, admin2


def test_index_shows_models_history_and_runs(rw, history):
    history(per_class=12)
    services.train(alliance=rw.alliance, by=rw.admin)
    r = browser(rw.admin).get(reverse("routing:index"))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="target-category"' in html and 'data-testid="retrain"' in html
    assert html.count('data-testid="run-row"') == 2
    assert "36" in html  # history size


def test_index_without_history_says_rules_serve(rw):
    html = browser(rw.admin).get(reverse("routing:index")).content.decode()
    assert 'data-testid="no-model"' in html and "至少需要 30 条" in html


def test_retrain_button_htmx(rw, history, django_capture_on_commit_callbacks):
    history(per_class=12)
    with django_capture_on_commit_callbacks(execute=True):
        r = browser(rw.admin).post(reverse("routing:retrain"), {"alliance": rw.alliance.pk}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert 'data-testid="queued"' in r.content.decode()
    assert TrainingRun.objects.filter(alliance=rw.alliance, trigger="manual").count() == 2


def test_try_text_shows_suggestion_with_reason(rw, history):
    history(per_class=12)
    services.train(alliance=rw.alliance)
    from tongxin.routing import selectors

    selectors.clear_cache()
    r = browser(rw.admin).post(reverse("routing:try"), {"alliance": rw.alliance.pk, "text": "东门口轿车横在路中间"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert 'data-testid="learned-category"' in html and "停车管理" in html and "智能分派模型" in html
    r = browser(rw.admin).post(reverse("routing:try"), {"alliance": rw.alliance.pk, "text": " "}, HTTP_HX_REQUEST="true")
    assert "至少 2 个字" in r.content.decode()


@pytest.mark.parametrize("who", ["dispatcher_a", "liaison_a", "resident_a"])
def test_pages_refuse_other_roles(rw, who):
    c = browser(getattr(rw, who))
    assert c.get(reverse("routing:index")).status_code == 404
    assert c.post(reverse("routing:retrain"), {"alliance": rw.alliance.pk}).status_code == 404
    assert c.post(reverse("routing:try"), {"alliance": rw.alliance.pk, "text": "路灯坏了"}).status_code == 404
    assert not TrainingRun.objects.exists()


def test_anonymous_redirected_to_login(rw):
    r = Client().get(reverse("routing:index"))
    assert r.status_code == 302 and "login" in r["Location"]


def test_service_refuses_retrain_without_permission(rw):
    from tongxin.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="只有联盟管理员"):
        services.request_retrain(by=rw.dispatcher_a, alliance=rw.alliance)


def test_admin_of_another_alliance_cannot_see_or_retrain(rw, other, history):
    alliance2, admin2 = other
    c = browser(admin2)
    assert c.get(reverse("routing:index") + f"?alliance={rw.alliance.pk}").status_code == 404
    assert c.get(reverse("routing:index")).status_code == 200  # its own alliance
    a = api(admin2)
    assert a.get(f"/api/v1/routing/status?alliance_id={rw.alliance.pk}").status_code == 404
    r = a.post("/api/v1/routing/retrain", {"alliance_id": rw.alliance.pk}, content_type="application/json")
    assert r.status_code == 404 and "联盟" in r.json()["detail"]
    r = a.post("/api/v1/routing/predict", {"alliance_id": rw.alliance.pk, "text": "路灯坏了"}, content_type="application/json")
    assert r.status_code == 404
    assert not TrainingRun.objects.exists()


def test_api_status_retrain_predict(rw, history, django_capture_on_commit_callbacks):
    a = api(rw.admin)
    s = a.get(f"/api/v1/routing/status?alliance_id={rw.alliance.pk}").json()
    assert [t["model"] for t in s["targets"]] == [None, None] and s["min_history"] == 30
    r = a.post("/api/v1/routing/predict", {"alliance_id": rw.alliance.pk, "text": "小区门口路灯坏了"}, content_type="application/json")
    assert r.json()["learned"] is None and r.json()["rules"]["category"] == "市政设施"
    history(per_class=12)
    with django_capture_on_commit_callbacks(execute=True):
        r = a.post("/api/v1/routing/retrain", {"alliance_id": rw.alliance.pk}, content_type="application/json")
    assert r.status_code == 202
    s = a.get("/api/v1/routing/status").json()
    assert s["targets"][0]["model"]["trained_on"] + s["targets"][0]["model"]["held_out"] == 36
    assert {run["outcome"] for run in s["runs"]} == {"activated"}
    from tongxin.routing import selectors

    selectors.clear_cache()
    r = a.post("/api/v1/routing/predict", {"alliance_id": rw.alliance.pk, "text": "東門口私家車天天停在草坪上！！"},
               content_type="application/json").json()
    assert r["learned"]["category"] == "停车管理" and r["learned"]["unit"] == rw.community_a.name
    assert "智能分派模型" in r["learned"]["reason"]
    r = a.post("/api/v1/routing/predict", {"alliance_id": rw.alliance.pk, "text": "x"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "text"


def test_api_refuses_dispatcher(rw):
    c = browser(rw.dispatcher_a)
    assert c.get("/api/v1/routing/status").status_code == 404
    r = c.post("/api/v1/routing/retrain", {}, content_type="application/json")
    assert r.status_code in (403, 404)
    assert not TrainingRun.objects.exists()
