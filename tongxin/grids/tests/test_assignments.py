import pytest
from django.urls import reverse

from tongxin.audit.models import Event
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.grids import selectors, services
from tongxin.people.models import PersonRole, RoleTag


def test_assign_and_end_through_services_record_events_on_grid_and_person(grids, world):
    role = services.assign_person(grid=grids.a1, person=world.person_a, tag=RoleTag.GRID_HEAD, by=world.dispatcher_a, reason="换届")
    assert role.grid == grids.a1 and role.until is None
    assert list(selectors.assignments(grids.a1)) == [role]
    ev = Event.objects.get(verb="grid.assigned", target_id=str(grids.a1.pk))
    assert ev.payload["tag"] == "grid_head" and ev.reason == "换届"
    assert Event.objects.filter(verb="person.role_added", target_id=str(world.person_a.pk)).exists()

    services.end_assignment(grid=grids.a1, role=role, by=world.dispatcher_a, reason="调任")
    role.refresh_from_db()
    assert role.until is not None
    assert list(selectors.assignments(grids.a1)) == []
    assert Event.objects.get(verb="grid.assignment_ended").reason == "调任"


def test_assignment_rules(grids, world):
    with pytest.raises(DomainError) as exc:
        services.assign_person(grid=grids.a1, person=world.person_a, tag=RoleTag.VOLUNTEER, by=world.admin)
    assert exc.value.field == "tag"
    with pytest.raises(DomainError) as exc:
        services.assign_person(grid=grids.com_a, person=world.person_a, tag=RoleTag.GRID_WORKER, by=world.admin)
    assert exc.value.field == "tag" and "网格或微网格" in exc.value.message
    services.assign_person(grid=grids.a1, person=world.person_a, tag=RoleTag.GRID_WORKER, by=world.admin)
    with pytest.raises(DomainError) as exc:
        services.assign_person(grid=grids.a1, person=world.person_a, tag=RoleTag.GRID_WORKER, by=world.admin)
    assert "已有该角色" in exc.value.message
    # Five heads on a micro-grid are fine.
    services.assign_person(grid=grids.a1a, person=world.person_a, tag=RoleTag.BUILDING_HEAD, by=world.admin)
    assert PersonRole.objects.filter(person=world.person_a, until__isnull=True).count() == 2


def test_dispatcher_b_cannot_assign_in_a(grids, world):
    with pytest.raises(PermissionDenied):
        services.assign_person(grid=grids.a1, person=world.person_b, tag=RoleTag.GRID_WORKER, by=world.dispatcher_b)
    assert not PersonRole.objects.filter(grid=grids.a1).exists()


def test_picker_offers_people_of_the_grids_community_only(grids, world):
    names = {p.name for p in selectors.people_for_assignment(world.admin, grids.a1)}
    assert "张三" in names and "李四" not in names
    assert {p.name for p in selectors.people_for_assignment(world.admin, grids.b1)} == {"李四"}
    # Dispatcher A cannot pick B's person even by id.
    with pytest.raises(DomainError):
        selectors.get_person_for_assignment(world.dispatcher_a, grids.a1, world.person_b.pk)


def test_assign_on_the_page_with_htmx_shows_masked_phone(grids, world, client_for):
    c = client_for(world.dispatcher_a)
    url = reverse("grids:assign", args=[grids.a1.pk])
    r = c.post(url, {"person": world.person_a.pk, "tag": "road_head", "reason": "新任"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "张三" in html and "138****0001" in html and "13800000001" not in html
    role = PersonRole.objects.get(grid=grids.a1, tag="road_head")
    detail = c.get(reverse("grids:detail", args=[grids.a1.pk])).content.decode()
    assert "网格员和“五长”" in detail and "138****0001" in detail and "13800000001" not in detail

    r = c.post(reverse("grids:assignment_end", args=[grids.a1.pk, role.pk]), {"reason": "离任"})
    assert r.status_code == 302
    role.refresh_from_db()
    assert role.until is not None


def test_assign_errors_on_the_page_are_chinese(grids, world, client_for):
    c = client_for(world.dispatcher_a)
    url = reverse("grids:assign", args=[grids.a1.pk])
    r = c.post(url, {"person": world.person_b.pk, "tag": "road_head"})
    assert r.status_code == 400
    assert not PersonRole.objects.filter(grid=grids.a1).exists()
    services.assign_person(grid=grids.a1, person=world.person_a, tag=RoleTag.SHOP_HEAD, by=world.admin)
    r = c.post(url, {"person": world.person_a.pk, "tag": "shop_head"}, HTTP_HX_REQUEST="true")
    assert "此人已有该角色" in r.content.decode()


def test_people_options_fragment(grids, world, client_for):
    c = client_for(world.dispatcher_a)
    html = c.get(reverse("grids:people_options", args=[grids.a1.pk]), {"q": "張"}).content.decode()
    assert "张三" in html and "138****0001" in html
    assert c.get(reverse("grids:people_options", args=[grids.b1.pk])).status_code == 404
    assert client_for(world.resident_a).get(reverse("grids:people_options", args=[grids.a1.pk])).status_code == 403


def test_end_assignment_of_another_grid_is_refused(grids, world, client_for):
    role = services.assign_person(grid=grids.a1, person=world.person_a, tag=RoleTag.LANE_HEAD, by=world.admin)
    c = client_for(world.dispatcher_a)
    r = c.post(reverse("grids:assignment_end", args=[grids.a2.pk, role.pk]))
    assert r.status_code == 404
    role.refresh_from_db()
    assert role.until is None


def test_grid_page_links_a_head_only_for_viewers_who_may_open_the_record(grids, world, client):
    from tongxin.people import services as people

    head = people.create_person(by=world.system, organization=world.community_a, community=world.community_a, name="赵六")
    services.assign_person(grid=grids.a1, person=head, tag=RoleTag.GRID_HEAD, by=world.dispatcher_a)
    link = f'href="{reverse("people:detail", args=[head.pk])}"'
    client.force_login(world.dispatcher_a)
    assert link in client.get(reverse("grids:detail", args=[grids.a1.pk])).content.decode()
    client.force_login(world.resident_a)  # a resident sees who their grid head is, not the record
    body = client.get(reverse("grids:detail", args=[grids.a1.pk])).content.decode()
    assert "赵六" in body and link not in body
