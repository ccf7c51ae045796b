"""Every object's history: who, when, what and why — on a page and in the API, scoped like the object."""

import pytest

from tongxin.audit import events
from tongxin.audit.models import Event
from tongxin.audit.selectors import events_for, history_of
from tongxin.orgs import services as orgs
from tongxin.people import services as people


@pytest.fixture
def changed(world):
    people.update_person(person=world.person_a, by=world.dispatcher_a, note="独居老人", reason="入户走访发现")
    people.reveal(person=world.person_a, field="phone", by=world.dispatcher_a, purpose="联系本人")
    orgs.update_organization(org=world.community_a, by=world.dispatcher_a, description="老城区社区", reason="完善简介")
    return world


def test_person_history_page_shows_actor_reason_and_reads(changed, client):
    w = changed
    client.force_login(w.dispatcher_a)
    resp = client.get(f"/history/person/{w.person_a.pk}/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "张三" in html
    assert "person.updated" in html and "入户走访发现" in html and "t-disp-a" in html
    assert "person.created" in html
    assert "联系本人" in html  # the read of the phone number is listed
    assert "13800000001" not in html  # but never the value


def test_organisation_history_page(changed, client):
    client.force_login(changed.dispatcher_a)
    html = client.get(f"/history/organization/{changed.community_a.pk}/").content.decode()
    assert "甲社区党委" in html and "完善简介" in html and "老城区社区" in html


def test_history_of_another_communitys_objects_is_404(changed, client):
    client.force_login(changed.dispatcher_b)
    assert client.get(f"/history/person/{changed.person_a.pk}/").status_code == 404
    assert client.get(f"/history/organization/{changed.community_a.pk}/").status_code == 404
    assert client.get("/history/spaceship/1/").status_code == 404
    client.force_login(changed.resident_a)
    assert client.get(f"/history/person/{changed.person_b.pk}/").status_code == 404
    assert client.get(f"/history/person/{changed.person_a.pk}/").status_code == 200  # their own record


def test_history_page_needs_a_login(changed, client):
    assert client.get(f"/history/person/{changed.person_a.pk}/").status_code == 302


def test_audit_api_lists_events_scoped(changed, client):
    from tongxin.accounts.services import create_api_token

    _, key_a = create_api_token(user=changed.dispatcher_a, name="审计")
    _, key_b = create_api_token(user=changed.dispatcher_b, name="审计")
    resp = client.get(f"/api/v1/history/person/{changed.person_a.pk}", HTTP_AUTHORIZATION=f"Bearer {key_a}")
    assert resp.status_code == 200
    body = resp.json()
    assert [e["verb"] for e in body] == ["person.updated", "person.created"]
    assert body[0]["reason"] == "入户走访发现" and body[0]["actor"] == "t-disp-a"
    assert body[0]["payload"]["changes"]["note"] == ["", "独居老人"]
    resp = client.get(f"/api/v1/history/person/{changed.person_a.pk}", HTTP_AUTHORIZATION=f"Bearer {key_b}")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    assert client.get(f"/api/v1/history/person/{changed.person_a.pk}").status_code == 401


def test_events_record_and_changes(world):
    ev = events.record(actor=world.admin, verb="test.done", target=world.person_a, organization=world.community_a, reason="原因")
    assert list(events_for(world.person_a).filter(verb="test.done")) == [ev]
    assert (ev.target_label, ev.actor, ev.reason) == ("张三", world.admin, "原因")
    anonymous = events.record(actor=None, verb="test.system", target=world.person_a)
    assert anonymous.actor is None and anonymous.payload == {}
    assert events.changes(world.person_a, {"name": "张三", "organization": world.community_b, "note": "x"}) == {
        "organization": [world.community_a.pk, world.community_b.pk], "note": ["", "x"]}


def test_history_of_hides_encrypted_columns(changed):
    people.update_person(person=changed.person_a, by=changed.dispatcher_a, phone="13912345678", reason="换号")
    out = history_of(changed.person_a)
    changes = [c for d in out["diffs"] for c in d["changes"]]
    assert "备注" in {f for f, _old, _new in changes}  # labels, not column names
    assert ("手机号码", "138****0001", "139****5678") in changes  # masked both ways
    values = " ".join(f"{old} {new}" for _f, old, new in changes)
    assert "13912345678" not in values and "gAAAA" not in values  # neither the number nor its ciphertext
    assert [r.field for r in out["sensitive_reads"]] == ["phone"]
    # The phone change is named in the event, never with its value.
    ev = Event.objects.get(verb="person.updated", reason="换号")
    assert ev.payload["changes"] == {"phone": ["***", "***"]}


def test_history_pages_of_action_items_and_projects(world, client):
    import datetime as dt

    from tongxin.lists.services import create_project
    from tongxin.meetings.services import create_action_item
    from tongxin.orgs import services as orgs

    orgs.add_member(alliance=world.alliance, organization=world.unit_a, by=world.system, joined_on=dt.date(2024, 1, 1))
    item = create_action_item(by=world.admin, alliance=world.alliance, title="修缮活动室", owner=world.unit_a,
                              due_on=dt.date(2026, 12, 31))
    project = create_project(by=world.admin, alliance=world.alliance, title="银龄助餐", lead_unit=world.unit_a)
    client.force_login(world.admin)
    for kind, obj in (("actionitem", item), ("project", project)):
        resp = client.get(f"/history/{kind}/{obj.pk}/")
        assert resp.status_code == 200 and obj.title in resp.content.decode(), kind
    client.force_login(world.resident_a)
    assert client.get(f"/history/actionitem/{item.pk}/").status_code == 404
