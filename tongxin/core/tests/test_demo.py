"""The demo alliance: one command, deterministic, and it never loads twice."""

import pytest
from django.core.management import call_command

from tongxin.accounts.models import Role, User
from tongxin.core.demo import ALLIANCE_NAME, build_demo
from tongxin.orgs.models import Alliance, Organization, OrgKind
from tongxin.people.models import PartyMemberProfile, Person, PersonRole, RoleTag


@pytest.fixture(scope="module")
def demo_db(django_db_setup, django_db_blocker):
    """Build the demo once for this module (it takes a few seconds), and remove it afterwards."""
    with django_db_blocker.unblock():
        from django.db import connection

        from tongxin.core.demo import DemoBuilder

        result = DemoBuilder().build()
        counts = {
            "people": Person.objects.count(),
            "orgs": Organization.objects.count(),
            "members": PartyMemberProfile.objects.count(),
            "names": list(Person.objects.order_by("pk").values_list("name", flat=True)[:20]),
        }
        yield result, counts
        call_command("flush", "--noinput", verbosity=0)
        connection.close()


@pytest.mark.django_db
def test_demo_has_the_1_9_n_shape_and_one_login_per_role(demo_db, settings):
    # The module fixture ran before the fast test hasher was set, so accept the default hasher here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", "django.contrib.auth.hashers.MD5PasswordHasher"]
    result, counts = demo_db
    alliance = Alliance.objects.get(name=ALLIANCE_NAME)
    assert alliance.structure_label == "1+9+N"
    assert Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE).count() == 9
    assert counts["people"] > 300 and counts["members"] > 200
    assert PersonRole.objects.filter(tag=RoleTag.VOLUNTEER, until__isnull=True).count() > 50
    roles = dict(User.objects.filter(username__in=[a[0] for a in result["accounts"]]).values_list("username", "role_assignments__role"))
    assert roles == {"admin": Role.ALLIANCE_ADMIN, "dispatcher": Role.DISPATCHER, "dispatcher2": Role.DISPATCHER, "liaison": Role.LIAISON,
                     "gridworker": Role.GRID_WORKER, "member": Role.PARTY_MEMBER, "resident": Role.RESIDENT}
    assert all(User.objects.get(username=u).person_id for u in roles)
    assert User.objects.get(username="dispatcher").check_password("tongxin2026")


@pytest.mark.django_db
def test_demo_is_skipped_when_it_exists(demo_db, capsys):
    _, counts = demo_db
    assert build_demo() is None
    call_command("seed_demo")
    assert "演示数据已存在" in capsys.readouterr().out
    assert Person.objects.count() == counts["people"]
    assert Organization.objects.count() == counts["orgs"]


@pytest.mark.django_db
def test_demo_is_deterministic(demo_db):
    """Seeded, so every build draws the same alliance: a snapshot of its size and first names.

    (If the demo is changed on purpose, update these figures.)"""
    from tongxin.core import crypto
    from tongxin.grids.models import Grid

    _, counts = demo_db
    assert (counts["people"], counts["orgs"], Grid.objects.count()) == (634, 93, 91)
    assert counts["names"][:5] == ["朱兰", "程春", "段艳英", "孔超建", "魏建敏"]
    assert len(set(Person.objects.values_list("name", flat=True))) == counts["people"]  # names are unique
    # Phones and ID numbers are drawn in sequence and valid.
    first = Person.objects.order_by("pk").first()
    assert first.phone_hash == crypto.lookup_hash("13900000001")
