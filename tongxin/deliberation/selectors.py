"""Reads of deliberation, always scoped.

Who sees a topic:
- everyone who may take part in its community: a role holding deliberation.raise at the
  community, or at anything below it (a branch, a stationed unit), reaches that community's
  topics (residents, party members, liaisons, grid workers); a role at the street reaches all;
- moderators (deliberation.moderate) over the community; the person who raised it.
The public sees the public page of a topic: stages, vote results and outcome, no names.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet
from django.utils import timezone

from tongxin.accounts import permissions as P
from tongxin.accounts.permissions import ROLE_PERMISSIONS
from tongxin.accounts.scope import ALL, has_perm, roles_of, scope_paths, scope_q
from tongxin.core.errors import NotFound, PermissionDenied
from tongxin.core.text import normalize_for_search
from tongxin.orgs.models import Organization, OrgKind

from .models import Ballot, BallotOption, BallotParticipation, BuildingResident, Eligibility, Opinion, Stage, Topic, TopicEvent

COMMUNITY_KINDS = (OrgKind.COMMUNITY_COMMITTEE, OrgKind.STREET_COMMITTEE)


def _community_path_of(org: Organization) -> str:
    """The path of the community (or street) an organisation sits in: itself or its nearest such ancestor."""
    node = org
    while node is not None:
        if node.kind in COMMUNITY_KINDS:
            return node.path
        node = node.parent
    return org.path


def participation_paths(user) -> list[str] | str:
    """Path prefixes of the communities where `user` may raise topics, give opinions and vote."""
    if not user or not user.is_authenticated:
        return []
    if user.is_superuser:
        return ALL
    cached = getattr(user, "_tongxin_topic_paths", None)
    if cached is not None:
        return cached
    paths = sorted({_community_path_of(a.organization) for a in roles_of(user)
                    if P.RAISE_TOPICS in ROLE_PERMISSIONS.get(a.role, ())})
    out: list[str] = []
    for p in paths:
        if not any(p.startswith(q) for q in out):
            out.append(p)
    user._tongxin_topic_paths = out
    return out


def can_participate(user, community: Organization) -> bool:
    paths = participation_paths(user)
    if paths == ALL:
        return True
    return any(community.path.startswith(p) for p in paths) or has_perm(user, P.MODERATE_TOPICS, community)


def participation_communities(user) -> QuerySet[Organization]:
    """Communities offered on the raise-a-topic form."""
    qs = Organization.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE, archived_at__isnull=True).order_by("path")
    paths = participation_paths(user)
    if paths == ALL:
        return qs
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return qs.filter(q | scope_q(user, P.MODERATE_TOPICS, "path"))


def visible_q(user) -> Q:
    if not user or not user.is_authenticated:
        return Q(pk__in=[])
    paths = participation_paths(user)
    if paths == ALL or scope_paths(user, P.MODERATE_TOPICS) == ALL:
        return Q()
    q = Q(raised_by=user)
    for p in paths:
        q |= Q(community__path__startswith=p)
    if has_perm(user, P.MODERATE_TOPICS):
        q |= scope_q(user, P.MODERATE_TOPICS, "community__path")
    return q


def _base() -> QuerySet[Topic]:
    return Topic.objects.select_related("community", "grid", "area", "category", "raised_by")


def visible_topics(user) -> QuerySet[Topic]:
    return _base().filter(visible_q(user))


def get_topic(user, pk) -> Topic:
    topic = visible_topics(user).filter(pk=pk).first()
    if topic is None:
        raise NotFound("议题不存在或不在您的权限范围内")
    return topic


def get_public_topic(pk) -> Topic:
    topic = _base().filter(pk=pk).first()
    if topic is None:
        raise NotFound("议题不存在")
    return topic


def search(user, *, stage: str = "", community=None, grid=None, place: str = "", area=None, category=None, q: str = "") -> QuerySet[Topic]:
    qs = visible_topics(user)
    if stage == "open":
        qs = qs.filter(stage__in=[Stage.ONLINE, Stage.PROPERTY, Stage.COMMUNITY])
    elif stage:
        qs = qs.filter(stage=stage)
    if community is not None:
        qs = qs.filter(community=community)
    if grid is not None:
        qs = qs.filter(grid__in=grid_subtree_ids(grid))
    place = (place or "").strip()
    if place:
        qs = qs.filter(Q(compound__icontains=place) | Q(building__icontains=place) | Q(grid__name__icontains=place))
    if area is not None:
        qs = qs.filter(area=area)
    if category is not None:
        qs = qs.filter(category=category)
    for term in normalize_for_search(q).split():
        qs = qs.filter(search_text__contains=term)
    return qs


def grid_subtree_ids(grid) -> list[int]:
    from tongxin.grids.models import Grid

    ids, frontier = [grid.pk], [grid.pk]
    while frontier:
        frontier = list(Grid.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


def grids_of(community: Organization):
    from tongxin.grids.models import Grid

    return Grid.objects.filter(organization=community, level__gte=3).order_by("code")


# --- timeline and opinions ---------------------------------------------------------------------

def timeline(topic: Topic, *, public_only: bool = False) -> list[TopicEvent]:
    qs = topic.events.select_related("actor", "actor__person")
    if public_only:
        qs = qs.filter(public=True)
    return list(qs)


def opinions(user, topic: Topic) -> list[Opinion]:
    """Moderators see every opinion (hidden ones marked, with the reason); others see the visible
    ones and their own hidden ones."""
    from . import workflow

    qs = topic.opinions.select_related("author", "author__person", "hidden_by")
    if not workflow.is_moderator(user, topic):
        own = Q(author=user) if user and user.is_authenticated else Q(pk__in=[])
        qs = qs.filter(Q(hidden_at__isnull=True) | own)
    return list(qs)


def public_opinions(topic: Topic) -> list[Opinion]:
    return list(topic.opinions.filter(hidden_at__isnull=True).select_related("author"))


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return "居民"
    return name[0] + "*" * max(1, len(name) - 1)


def author_label(opinion: Opinion, *, full: bool = False) -> str:
    """The name beside an opinion: staff as 社区工作人员; residents by a masked name (full name for moderators)."""
    user = opinion.author
    if user is None:
        return "居民"
    if has_perm(user, P.MODERATE_TOPICS, opinion.topic.community):
        return "社区工作人员"
    name = user.person.name if getattr(user, "person_id", None) else ""
    if not name:
        return "居民"
    return name if full else mask_name(name)


# --- ballots -----------------------------------------------------------------------------------

def eligible_people(ballot: Ballot):
    from tongxin.people.models import Person

    qs = Person.objects.filter(archived_at__isnull=True)
    topic = ballot.topic
    if ballot.eligibility == Eligibility.GRID:
        return qs.filter(grid_id__in=grid_subtree_ids(ballot.grid))
    if ballot.eligibility == Eligibility.BUILDING:
        roll = BuildingResident.objects.filter(community=topic.community, building=ballot.building).values("person_id")
        return qs.filter(pk__in=roll)
    return qs.filter(community__path__startswith=topic.community.path)


def eligible_count(ballot: Ballot) -> int:
    if ballot.eligible_count is not None:
        return ballot.eligible_count
    return eligible_people(ballot).count()


def is_eligible(ballot: Ballot, person) -> bool:
    return person is not None and eligible_people(ballot).filter(pk=person.pk).exists()


def ballot_state(ballot: Ballot, now=None) -> str:
    now = now or timezone.now()
    if now < ballot.opens_at:
        return "upcoming"
    if now >= ballot.closes_at:
        return "closed"
    return "open"


def results(ballot: Ballot) -> dict:
    """Counts per option, total, eligible and turnout (votes / eligible). No voter names."""
    options = list(BallotOption.objects.filter(ballot=ballot).order_by("sort", "id"))
    total = sum(o.votes for o in options)
    eligible = eligible_count(ballot)
    rows = [{"id": o.pk, "label": o.label, "votes": o.votes, "share": round(100 * o.votes / total, 1) if total else 0.0}
            for o in options]
    top = max((o.votes for o in options), default=0)
    winners = [r["label"] for r in rows if top and r["votes"] == top]
    return {"options": rows, "total": total, "eligible": eligible,
            "turnout": round(100 * total / eligible, 1) if eligible else 0.0, "winners": winners,
            "state": ballot_state(ballot)}


def has_voted(user, ballot: Ballot) -> BallotParticipation | None:
    if not user or not user.is_authenticated or not getattr(user, "person_id", None):
        return None
    return BallotParticipation.objects.filter(ballot=ballot, person_id=user.person_id).select_related("option").first()


def voters(user, ballot: Ballot) -> list[BallotParticipation]:
    """Who voted what, for moderators and only on an open (non-secret) ballot."""
    from . import workflow

    if ballot.secret:
        raise PermissionDenied("这是无记名投票，任何人都不能查看谁投了哪一项")
    if not workflow.is_moderator(user, ballot.topic):
        raise PermissionDenied("只有议事主持人可以查看记名投票的投票人")
    return list(BallotParticipation.objects.filter(ballot=ballot).select_related("person", "option"))


def building_roll(community: Organization) -> list[dict]:
    from django.db.models import Count

    return list(BuildingResident.objects.filter(community=community).values("building").annotate(n=Count("id")).order_by("building"))


def invitee_label(invitee, *, full: bool = False) -> str:
    """Organisations by name; people by a masked name unless `full` (moderators)."""
    if invitee.organization_id:
        return invitee.organization.name
    if invitee.person_id:
        return invitee.person.name if full else mask_name(invitee.person.name)
    if invitee.kind in ("shop", "other") or full:
        return invitee.name
    return mask_name(invitee.name)


_LINK_ROUTES = {
    "project": ("lists:project", "lists:project_detail"),
    "actionitem": ("meetings:action", "meetings:action_detail"),
    "servicerequest": ("orders:detail",),
}


def _viewer_can_open(user, link) -> bool:
    """Whether the object's own page would open for `user` (its app's scoped getter finds it)."""
    from tongxin.core.errors import NotFound
    from tongxin.lists.selectors import get_project
    from tongxin.meetings.selectors import get_action_item
    from tongxin.orders.selectors import get_request

    getter = {"project": get_project, "actionitem": get_action_item, "servicerequest": get_request}.get(link.target_type.model)
    if getter is None:
        return True
    try:
        getter(user, link.target_id)
    except NotFound:
        return False
    return True


def link_url(link, user=None) -> str:
    """Where a resolution's link points: the object's own page when its app has one (and, given a
    user, only when that user may open it: a resident sees the project's name, not a link to a 404)."""
    from django.urls import NoReverseMatch, reverse

    if user is not None and not _viewer_can_open(user, link):
        return ""
    target = link.target
    if target is not None and hasattr(target, "get_absolute_url"):
        try:
            return target.get_absolute_url()
        except NoReverseMatch:
            pass
    for name in _LINK_ROUTES.get(link.target_type.model, ()):
        try:
            return reverse(name, args=[link.target_id])
        except NoReverseMatch:
            continue
    return link.url


def _names_on(topic: Topic) -> list[str]:
    """Names that must not appear on the public page: the raiser, opinion authors, invited people."""
    from tongxin.people.models import Person

    ids = set(topic.opinions.exclude(author__person__isnull=True).values_list("author__person_id", flat=True))
    ids |= set(Person.objects.filter(pk__in=topic.consultations.values("invitees__person")).values_list("pk", flat=True))
    if topic.raised_by_id and topic.raised_by.person_id:
        ids.add(topic.raised_by.person_id)
    return list(Person.objects.filter(pk__in=ids).values_list("name", flat=True))


_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)")
_ID_RE = re.compile(r"(?<![0-9])\d{17}[\dXx](?![0-9])")
_LANDLINE_RE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
# A flat (单元, 室) points at one household; a compound (号院) or a building (号楼) is a shared place and stays.
_FLAT_RE = re.compile(r"\d+\s*(?:单元|室)")


def redact(text: str, *, names=()) -> str:
    """Text fit for the public page: phone and ID numbers, flat numbers and the given names removed."""
    out = _ID_RE.sub("[已隐藏]", text or "")
    out = _PHONE_RE.sub("[已隐藏]", out)
    out = _LANDLINE_RE.sub("[已隐藏]", out)
    out = _FLAT_RE.sub("**", out)
    for name in names:
        if name and len(name) >= 2:
            out = out.replace(name, name[0] + "*" * (len(name) - 1))
    return out


def public_view(topic: Topic) -> dict:
    """Everything the public page shows: stages, discussion, vote results, consultations and outcome,
    redacted (phone and ID numbers, door numbers, the names of the people involved) and without names."""
    from . import workflow
    from .models import Stage as S

    names = _names_on(topic)
    events_ = timeline(topic, public_only=True)
    reached = {}
    for e in events_:
        if e.to_stage and e.to_stage not in reached and (e.verb in ("raised", "escalate", "resolve", "close", "withdraw")):
            reached[e.to_stage] = e.created_at
    ladder = [{"stage": s, "label": workflow.STAGE_ZH[s], "reached_at": reached.get(s), "current": topic.stage == s}
              for s in workflow.LADDER]
    end = None
    if topic.stage in (S.RESOLVED, S.CLOSED):
        end = {"stage": topic.stage, "label": workflow.STAGE_ZH[topic.stage], "at": topic.closed_at}
    ballots = [{"question": redact(b.question, names=names), "secret": b.secret, "closes_at": b.closes_at,
                "eligibility": b.get_eligibility_display(), "results": results(b)} for b in topic.ballots.all()]
    consultations = []
    for c in topic.consultations.prefetch_related("invitees"):
        kinds: dict[str, int] = {}
        for i in c.invitees.all():
            if i.attended:
                label = str(i.get_kind_display())
                kinds[label] = kinds.get(label, 0) + 1
        consultations.append({"title": redact(c.title, names=names), "held_at": c.held_at, "stage": workflow.STAGE_ZH.get(c.stage, ""),
                              "attended": kinds, "summary": redact(c.summary, names=names), "recorded": c.recorded_at is not None})
    res = getattr(topic, "resolution", None) if topic.stage == S.RESOLVED else None
    outcome = None
    if res is not None:
        outcome = {"kind": res.get_kind_display(), "decision": redact(res.decision, names=names),
                   "links": [redact(link.label, names=names) for link in res.links.all()], "at": res.decided_at}
    elif topic.stage == S.CLOSED:
        outcome = {"kind": "", "decision": redact(topic.outcome, names=names), "links": [], "at": topic.closed_at}
    return {
        "id": topic.pk, "title": redact(topic.title, names=names), "description": redact(topic.description, names=names),
        "community": topic.community.name, "grid": getattr(topic.grid, "name", ""), "compound": redact(topic.compound),
        "area": getattr(topic.area, "name", ""), "category": getattr(topic.category, "name", ""),
        "stage": topic.stage, "stage_label": workflow.STAGE_ZH.get(topic.stage, topic.stage), "created_at": topic.created_at,
        "ladder": ladder, "end": end,
        "opinions": [{"author": "社区工作人员" if author_label(o) == "社区工作人员" else "居民", "text": redact(o.text, names=names),
                      "at": o.created_at, "stage": workflow.STAGE_ZH.get(o.stage, "")} for o in public_opinions(topic)],
        "ballots": ballots, "consultations": consultations, "outcome": outcome,
    }
