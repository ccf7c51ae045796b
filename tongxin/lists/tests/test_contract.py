"""The cross-app contract: create_project and projects_for_review keep their signatures and meaning."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.audit.models import Event
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.lists import selectors, services
from tongxin.lists.models import Project


@pytest.mark.django_db
def test_create_project_starts_proposed_with_origin_and_event(lw):
    origin = lw.community_a  # any model instance
    p = services.create_project(by=lw.liaison_a, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a,
                                description="在社区开设助老食堂", area=lw.areas["welfare"], source="units", origin=origin)
    assert p.status == "proposed" and p.origin == origin and p.origin_label == "甲社区党委"
    assert Event.objects.filter(verb="lists.project_proposed", target_id=str(p.pk)).exists()


@pytest.mark.django_db
def test_create_project_refusals(lw):
    with pytest.raises(PermissionDenied):
        services.create_project(by=lw.resident_a, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a)
    with pytest.raises(DomainError, match="项目名称"):
        services.create_project(by=lw.admin, alliance=lw.alliance, title="   ", lead_unit=lw.unit_a)
    with pytest.raises(DomainError, match="无法识别"):
        services.create_project(by=lw.admin, alliance=lw.alliance, title="!!!???", lead_unit=lw.unit_a)
    with pytest.raises(DomainError, match="来源"):
        services.create_project(by=lw.admin, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a, source="moon")
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_projects_for_review_counts_milestones(lw):
    p = services.create_project(by=lw.admin, alliance=lw.alliance, title="共建助老食堂", lead_unit=lw.unit_a)
    today = timezone.localdate()
    services.add_milestone(by=lw.admin, project=p, title="选址完成", due_on=today - dt.timedelta(days=10))
    m2 = services.add_milestone(by=lw.admin, project=p, title="试运营", due_on=today - dt.timedelta(days=5))
    services.add_milestone(by=lw.admin, project=p, title="正式开业", due_on=today + dt.timedelta(days=30))
    services.complete_milestone(by=lw.admin, milestone=m2, done_on=today - dt.timedelta(days=6))
    rows = list(selectors.projects_for_review(lw.alliance, start=today - dt.timedelta(days=90), end=today))
    assert len(rows) == 1
    r = rows[0]
    assert r["project"] == p and r["lead_unit"] == lw.unit_a and r["status"] == "proposed"
    assert (r["milestones_total"], r["milestones_done"], r["overdue_milestones"]) == (3, 1, 1)
    # A period that ended before the project was proposed does not list it.
    assert list(selectors.projects_for_review(lw.alliance, start=today - dt.timedelta(days=400), end=today - dt.timedelta(days=300))) == []
