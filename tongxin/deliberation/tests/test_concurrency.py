"""Real threads against the real database (SQLite and PostgreSQL): the same person's vote cast twice at
the same moment makes one row; a dispatcher and the scheduler escalating at once move the topic once."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.core.errors import DomainError
from tongxin.core.testing import run_in_threads
from tongxin.deliberation import services
from tongxin.deliberation.models import Ballot, BallotOption, BallotParticipation, Stage, Topic, TopicEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_same_vote_twice_at_once_makes_one_row(dw, raise_topic):
    topic = raise_topic()
    ballot = services.create_ballot(topic=topic, by=dw.dispatcher_a, question="是否同意错时停车？", options=["同意", "不同意"],
                                    closes_at=timezone.now() + dt.timedelta(days=1))
    options = list(ballot.options.all())

    def vote(i):
        b = Ballot.objects.select_related("topic", "topic__community").get(pk=ballot.pk)
        return services.cast_vote(ballot=b, by=dw.resident_a, option=options[i % 2])

    results = run_in_threads(8, vote)
    wins = [r for r in results if isinstance(r, BallotParticipation)]
    losses = [r for r in results if isinstance(r, DomainError)]
    assert len(wins) == 1, results
    assert len(losses) == 7 and all("已经投过票" in e.message for e in losses), results
    assert BallotParticipation.objects.filter(ballot=ballot).count() == 1
    assert sum(BallotOption.objects.filter(ballot=ballot).values_list("votes", flat=True)) == 1


def test_concurrent_escalations_move_once(dw, raise_topic):
    topic = raise_topic()

    def act(i):
        t = Topic.objects.select_related("community", "alliance").get(pk=topic.pk)
        if i % 2:
            return services.auto_escalate(topic=t, stage=Stage.ONLINE)
        # As the page posts it: the stage to move to, so a moderator who saw the old stage cannot move it twice.
        return services.escalate(topic=t, by=dw.dispatcher_a, to=Stage.PROPERTY)

    results = run_in_threads(6, act)
    assert all(isinstance(r, (bool, Topic, DomainError)) for r in results), results
    assert TopicEvent.objects.filter(topic=topic, verb="escalate").count() == 1
    assert Topic.objects.get(pk=topic.pk).stage == Stage.PROPERTY


def test_two_scheduler_instances_escalate_once(dw, raise_topic):
    from tongxin.notify import scheduler
    from tongxin.notify.models import ScheduledJob

    topic = raise_topic()
    job = ScheduledJob.objects.get(kind="deliberation.stage_overdue", target_id=str(topic.pk))
    later = job.due_at + dt.timedelta(minutes=1)
    results = run_in_threads(2, lambda i: scheduler.run_due(now=later, worker=f"instance-{i}"))
    assert sorted(results) == [0, 1], results
    assert TopicEvent.objects.filter(topic=topic, verb="escalate").count() == 1
    assert Topic.objects.get(pk=topic.pk).stage == Stage.PROPERTY
