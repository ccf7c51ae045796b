"""Scheduler handlers of deliberation (registered from DeliberationConfig.ready()).

- deliberation.stage_overdue: a topic left unresolved past its stage's time escalates one step
  (online → property council → community council); at the community council the moderators and
  the street get one reminder instead. The handler re-checks the stage and escalates with
  compare-and-set, so a late job, a moderator who acted first, or two scheduler instances never
  escalate twice.
- deliberation.ballot_close: freezes the eligible count and puts the result on the timeline, once.
"""

from tongxin.notify import scheduler

from .models import Ballot, Stage, Topic


@scheduler.register("deliberation.stage_overdue")
def stage_overdue(job):
    from . import services

    target = job.target
    topic = Topic.objects.select_related("community", "alliance").filter(pk=getattr(target, "pk", None)).first()
    stage = (job.payload or {}).get("stage")
    if topic is None or topic.stage != stage:
        return
    if not services.config_for(topic.alliance).auto_escalate:
        return
    if stage in (Stage.ONLINE, Stage.PROPERTY):
        services.auto_escalate(topic=topic, stage=stage)
        return
    if stage == Stage.COMMUNITY:
        from tongxin.accounts.models import Role
        from tongxin.orders.services import street_of, users_with_roles

        street = street_of(topic.community)
        recipients = services._moderators(topic) + (users_with_roles(street, [Role.ALLIANCE_ADMIN]) if street else [])
        services._notify(recipients=recipients, topic=topic, verb="deliberation.overdue",
                         title=f"议题久拖未决，请督办：{topic.title}", body="社区党群议事已超过设定时限仍未形成决议。",
                         dedupe_key=f"topic:{topic.pk}:overdue:community")


@scheduler.register("deliberation.ballot_close")
def ballot_close(job):
    from . import services

    ballot = Ballot.objects.select_related("topic", "topic__community").filter(pk=getattr(job.target, "pk", None)).first()
    if ballot is not None:
        services.close_ballot(ballot=ballot)
