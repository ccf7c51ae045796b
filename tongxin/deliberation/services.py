"""Writes of deliberation. Every stage change goes through transition(), which checks the one
stage table (workflow.py), changes the stage with a compare-and-set UPDATE and writes both the
timeline row (TopicEvent) and the audit Event.

Services take keyword-only arguments, run inside transaction.atomic and raise DomainError with
a Chinese message naming the field at fault.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.models import Role
from tongxin.accounts.scope import ensure_can, has_perm
from tongxin.audit import events
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.core.text import search_blob
from tongxin.orgs.models import Alliance, Organization, OrgKind

from . import selectors, workflow
from .models import (
    OPEN_STAGES,
    Ballot,
    BallotOption,
    BallotParticipation,
    BuildingResident,
    Consultation,
    DeliberationSettings,
    Eligibility,
    Invitee,
    Opinion,
    Resolution,
    ResolutionKind,
    ResolutionLink,
    Stage,
    StakeholderKind,
    Topic,
    TopicEvent,
    TopicPhoto,
)

TITLE_MAX = 80
TEXT_MAX = 2000
OPINION_MAX = 1000
OVERDUE_KIND = "deliberation.stage_overdue"
BALLOT_CLOSE_KIND = "deliberation.ballot_close"


def _user(by):
    return by if by is not None and getattr(by, "is_authenticated", False) and by.pk else None


def _text(value, *, field: str, label: str, low: int, high: int) -> str:
    value = (value or "").strip()
    if len(value) < low:
        raise DomainError(f"请填写{label}（至少 {low} 个字）", field=field)
    if len(value) > high:
        raise DomainError(f"{label}不能超过 {high} 字，现在是 {len(value)} 字", field=field)
    return value


def config_for(alliance: Alliance | None) -> DeliberationSettings:
    if alliance is None:
        return DeliberationSettings()
    return DeliberationSettings.objects.filter(alliance=alliance).first() or DeliberationSettings(alliance=alliance)


def stage_due(topic: Topic, stage: str, start) -> dt.datetime | None:
    from tongxin.core import workcalendar

    days = config_for(topic.alliance).days_for(stage)
    return workcalendar.add_working_days(start, days) if days else None


def _schedule_overdue(topic: Topic) -> None:
    from tongxin.notify import scheduler

    scheduler.cancel(kind=OVERDUE_KIND, target=topic)
    if topic.stage in OPEN_STAGES and topic.stage_due_at is not None:
        scheduler.schedule(kind=OVERDUE_KIND, due_at=topic.stage_due_at, target=topic, payload={"stage": topic.stage},
                           dedupe_key=f"topic:{topic.pk}:stage:{topic.stage}")


def _notify(*, recipients, topic: Topic, verb: str, title: str, body: str = "", dedupe_key: str = "") -> None:
    from tongxin.notify.services import notify

    recipients = [u for u in recipients if u is not None]
    if recipients:
        notify(recipients=recipients, verb=verb, title=title, body=body, url=f"/topics/{topic.pk}/", target=topic,
               organization=topic.community, dedupe_key=dedupe_key)


def _moderators(topic: Topic):
    from tongxin.orders.services import users_with_roles

    return users_with_roles(topic.community, [Role.DISPATCHER])


def _event(topic: Topic, *, by, verb: str, note: str = "", public: bool = True, payload: dict | None = None,
           from_stage: str = "", to_stage: str = "") -> TopicEvent:
    return TopicEvent.objects.create(topic=topic, actor=_user(by), verb=verb, note=note, public=public, payload=payload or {},
                                     from_stage=from_stage or topic.stage, to_stage=to_stage or topic.stage)


def _refresh_search(topic: Topic) -> None:
    Topic.objects.filter(pk=topic.pk).update(search_text=search_blob(topic.title, topic.description, topic.compound, topic.building))


# --- configuration -------------------------------------------------------------------------------

@transaction.atomic
def save_config(*, alliance: Alliance, by, reason: str = "", **data) -> DeliberationSettings:
    """How long a topic may stay at each stage (working days) before it escalates by itself."""
    ensure_can(by, P.MODERATE_TOPICS, alliance.core_organization, "只有联盟管理员可以设置议事时限")
    config = config_for(alliance)
    labels = {"online_days": "网上议事时限", "property_days": "物业党群议事时限", "community_days": "社区党群议事提醒时限"}
    clean = {}
    for key, label in labels.items():
        if key in data and data[key] not in (None, ""):
            try:
                value = int(data[key])
            except (TypeError, ValueError):
                raise DomainError(f"{label}应为整数（工作日）", field=key) from None
            if not 1 <= value <= 365:
                raise DomainError(f"{label}应在 1 到 365 个工作日之间", field=key)
            clean[key] = value
    if "auto_escalate" in data:
        clean["auto_escalate"] = bool(data["auto_escalate"])
    before = events.changes(config, clean) if config.pk else {}
    for key, value in clean.items():
        setattr(config, key, value)
    config._change_reason = reason
    config.save()
    events.record(actor=by, verb="deliberation.config_saved", target=config, organization=alliance.core_organization,
                  reason=reason, payload=before or clean)
    return config


# --- raising a topic --------------------------------------------------------------------------------

def _place(*, by, community, grid):
    from tongxin.orders.suggest import community_of

    if grid is not None:
        grid_community = community_of(grid.organization)
        if community is not None and grid_community is not None and grid_community.pk != community.pk:
            raise DomainError(f"网格“{grid.name}”不属于{community.name}", field="grid")
        community = community or grid_community
    if community is None and getattr(by, "person_id", None) and by.person.community_id:
        community = by.person.community
    if community is None:
        choices = list(selectors.participation_communities(by)[:2])
        community = choices[0] if len(choices) == 1 else None
    if community is None:
        raise DomainError("请选择议题所在的社区", field="community")
    if community.kind not in selectors.COMMUNITY_KINDS or community.archived_at is not None:
        raise DomainError(f"“{community.name}”不是社区，请选择议题所在的社区", field="community")
    return community, grid


def raise_topic(*, by, title: str, description: str, community: Organization | None = None, grid=None, compound: str = "",
                building: str = "", area=None, category=None, photos=()) -> Topic:
    """A resident (or anyone with deliberation.raise there) puts a local matter up for discussion (网上议事)."""
    from tongxin.orders.images import check_count, clean_image
    from tongxin.orders.services import alliance_for

    user = _user(by)
    if user is None:
        raise PermissionDenied("请先登录后再发起议题")
    if not has_perm(user, P.RAISE_TOPICS) and not has_perm(user, P.MODERATE_TOPICS):
        raise PermissionDenied("您的角色不能发起议题")
    title = _text(title, field="title", label="议题标题", low=2, high=TITLE_MAX)
    description = _text(description, field="description", label="议题说明", low=5, high=TEXT_MAX)
    community, grid = _place(by=user, community=community, grid=grid)
    if not selectors.can_participate(user, community):
        raise PermissionDenied(f"{community.name}不在您的范围内，不能在此发起议题")
    alliance = alliance_for(community)
    if area is not None and area.alliance_id != getattr(alliance, "pk", None):
        raise DomainError(f"共建领域“{area.name}”不属于本联盟", field="area")
    if category is not None and (category.alliance_id != getattr(alliance, "pk", None) or not category.active):
        raise DomainError(f"分类“{category.name}”不属于本联盟或已停用", field="category")
    cleaned = [clean_image(f) for f in check_count(photos)]
    now = timezone.now()
    with transaction.atomic():
        topic = Topic(alliance=alliance, community=community, grid=grid, compound=(compound or "").strip()[:80],
                      building=(building or "").strip()[:40], area=area, category=category, title=title,
                      description=description, raised_by=user, stage=Stage.ONLINE, stage_since=now)
        topic.stage_due_at = stage_due(topic, Stage.ONLINE, now) if config_for(alliance).auto_escalate else None
        topic.search_text = search_blob(title, description, topic.compound, topic.building)
        topic.save()
        for content, width, height in cleaned:
            photo = TopicPhoto(topic=topic, width=width, height=height, uploaded_by=user)
            photo.image.save(content.name, content, save=False)
            photo.save()
        _event(topic, by=user, verb="raised", from_stage="", to_stage=Stage.ONLINE, payload={"photos": len(cleaned)})
        events.record(actor=user, verb="deliberation.topic_raised", target=topic, organization=community,
                      payload={"title": title, "grid": getattr(grid, "name", ""), "area": getattr(area, "name", "")})
        _schedule_overdue(topic)
        _notify(recipients=_moderators(topic), topic=topic, verb="deliberation.raised", title=f"新议题：{title}",
                body=f"{community.name}有居民发起了网上议事，请关注讨论。")
    return topic


# --- stages ------------------------------------------------------------------------------------------

def transition(topic: Topic, *, action: str, by, note: str = "", to: str | None = None, system: bool = False,
               verb: str | None = None, payload: dict | None = None, conflict_message: str = "") -> TopicEvent:
    step = workflow.step_for(topic.stage, action)
    if step is None:
        raise DomainError(workflow.wrong_stage(topic.stage, action), field="stage", code="conflict")
    actors = {workflow.SYSTEM} if system else workflow.actors_of(by, topic)
    if not step.who & actors:
        raise PermissionDenied(workflow.refusal(by, step, action))
    to = to or step.to
    if to not in step.targets or (system and to != step.to):
        raise DomainError(f"不能从“{workflow.STAGE_ZH[topic.stage]}”直接到“{workflow.STAGE_ZH.get(to, to)}”", field="to")
    note = (note or "").strip()
    if step.needs_reason and not note:
        raise DomainError(f"请填写{workflow.ACTION_ZH.get(action, action)}的原因", field="reason")
    old, now = topic.stage, timezone.now()
    due = None
    if to in OPEN_STAGES and config_for(topic.alliance).auto_escalate:
        due = stage_due(topic, to, now)
    fields = {"stage": to, "stage_since": now, "stage_due_at": due, "updated_at": now}
    if to not in OPEN_STAGES:
        fields["closed_at"] = now
    if Topic.objects.filter(pk=topic.pk, stage=old).update(**fields) != 1:
        raise DomainError(conflict_message or "议题已被其他人处理，请刷新后查看最新状态", code="conflict")
    for key, value in fields.items():
        setattr(topic, key, value)
    topic._change_reason = note[:100]
    ev = _event(topic, by=None if system else by, verb=verb or action, note=note, from_stage=old, to_stage=to,
                payload={**(payload or {}), **({"auto": True} if system else {})})
    events.record(actor=None if system else by, verb=f"deliberation.{verb or action}", target=topic, organization=topic.community,
                  reason=note, payload={"from": old, "to": to, **(payload or {})})
    _schedule_overdue(topic)
    return ev


@transaction.atomic
def escalate(*, topic: Topic, by, to: str | None = None, reason: str = "") -> Topic:
    """A moderator moves the topic up to the property council, or straight to the community council."""
    transition(topic, action="escalate", by=by, note=reason, to=to or None)
    _after_escalation(topic, by=by)
    return topic


@transaction.atomic
def auto_escalate(*, topic: Topic, stage: str) -> bool:
    """The scheduler's escalation of a topic left at `stage` past its time; False when it had moved on."""
    if topic.stage != stage:
        return False
    days = config_for(topic.alliance).days_for(stage)
    try:
        transition(topic, action="escalate", by=None, system=True,
                   note=f"在“{workflow.STAGE_ZH[stage]}”阶段超过 {days} 个工作日仍未解决，自动升级")
    except DomainError:
        return False  # moved on meanwhile (another scheduler instance, or a moderator)
    _after_escalation(topic, by=None)
    return True


def _after_escalation(topic: Topic, *, by) -> None:
    stage = workflow.STAGE_ZH[topic.stage]
    _notify(recipients=[*_moderators(topic), topic.raised_by], topic=topic, verb="deliberation.escalated",
            title=f"议题升级到{stage}：{topic.title}", body="议题将提交到更高一级的党群议事会协商。",
            dedupe_key=f"topic:{topic.pk}:escalated:{topic.stage}")


@transaction.atomic
def close_topic(*, topic: Topic, by, reason: str) -> Topic:
    """Close without a resolution (reason required); the raiser may withdraw while it is still online."""
    action = "close"
    if topic.stage == Stage.ONLINE and not workflow.is_moderator(by, topic) and topic.raised_by_id == getattr(by, "pk", None):
        action = "withdraw"
    transition(topic, action=action, by=by, note=reason)
    Topic.objects.filter(pk=topic.pk).update(outcome=(reason or "").strip()[:2000])
    topic.outcome = (reason or "").strip()[:2000]
    _notify(recipients=[topic.raised_by], topic=topic, verb="deliberation.closed", title=f"议题已关闭：{topic.title}", body=reason)
    return topic


# --- opinions ---------------------------------------------------------------------------------------

@transaction.atomic
def add_opinion(*, topic: Topic, by, text: str) -> Opinion:
    user = _user(by)
    if user is None:
        raise PermissionDenied("请先登录后再发表意见")
    if not topic.is_open:
        raise DomainError(f"议题{workflow.STAGE_ZH[topic.stage]}，不能再发表意见", field="text", code="conflict")
    if not selectors.can_participate(user, topic.community):
        raise PermissionDenied(f"您不是{topic.community.name}的居民或成员，不能参与该议题的讨论")
    text = _text(text, field="text", label="意见", low=2, high=OPINION_MAX)
    opinion = Opinion.objects.create(topic=topic, author=user, stage=topic.stage, text=text)
    events.record(actor=user, verb="deliberation.opinion_added", target=opinion, organization=topic.community,
                  payload={"topic": topic.pk})
    return opinion


@transaction.atomic
def hide_opinion(*, opinion: Opinion, by, reason: str) -> Opinion:
    """Hidden from the public and the participants, kept for moderators and in the history, with the reason."""
    topic = opinion.topic
    if not workflow.is_moderator(by, topic):
        raise PermissionDenied("只有议事主持人可以隐藏意见")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写隐藏该意见的原因", field="reason")
    now = timezone.now()
    if Opinion.objects.filter(pk=opinion.pk, hidden_at__isnull=True).update(hidden_at=now, hidden_by=by, hidden_reason=reason[:200]) != 1:
        raise DomainError("该意见已被隐藏", code="conflict")
    opinion.refresh_from_db()
    opinion._change_reason = reason[:100]
    opinion.save()  # writes the history row of the change
    _event(topic, by=by, verb="opinion_hidden", note=reason, public=False, payload={"opinion": opinion.pk})
    events.record(actor=by, verb="deliberation.opinion_hidden", target=opinion, organization=topic.community, reason=reason,
                  payload={"topic": topic.pk})
    return opinion


@transaction.atomic
def restore_opinion(*, opinion: Opinion, by, reason: str) -> Opinion:
    topic = opinion.topic
    if not workflow.is_moderator(by, topic):
        raise PermissionDenied("只有议事主持人可以恢复意见")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写恢复该意见的原因", field="reason")
    if Opinion.objects.filter(pk=opinion.pk, hidden_at__isnull=False).update(hidden_at=None, hidden_by=None, hidden_reason="") != 1:
        raise DomainError("该意见没有被隐藏", code="conflict")
    opinion.refresh_from_db()
    opinion._change_reason = reason[:100]
    opinion.save()
    _event(topic, by=by, verb="opinion_restored", note=reason, public=False, payload={"opinion": opinion.pk})
    events.record(actor=by, verb="deliberation.opinion_restored", target=opinion, organization=topic.community, reason=reason)
    return opinion


# --- ballots ------------------------------------------------------------------------------------------

def _moderate(by, topic: Topic, what: str) -> None:
    if not workflow.is_moderator(by, topic):
        if _user(by) and has_perm(by, P.MODERATE_TOPICS):
            raise PermissionDenied(f"该议题不在您的组织范围内，不能{what}")
        raise PermissionDenied(f"只有议事主持人（社区派单员或街道管理员）可以{what}")


def _grid_in(grid, community: Organization) -> bool:
    return grid.organization.path.startswith(community.path)


@transaction.atomic
def create_ballot(*, topic: Topic, by, question: str, options, closes_at, opens_at=None, eligibility: str = Eligibility.COMMUNITY,
                  grid=None, building: str = "", secret: bool = True) -> Ballot:
    _moderate(by, topic, "发起投票")
    if not topic.is_open:
        raise DomainError(f"议题{workflow.STAGE_ZH[topic.stage]}，不能再发起投票", code="conflict")
    question = _text(question, field="question", label="投票事项", low=2, high=200)
    labels = []
    for raw in options or []:
        label = (raw or "").strip()
        if label and label not in labels:
            labels.append(label[:100])
    if len(labels) < 2:
        raise DomainError("请至少填写两个不同的选项", field="options")
    if len(labels) > 10:
        raise DomainError("选项最多 10 个", field="options")
    now = timezone.now()
    opens_at = opens_at or now
    if closes_at is None:
        raise DomainError("请填写投票截止时间", field="closes_at")
    if timezone.is_naive(opens_at):
        opens_at = timezone.make_aware(opens_at)
    if timezone.is_naive(closes_at):
        closes_at = timezone.make_aware(closes_at)
    if closes_at <= opens_at:
        raise DomainError("截止时间必须晚于开始时间", field="closes_at")
    if closes_at <= now:
        raise DomainError("截止时间已过，请选择将来的时间", field="closes_at")
    if eligibility not in Eligibility.values:
        raise DomainError(f"投票范围“{eligibility}”无效", field="eligibility")
    building = (building or "").strip()[:40]
    if eligibility == Eligibility.GRID:
        grid = grid or topic.grid
        if grid is None:
            raise DomainError("按网格投票时请选择网格", field="grid")
        if not _grid_in(grid, topic.community):
            raise DomainError(f"网格“{grid.name}”不属于{topic.community.name}", field="grid")
    else:
        grid = None
    if eligibility == Eligibility.BUILDING:
        building = building or topic.building
        if not building:
            raise DomainError("按楼栋投票时请填写楼栋", field="building")
    else:
        building = ""
    ballot = Ballot.objects.create(topic=topic, question=question, opens_at=opens_at, closes_at=closes_at, eligibility=eligibility,
                                   grid=grid, building=building, secret=bool(secret), stage=topic.stage, created_by=_user(by))
    BallotOption.objects.bulk_create([BallotOption(ballot=ballot, label=label, sort=i) for i, label in enumerate(labels)])
    if not selectors.eligible_people(ballot).exists():
        where = {Eligibility.GRID: f"网格“{getattr(grid, 'name', '')}”", Eligibility.BUILDING: f"楼栋“{building}”（楼栋名册）"}.get(
            eligibility, topic.community.name)
        raise DomainError(f"{where}没有登记的居民，无人可以投票；请先完善居民档案或楼栋名册", field="eligibility")
    _event(topic, by=by, verb="ballot_created", note=question,
           payload={"ballot": ballot.pk, "secret": ballot.secret, "eligibility": eligibility, "closes_at": closes_at.isoformat()})
    events.record(actor=by, verb="deliberation.ballot_created", target=ballot, organization=topic.community,
                  payload={"topic": topic.pk, "options": labels, "eligibility": eligibility, "grid": getattr(grid, "pk", None),
                           "building": building, "secret": ballot.secret})
    from tongxin.notify import scheduler

    scheduler.schedule(kind=BALLOT_CLOSE_KIND, due_at=closes_at, target=ballot, dedupe_key=f"ballot:{ballot.pk}:close")
    # Everyone who may vote and has an account hears of it in their inbox.
    from tongxin.accounts.models import User

    voters = User.objects.filter(person__in=selectors.eligible_people(ballot), is_active=True)
    _notify(recipients=list(voters), topic=topic, verb="deliberation.ballot_opened", title=f"请投票：{question}",
            body=f"议题“{topic.title}”，{timezone.localtime(closes_at):%m月%d日 %H:%M} 截止。", dedupe_key=f"ballot:{ballot.pk}:opened")
    return ballot


ELIGIBILITY_ZH = {Eligibility.COMMUNITY: "本社区", Eligibility.GRID: "本网格", Eligibility.BUILDING: "本楼栋"}


def cast_vote(*, ballot: Ballot, by, option: BallotOption) -> BallotParticipation:
    """One person, one vote: a second vote is refused by the unique (ballot, person) constraint, even
    when both arrive at the same moment. A secret ballot stores only that the person voted."""
    user = _user(by)
    if user is None:
        raise PermissionDenied("请先登录后再投票")
    person = user.person if getattr(user, "person_id", None) else None
    if person is None:
        raise DomainError("您的账号没有关联居民档案，不能投票；请联系社区登记", field="person")
    if option is None or option.ballot_id != ballot.pk:
        raise DomainError("请选择本次投票中的一个选项", field="option")
    topic = ballot.topic
    now = timezone.now()
    if now < ballot.opens_at:
        raise DomainError(f"投票尚未开始，将于 {timezone.localtime(ballot.opens_at):%Y-%m-%d %H:%M} 开始", field="option")
    if now >= ballot.closes_at:
        raise DomainError(f"投票已于 {timezone.localtime(ballot.closes_at):%Y-%m-%d %H:%M} 截止，不能再投票", field="option",
                          code="closed")
    if not topic.is_open:
        raise DomainError(f"议题{workflow.STAGE_ZH[topic.stage]}，不能再投票", field="option", code="closed")
    if not selectors.is_eligible(ballot, person):
        raise PermissionDenied(f"您不在本次投票的范围内（仅限{_eligibility_label(ballot)}的居民投票）")
    if BallotParticipation.objects.filter(ballot=ballot, person=person).exists():
        raise DomainError("您已经投过票了，每人只能投一票", field="option", code="conflict")
    with transaction.atomic():
        try:
            with transaction.atomic():
                vote = BallotParticipation.objects.create(ballot=ballot, person=person, user=user,
                                                          option=None if ballot.secret else option)
        except IntegrityError:
            raise DomainError("您已经投过票了，每人只能投一票", field="option", code="conflict") from None
        BallotOption.objects.filter(pk=option.pk).update(votes=F("votes") + 1)
        # A secret ballot's audit row says only that this person voted, never the choice.
        events.record(actor=user, verb="deliberation.voted", target=ballot, organization=topic.community,
                      payload={} if ballot.secret else {"option": option.label})
    return vote


def _eligibility_label(ballot: Ballot) -> str:
    if ballot.eligibility == Eligibility.GRID:
        return f"网格“{ballot.grid.name}”"
    if ballot.eligibility == Eligibility.BUILDING:
        return f"{ballot.building}"
    return ballot.topic.community.name


@transaction.atomic
def close_ballot(*, ballot: Ballot) -> bool:
    """At the closing time (scheduler): freeze the number of eligible voters and put the result on the timeline, once."""
    if timezone.now() < ballot.closes_at:
        return False
    count = selectors.eligible_people(ballot).count()
    if Ballot.objects.filter(pk=ballot.pk, eligible_count__isnull=True).update(eligible_count=count) != 1:
        return False
    ballot.eligible_count = count
    res = selectors.results(ballot)
    _event(ballot.topic, by=None, verb="ballot_closed", note=ballot.question,
           payload={"ballot": ballot.pk, "total": res["total"], "eligible": res["eligible"], "turnout": res["turnout"],
                    "winners": res["winners"]})
    events.record(actor=None, verb="deliberation.ballot_closed", target=ballot, organization=ballot.topic.community,
                  payload={"total": res["total"], "eligible": count})
    return True


@transaction.atomic
def end_ballot_now(*, ballot: Ballot, by, reason: str) -> Ballot:
    """A moderator ends a ballot early (reason required); results are frozen as at the normal close."""
    _moderate(by, ballot.topic, "结束投票")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写提前结束投票的原因", field="reason")
    now = timezone.now()
    if Ballot.objects.filter(pk=ballot.pk, closes_at__gt=now).update(closes_at=now) != 1:
        raise DomainError("该投票已经截止", code="conflict")
    ballot.closes_at = now
    if ballot.opens_at > now:
        Ballot.objects.filter(pk=ballot.pk).update(opens_at=now - dt.timedelta(seconds=1))
        ballot.opens_at = now - dt.timedelta(seconds=1)
    events.record(actor=by, verb="deliberation.ballot_ended", target=ballot, organization=ballot.topic.community, reason=reason)
    close_ballot(ballot=ballot)
    from tongxin.notify import scheduler

    scheduler.cancel(kind=BALLOT_CLOSE_KIND, target=ballot)
    return ballot


@transaction.atomic
def set_building_roll(*, community: Organization, by, building: str, people, reason: str = "") -> int:
    """Add residents to a building's roll (楼栋名册), used by building ballots; returns how many were added."""
    if not has_perm(by, P.MODERATE_TOPICS, community):
        raise PermissionDenied(f"只有{community.name}的议事主持人可以维护楼栋名册")
    building = (building or "").strip()[:40]
    if not building:
        raise DomainError("请填写楼栋", field="building")
    added = 0
    for person in people:
        home = person.community
        if home is None or not home.path.startswith(community.path):
            raise DomainError(f"{selectors.mask_name(person.name)}不是{community.name}的居民", field="people")
        _obj, created = BuildingResident.objects.get_or_create(community=community, building=building, person=person,
                                                               defaults={"added_by": _user(by)})
        added += int(created)
    events.record(actor=by, verb="deliberation.building_roll_changed", target=community, organization=community, reason=reason,
                  payload={"building": building, "added": added})
    return added


@transaction.atomic
def remove_from_roll(*, entry: BuildingResident, by, reason: str = "") -> None:
    """Take a person off a building roll (moved out, entered by mistake). Votes already cast stay."""
    if not has_perm(by, P.MODERATE_TOPICS, entry.community):
        raise PermissionDenied(f"只有{entry.community.name}的议事主持人可以维护楼栋名册")
    events.record(actor=by, verb="deliberation.building_roll_changed", target=entry.community, organization=entry.community,
                  reason=reason, payload={"building": entry.building, "removed_person": entry.person_id})
    entry.delete()


# --- consultation meetings -------------------------------------------------------------------------

def _clean_invitee(topic: Topic, raw: dict) -> Invitee:
    from tongxin.orders.services import in_alliance

    kind = raw.get("kind") or ""
    if kind not in StakeholderKind.values:
        raise DomainError(f"参会方类别“{kind}”无效", field="invitees")
    person, org, name = raw.get("person"), raw.get("organization"), (raw.get("name") or "").strip()[:80]
    if person is None and org is None and not name:
        raise DomainError("每位受邀参会方都要有居民档案、单位或姓名", field="invitees")
    if kind == StakeholderKind.IN_SERVICE_MEMBER:
        profile = getattr(person, "party_profile", None) if person is not None else None
        if profile is None or not profile.in_service:
            raise DomainError(f"{name or getattr(person, 'name', '')}不是在职党员，请选择在职党员的档案", field="invitees")
    if kind == StakeholderKind.PROPERTY_COMPANY and org is not None and org.kind not in (OrgKind.PROPERTY_COMPANY, OrgKind.OWNERS_COMMITTEE):
        raise DomainError(f"“{org.name}”不是物业公司或业主委员会", field="invitees")
    if kind == StakeholderKind.MEMBER_UNIT:
        if org is None:
            raise DomainError("请选择受邀的成员单位", field="invitees")
        if not in_alliance(org, topic.alliance):
            raise DomainError(f"“{org.name}”不是本联盟的成员单位", field="invitees")
    return Invitee(kind=kind, person=person, organization=org, name=name)


@transaction.atomic
def schedule_consultation(*, topic: Topic, by, title: str, held_at, place: str = "", invitees=()) -> Consultation:
    """A consultation meeting (协商会) with the stakeholders: residents, in-service members, the property
    company, shops and member units."""
    from tongxin.orders.services import users_with_roles

    _moderate(by, topic, "召集协商会")
    if not topic.is_open:
        raise DomainError(f"议题{workflow.STAGE_ZH[topic.stage]}，不能再召集协商会", code="conflict")
    title = _text(title, field="title", label="会议名称", low=2, high=120)
    if held_at is None:
        raise DomainError("请填写开会时间", field="held_at")
    if timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    rows = [_clean_invitee(topic, raw) for raw in invitees or []]
    if not rows:
        raise DomainError("请至少邀请一位参会方", field="invitees")
    consultation = Consultation.objects.create(topic=topic, title=title, stage=topic.stage, held_at=held_at,
                                               place=(place or "").strip()[:120], created_by=_user(by))
    for row in rows:
        row.consultation = consultation
    Invitee.objects.bulk_create(rows)
    kinds = sorted({r.kind for r in rows})
    _event(topic, by=by, verb="consultation_called", note=title,
           payload={"consultation": consultation.pk, "held_at": held_at.isoformat(), "invitees": len(rows), "kinds": kinds})
    events.record(actor=by, verb="deliberation.consultation_called", target=consultation, organization=topic.community,
                  payload={"topic": topic.pk, "invitees": len(rows), "kinds": kinds})
    from tongxin.accounts.models import User

    recipients = list(User.objects.filter(person__in=[r.person for r in rows if r.person is not None], is_active=True))
    for r in rows:
        if r.organization is not None:
            recipients += users_with_roles(r.organization, [Role.LIAISON])
    _notify(recipients=recipients, topic=topic, verb="deliberation.invited", title=f"协商会邀请：{title}",
            body=f"{timezone.localtime(held_at):%m月%d日 %H:%M}，{consultation.place or '地点另行通知'}。议题：{topic.title}")
    return consultation


@transaction.atomic
def record_consultation(*, consultation: Consultation, by, summary: str, attendance: dict | None = None,
                        positions: dict | None = None, guests=()) -> Consultation:
    """The record of the meeting: who attended, what each side said, and the summary. Can be amended; the
    history keeps every version."""
    topic = consultation.topic
    _moderate(by, topic, "登记协商会记录")
    if consultation.held_at > timezone.now():
        raise DomainError(f"协商会定于 {timezone.localtime(consultation.held_at):%Y-%m-%d %H:%M} 召开，开会后才能登记会议记录",
                          field="held_at")
    summary = _text(summary, field="summary", label="会议纪要", low=5, high=5000)
    attendance, positions = attendance or {}, positions or {}
    invitees = {i.pk: i for i in consultation.invitees.all()}
    for pk in set(attendance) | set(positions):
        if int(pk) not in invitees:
            raise DomainError(f"参会方 {pk} 不是本次协商会的受邀方", field="attendance")
    for pk, inv in invitees.items():
        changed = False
        if pk in attendance or str(pk) in attendance:
            inv.attended = bool(attendance.get(pk, attendance.get(str(pk))))
            changed = True
        if pk in positions or str(pk) in positions:
            inv.position = (positions.get(pk, positions.get(str(pk))) or "").strip()[:2000]
            changed = True
        if changed:
            inv.save()
    for raw in guests or []:
        guest = _clean_invitee(topic, raw)
        guest.consultation, guest.attended = consultation, True
        guest.position = (raw.get("position") or "").strip()[:2000]
        guest.save()
    first = consultation.recorded_at is None
    consultation.summary, consultation.recorded_at, consultation.recorded_by = summary, timezone.now(), _user(by)
    consultation.save()
    present = consultation.invitees.filter(attended=True).count()
    _event(topic, by=by, verb="consultation_recorded" if first else "consultation_amended", note=consultation.title,
           payload={"consultation": consultation.pk, "attended": present})
    events.record(actor=by, verb="deliberation.consultation_recorded", target=consultation, organization=topic.community,
                  payload={"attended": present, "amended": not first})
    return consultation


# --- resolution --------------------------------------------------------------------------------------

def _link(resolution: Resolution, obj, label: str, url: str) -> ResolutionLink:
    from django.contrib.contenttypes.models import ContentType

    return ResolutionLink.objects.create(resolution=resolution, target_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
                                         target_id=str(obj.pk), label=label[:200], url=url[:200])


def _url_of(obj, fallback: str = "") -> str:
    try:
        return obj.get_absolute_url()
    except Exception:  # noqa: BLE001 - another app's model may not define it (yet)
        return fallback


def _create_project(topic: Topic, *, by, decision: str, spec: dict):
    try:
        from tongxin.lists.services import create_project
    except ImportError:
        raise DomainError("项目清单功能尚未启用，暂时不能把议题转为项目", field="kind") from None
    title = _text(spec.get("title") or topic.title, field="project_title", label="项目名称", low=2, high=100)
    lead_unit = spec.get("lead_unit")
    if lead_unit is None:
        raise DomainError("请选择项目的牵头单位", field="lead_unit")
    project = create_project(by=by, alliance=topic.alliance, title=title, lead_unit=lead_unit,
                             description=(spec.get("description") or decision).strip(), area=spec.get("area") or topic.area,
                             source="community", origin=topic, reason=f"议事决议：{topic.title}")
    return [(project, f"项目：{title}", _url_of(project))]


def _create_request(topic: Topic, *, by, decision: str, spec: dict):
    from tongxin.orders.models import Kind
    from tongxin.orders.services import submit_request

    text = (spec.get("text") or decision).strip()
    text = f"{text}\n（来自党群议事议题“{topic.title}”：/topics/{topic.pk}/）"
    req = submit_request(by=by, kind=Kind.PRACTICAL, text=text, title=(spec.get("title") or topic.title)[:80],
                         community=topic.community, grid=topic.grid, category=spec.get("category") or topic.category,
                         address=" ".join(p for p in (topic.compound, topic.building) if p),
                         idempotency_key=f"topic-{topic.pk}-resolution")
    return [(req, f"工单 {req.tracking_number}：{req.display_title}", f"/orders/{req.pk}/")]


def _create_action_items(topic: Topic, *, by, decision: str, items):
    try:
        from tongxin.meetings.services import create_action_item
    except ImportError:
        raise DomainError("联席会议功能尚未启用，暂时不能把议题转为行动事项", field="kind") from None
    items = [i for i in (items or []) if (i.get("title") or "").strip()]
    if not items:
        raise DomainError("请至少填写一项行动事项（事项、责任单位、完成日期）", field="action_items")
    out = []
    for i, item in enumerate(items, start=1):
        if item.get("owner") is None:
            raise DomainError(f"第 {i} 项行动事项没有责任单位", field="action_items")
        if item.get("due_on") is None:
            raise DomainError(f"第 {i} 项行动事项没有完成日期", field="action_items")
        action = create_action_item(by=by, alliance=topic.alliance, title=item["title"].strip()[:200], owner=item["owner"],
                                    due_on=item["due_on"], note=decision, origin=topic)
        out.append((action, f"行动事项：{item['title'].strip()[:80]}（{item['owner'].name}）", _url_of(action)))
    return out


@transaction.atomic
def resolve_topic(*, topic: Topic, by, decision: str, kind: str, project: dict | None = None, request: dict | None = None,
                  action_items=None) -> Resolution:
    """The decision of the council, turned into a project (lists), a request (orders) or action items
    (meetings). Each created object gets the topic as its origin; the topic keeps a link to each."""
    decision = _text(decision, field="decision", label="决议内容", low=5, high=TEXT_MAX)
    if kind not in ResolutionKind.values:
        raise DomainError("请选择决议落实的方式：项目、工单或行动事项", field="kind")
    if topic.alliance_id is None and kind != ResolutionKind.REQUEST:
        raise DomainError("该社区不在任何联盟中，只能把决议转为工单", field="kind")
    old = topic.stage
    ev = transition(topic, action="resolve", by=by, note=decision, payload={"kind": kind})
    if kind == ResolutionKind.PROJECT:
        made = _create_project(topic, by=by, decision=decision, spec=project or {})
    elif kind == ResolutionKind.REQUEST:
        made = _create_request(topic, by=by, decision=decision, spec=request or {})
    else:
        made = _create_action_items(topic, by=by, decision=decision, items=action_items)
    resolution = Resolution.objects.create(topic=topic, kind=kind, decision=decision, stage=old, decided_by=_user(by))
    for obj, label, url in made:
        _link(resolution, obj, label, url)
    Topic.objects.filter(pk=topic.pk).update(outcome=decision)
    topic.outcome = decision
    ev.payload = {**ev.payload, "links": [label for _o, label, _u in made]}
    ev.save(update_fields=["payload"])
    events.record(actor=by, verb="deliberation.resolution_created", target=resolution, organization=topic.community,
                  payload={"kind": kind, "links": [label for _o, label, _u in made]})
    _notify(recipients=[topic.raised_by], topic=topic, verb="deliberation.resolved", title=f"议题已形成决议：{topic.title}",
            body=decision[:200])
    return resolution
