"""Shared fixtures: a small alliance with two communities, so every test can also check
that one side cannot see or touch the other's data."""

import datetime as dt
import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs inside an event loop


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    if os.environ.get("TASK_BACKEND") != "django_tasks_rq.RQBackend":
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Forget the per-process memos of rows: between tests the database is rolled back or
    truncated without the save signals that clear them, and SQLite reuses the ids they are keyed by."""
    from tongxin.accounts.services import forget_tokens
    from tongxin.orders import memo
    from tongxin.routing.selectors import clear_cache

    for clear in (memo.clear, clear_cache, forget_tokens):
        clear()
    yield


class World:
    """street → (community A → branch A, unit A → unit branch A), (community B → branch B)."""


@pytest.fixture
def system_user(db):
    from tongxin.accounts.models import User

    return User.objects.create(username="system-test", is_superuser=True)


@pytest.fixture
def world(db, system_user):
    from tongxin.accounts.models import Role, User
    from tongxin.accounts.services import assign_role
    from tongxin.orgs import services as orgs
    from tongxin.orgs.models import OrgKind
    from tongxin.people import services as people

    S = system_user
    w = World()
    w.system = S
    w.street = orgs.create_organization(by=S, parent=None, name="测试街道党工委", kind=OrgKind.STREET_COMMITTEE)
    w.community_a = orgs.create_organization(by=S, parent=w.street, name="甲社区党委", kind=OrgKind.COMMUNITY_COMMITTEE)
    w.community_b = orgs.create_organization(by=S, parent=w.street, name="乙社区党委", kind=OrgKind.COMMUNITY_COMMITTEE)
    w.branch_a = orgs.create_organization(by=S, parent=w.community_a, name="甲社区第一党支部", kind=OrgKind.BRANCH)
    w.branch_b = orgs.create_organization(by=S, parent=w.community_b, name="乙社区第一党支部", kind=OrgKind.BRANCH)
    w.unit_a = orgs.create_organization(by=S, parent=w.community_a, name="甲医院", kind=OrgKind.HOSPITAL,
                                        original_affiliation="市卫健委党委")
    w.alliance = orgs.create_alliance(by=S, core_organization=w.street, name="测试党建联盟", structure_label="1+2+N",
                                      founded_on=dt.date(2024, 1, 1))
    w.person_a = people.create_person(by=S, organization=w.community_a, community=w.community_a, name="张三",
                                      phone="13800000001", id_number="11010519491231002X")
    w.person_b = people.create_person(by=S, organization=w.community_b, community=w.community_b, name="李四",
                                      phone="13800000002")

    def user(username, role, org, person=None):
        u = User.objects.create_user(username=username, password="pass-12345", person=person)
        assign_role(user=u, role=role, organization=org, by=None)
        return u

    w.user = user
    w.admin = user("t-admin", Role.ALLIANCE_ADMIN, w.street)
    w.dispatcher_a = user("t-disp-a", Role.DISPATCHER, w.community_a)
    w.dispatcher_b = user("t-disp-b", Role.DISPATCHER, w.community_b)
    w.liaison_a = user("t-liaison-a", Role.LIAISON, w.unit_a)
    w.resident_a = user("t-resident-a", Role.RESIDENT, w.community_a, w.person_a)
    return w
