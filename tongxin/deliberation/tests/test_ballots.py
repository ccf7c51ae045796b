"""Votes: one person one vote, the close, eligibility by grid and building, secret versus open, turnout."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.audit.models import Event
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.deliberation import selectors, services
from tongxin.deliberation.models import Ballot, BallotParticipation, Eligibility

pytestmark = pytest.mark.django_db


def opt(ballot, label):
    return ballot.options.get(label=label)


def test_vote_and_results_with_turnout(dw, ballot):
    b = ballot()
    eligible = selectors.eligible_count(b)
    assert eligible == 3  # 张三, 王五 and 赵六 live in community A; 李四 lives in B
    services.cast_vote(ballot=b, by=dw.resident_a, option=opt(b, "同意"))
    services.cast_vote(ballot=b, by=dw.resident_c, option=opt(b, "不同意"))
    services.cast_vote(ballot=b, by=dw.resident_d, option=opt(b, "同意"))
    res = selectors.results(b)
    assert res["total"] == 3 and res["eligible"] == eligible
    assert res["turnout"] == round(100 * 3 / eligible, 1)
    assert [(o["label"], o["votes"]) for o in res["options"]] == [("同意", 2), ("不同意", 1), ("弃权", 0)]
    assert res["winners"] == ["同意"]


def test_eligible_residents_are_notified(dw, ballot):
    from tongxin.notify.models import Notification

    b = ballot(eligibility=Eligibility.GRID, grid=dw.grid_a)
    notified = set(Notification.objects.filter(verb="deliberation.ballot_opened", target_id=str(b.topic_id))
                   .values_list("recipient__username", flat=True))
    assert notified == {dw.resident_a.username, dw.resident_c.username}


def test_vote_twice_refused(dw, ballot):
    b = ballot()
    services.cast_vote(ballot=b, by=dw.resident_a, option=opt(b, "同意"))
    with pytest.raises(DomainError) as exc:
        services.cast_vote(ballot=b, by=dw.resident_a, option=opt(b, "不同意"))
    assert "已经投过票" in exc.value.message and exc.value.code == "conflict"
    assert BallotParticipation.objects.filter(ballot=b).count() == 1
    assert selectors.results(b)["total"] == 1


def test_vote_after_close_refused(dw, ballot):
    b = ballot()
    Ballot.objects.filter(pk=b.pk).update(opens_at=timezone.now() - dt.timedelta(days=2), closes_at=timezone.now() - dt.timedelta(seconds=1))
    b.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.cast_vote(ballot=b, by=dw.resident_a, option=opt(b, "同意"))
    assert "已于" in exc.value.message and "截止" in exc.value.message
    assert not BallotParticipation.objects.exists()


def test_vote_before_opening_refused(dw, ballot):
    b = ballot(opens_at=timezone.now() + dt.timedelta(hours=2), closes_at=timezone.now() + dt.timedelta(days=1))
    with pytest.raises(DomainError) as exc:
        services.cast_vote(ballot=b, by=dw.resident_a, option=opt(b, "同意"))
    assert "尚未开始" in exc.value.message


def test_ineligible_voter_refused_grid(dw, ballot):
    b = ballot(eligibility=Eligibility.GRID, grid=dw.grid_a)
    assert selectors.eligible_count(b) == 2  # 张三 and 王五 live on grid 1
    services.cast_vote(ballot=b, by=dw.resident_c, option=opt(b, "同意"))
    with pytest.raises(PermissionDenied) as exc:
        services.cast_vote(ballot=b, by=dw.resident_d, option=opt(b, "同意"))
    assert "不在本次投票的范围内" in exc.value.message and "甲社区第1网格" in exc.value.message


def test_ineligible_voter_refused_other_community(dw, ballot):
    b = ballot()
    with pytest.raises(PermissionDenied):
        services.cast_vote(ballot=b, by=dw.resident_b, option=opt(b, "同意"))


def test_building_eligibility_uses_the_roll(dw, ballot, raise_topic):
    topic = raise_topic(building="3号楼")
    with pytest.raises(DomainError) as exc:
        ballot(topic, eligibility=Eligibility.BUILDING)
    assert "楼栋名册" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.set_building_roll(community=dw.community_a, by=dw.resident_a, building="3号楼", people=[dw.person_a])
    with pytest.raises(DomainError):
        services.set_building_roll(community=dw.community_a, by=dw.dispatcher_a, building="3号楼", people=[dw.person_b])
    assert services.set_building_roll(community=dw.community_a, by=dw.dispatcher_a, building="3号楼",
                                      people=[dw.person_a, dw.person_d]) == 2
    b = ballot(topic, eligibility=Eligibility.BUILDING)
    assert b.building == "3号楼" and selectors.eligible_count(b) == 2
    services.cast_vote(ballot=b, by=dw.resident_d, option=opt(b, "同意"))
    with pytest.raises(PermissionDenied) as exc:
        services.cast_vote(ballot=b, by=dw.resident_c, option=opt(b, "同意"))
    assert "3号楼" in exc.value.message


def test_account_without_person_cannot_vote(dw, ballot):
    b = ballot()
    with pytest.raises(DomainError) as exc:
        services.cast_vote(ballot=b, by=dw.dispatcher_a, option=opt(b, "同意"))
    assert "居民档案" in exc.value.message


def test_option_of_another_ballot_refused(dw, ballot, raise_topic):
    b1, b2 = ballot(), ballot()
    with pytest.raises(DomainError) as exc:
        services.cast_vote(ballot=b1, by=dw.resident_a, option=b2.options.first())
    assert exc.value.field == "option"


def test_secret_ballot_never_reveals_choice(dw, ballot):
    b = ballot(secret=True)
    services.cast_vote(ballot=b, by=dw.resident_a, option=opt(b, "不同意"))
    part = BallotParticipation.objects.get(ballot=b)
    assert part.option_id is None  # who voted is known, what they chose is not stored with them
    ev = Event.objects.get(verb="deliberation.voted")
    assert "不同意" not in str(ev.payload)
    assert "不同意" not in str(list(b.history.values()))
    with pytest.raises(PermissionDenied):
        selectors.voters(dw.dispatcher_a, b)
    mine = selectors.has_voted(dw.resident_a, b)
    assert mine is not None and mine.option is None


def test_open_ballot_shows_names_to_moderators_only(dw, ballot):
    b = ballot(secret=False)
    services.cast_vote(ballot=b, by=dw.resident_a, option=opt(b, "同意"))
    rows = selectors.voters(dw.dispatcher_a, b)
    assert [(r.person.name, r.option.label) for r in rows] == [("张三", "同意")]
    with pytest.raises(PermissionDenied):
        selectors.voters(dw.resident_c, b)
    with pytest.raises(PermissionDenied):
        selectors.voters(dw.dispatcher_b, b)


@pytest.mark.parametrize("kw,field", [
    ({"options": ["同意"]}, "options"),
    ({"options": ["同意", "同意 "]}, "options"),
    ({"question": ""}, "question"),
    ({"closes_at": "past"}, "closes_at"),
    ({"eligibility": "grid", "grid": "b"}, "grid"),
])
def test_ballot_bad_input(dw, ballot, kw, field):
    if kw.get("closes_at") == "past":
        kw["closes_at"] = timezone.now() - dt.timedelta(minutes=1)
    if kw.get("grid") == "b":
        kw["grid"] = dw.grid_b
    with pytest.raises(DomainError) as exc:
        ballot(**kw)
    assert exc.value.field == field
    assert not Ballot.objects.exists()


def test_only_moderators_create_ballots(dw, raise_topic):
    topic = raise_topic()
    for user in (dw.resident_a, dw.dispatcher_b):
        with pytest.raises(PermissionDenied):
            services.create_ballot(topic=topic, by=user, question="是否同意？", options=["是", "否"],
                                   closes_at=timezone.now() + dt.timedelta(days=1))


def test_close_freezes_eligible_once(dw, ballot):
    from tongxin.notify import scheduler
    from tongxin.notify.models import ScheduledJob

    b = ballot()
    services.cast_vote(ballot=b, by=dw.resident_a, option=opt(b, "同意"))
    job = ScheduledJob.objects.get(kind="deliberation.ballot_close", target_id=str(b.pk))
    later = b.closes_at + dt.timedelta(minutes=1)
    Ballot.objects.filter(pk=b.pk).update(opens_at=timezone.now() - dt.timedelta(days=5), closes_at=timezone.now() - dt.timedelta(days=1))
    ScheduledJob.objects.filter(pk=job.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    assert scheduler.run_due(now=later) == 1
    b.refresh_from_db()
    assert b.eligible_count == 3
    assert not services.close_ballot(ballot=b)
    assert b.topic.events.filter(verb="ballot_closed").count() == 1


def test_end_ballot_early(dw, ballot):
    b = ballot()
    with pytest.raises(DomainError):
        services.end_ballot_now(ballot=b, by=dw.dispatcher_a, reason="")
    services.end_ballot_now(ballot=b, by=dw.dispatcher_a, reason="协商会已达成一致")
    b.refresh_from_db()
    assert selectors.ballot_state(b) == "closed" and b.eligible_count == 3
    with pytest.raises(DomainError):
        services.cast_vote(ballot=b, by=dw.resident_a, option=opt(b, "同意"))
