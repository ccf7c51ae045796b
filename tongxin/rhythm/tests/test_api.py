"""The rhythm API: prompts (list, one, preview, generate), reviews (generate, list, figures, PDF), settings."""

from tongxin.rhythm import periods
from tongxin.rhythm.models import Prompt, Review

PERIOD = "2026-11"


def test_prompts_api(rw, waiting, api):
    waiting()
    admin, liaison, other = api(rw.admin), api(rw.liaison_a), api(rw.liaison_b)
    r = liaison("post", "/prompts/generate", {"alliance_id": rw.alliance.pk, "period": PERIOD})
    assert r.status_code == 403 and "联盟管理员" in r.json()["detail"]
    r = admin("post", "/prompts/generate", {"alliance_id": rw.alliance.pk, "period": "2026-13"})
    assert r.status_code == 400 and r.json()["field"] == "period"
    r = admin("post", "/prompts/generate", {"alliance_id": rw.alliance.pk, "period": PERIOD})
    assert r.status_code == 200 and r.json()["created"] == 1
    assert admin("post", "/prompts/generate", {"alliance_id": rw.alliance.pk, "period": PERIOD}).json()["created"] == 0
    prompt = Prompt.objects.get()
    items = liaison("get", f"/prompts?period={PERIOD}").json()
    assert items["count"] == 1 and items["items"][0]["unit"]["id"] == rw.unit_a.pk
    assert other("get", "/prompts").json()["count"] == 0
    one = liaison("get", f"/prompts/{prompt.pk}").json()
    assert one["deliveries"] == [{**one["deliveries"][0], "recipient": str(rw.liaison_a), "channel": "inbox", "status": "sent"}]
    assert other("get", f"/prompts/{prompt.pk}").status_code == 404
    preview = liaison("get", f"/prompts/preview?unit_id={rw.unit_a.pk}&period={PERIOD}").json()
    assert preview["sent"] is True and preview["item_count"] == 1
    assert other("get", f"/prompts/preview?unit_id={rw.unit_a.pk}&period={PERIOD}").status_code == 403
    assert api(None)("get", "/prompts").status_code == 401


def test_reviews_and_settings_api(rw, waiting, api):
    waiting()
    admin, disp_b, liaison = api(rw.admin), api(rw.dispatcher_b), api(rw.liaison_a)
    quarter = periods.quarter_of(periods.today())
    assert liaison("post", "/reviews", {"alliance_id": rw.alliance.pk, "quarter": quarter}).status_code == 403
    assert admin("post", "/reviews", {"alliance_id": rw.alliance.pk, "quarter": "2026-Q9"}).json()["field"] == "quarter"
    r = admin("post", "/reviews", {"alliance_id": rw.alliance.pk, "quarter": quarter})
    assert r.status_code == 201 and r.json()["figures"]["totals"]["orders"]["dispatched"] == 1
    review = Review.objects.get()
    assert admin("get", "/reviews").json()["count"] == 1
    scoped = disp_b("get", f"/reviews/{review.pk}").json()["figures"]
    assert [u["id"] for u in scoped["units"]] == [rw.unit_b.pk] and scoped["totals"] == {}
    assert disp_b("get", f"/reviews/{review.pk}/pdf").status_code == 403
    assert liaison("get", f"/reviews/{review.pk}").status_code == 404
    pdf = admin("get", f"/reviews/{review.pk}/pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    s = admin("get", f"/settings?alliance_id={rw.alliance.pk}").json()
    assert s["prompt_day"] == 1 and s["channels"] == ["inbox"]
    r = admin("put", "/settings", {"alliance_id": rw.alliance.pk, "prompt_day": 10, "prompt_time": "08:30", "reason": "改到月中"})
    assert r.status_code == 200 and r.json()["prompt_day"] == 10 and r.json()["prompt_time"] == "08:30"
    assert admin("put", "/settings", {"alliance_id": rw.alliance.pk, "prompt_day": 30}).json()["field"] == "prompt_day"
    assert liaison("put", "/settings", {"alliance_id": rw.alliance.pk, "prompt_day": 3}).status_code == 403
    assert liaison("get", f"/settings?alliance_id={rw.alliance.pk}").status_code == 403


def test_pages_for_prompts_and_settings(rw, waiting, client):
    waiting()
    client.force_login(rw.admin)
    assert client.get("/rhythm/").status_code == 200
    r = client.post("/rhythm/prompts/generate/", {"alliance": rw.alliance.pk, "period": PERIOD})
    assert r.status_code == 302 and Prompt.objects.count() == 1
    prompt = Prompt.objects.get()
    assert rw.unit_a.name in client.get("/rhythm/prompts/").content.decode()
    assert "t-liaison-a" in client.get(f"/rhythm/prompts/{prompt.pk}/").content.decode()
    page = client.get("/rhythm/settings/")
    assert page.status_code == 200
    r = client.post("/rhythm/settings/", {"alliance": rw.alliance.pk, "prompts_enabled": "on", "prompt_day": "40", "prompt_time": "09:00",
                                          "channels": ["inbox"], "review_day": "5", "review_time": "09:00"})
    assert r.status_code == 400
    r = client.post("/rhythm/settings/", {"alliance": rw.alliance.pk, "prompts_enabled": "on", "prompt_day": "2", "prompt_time": "09:00",
                                          "channels": ["inbox", "email"], "review_day": "5", "review_time": "09:00",
                                          "reviews_enabled": "on", "review_recipients": [rw.admin.pk]})
    assert r.status_code == 302
    from tongxin.rhythm.selectors import settings_for

    s = settings_for(rw.alliance)
    assert s.prompt_day == 2 and s.channels == ["inbox", "email"] and list(s.review_recipients.all()) == [rw.admin]
    client.force_login(rw.liaison_a)
    assert client.get("/rhythm/settings/").status_code == 404
    assert client.get(f"/rhythm/prompts/{prompt.pk}/").status_code == 200
    assert client.post("/rhythm/prompts/generate/", {"period": PERIOD}).status_code == 302
    client.force_login(rw.liaison_b)
    assert client.get(f"/rhythm/prompts/{prompt.pk}/").status_code == 404
    assert client.get(f"/rhythm/prompts/preview/{rw.unit_a.pk}/").status_code == 403
