import pytest


@pytest.mark.django_db
def test_healthz_answers_200_with_the_database_vendor(client):
    from django.db import connection

    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "database": connection.vendor}


def test_world_fixture_scopes_dispatchers(world):
    from tongxin.people.selectors import visible_people

    assert list(visible_people(world.dispatcher_a)) == [world.person_a]
    assert list(visible_people(world.dispatcher_b)) == [world.person_b]
    assert set(visible_people(world.admin)) == {world.person_a, world.person_b}
