"""A phone change shows in the field-level history as masked old → new, never in full."""


def test_phone_change_shows_masked_in_history(world, client):
    from tongxin.people import services as people

    people.update_person(person=world.person_a, by=world.admin, phone="13900000009", reason="换号")
    client.force_login(world.admin)
    body = client.get(f"/history/person/{world.person_a.pk}/").content.decode()
    assert "139****0009" in body and "138****0001" in body
    assert "13900000009" not in body and "13800000001" not in body
    assert "换号" in body
