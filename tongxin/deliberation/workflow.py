"""THE stage table of a deliberation topic, in one place.

    stage → action → Step(next stage, who may do it)

    网上议事 (online) ──escalate──▶ 物业党群议事 (property) ──escalate──▶ 社区党群议事 (community)
         │  (a moderator may also escalate online straight to the community council)
         └────────── resolve / close at any open stage ──────────▶ resolved / closed

Who ("actor"):
- moderator: holds deliberation.moderate over the topic's community (community dispatchers,
             street admins);
- raiser:    the person who raised the topic (may withdraw it while it is online);
- system:    the scheduler, escalating a topic left unresolved past the configured time.

services.transition() is the only writer of `stage`: it looks the step up here, checks the
actor and changes the stage with a compare-and-set UPDATE, so a dispatcher and the scheduler
(or two scheduler instances) never escalate the same topic twice.
"""

from dataclasses import dataclass, field

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm

from .models import Stage

MODERATOR, RAISER, SYSTEM = "moderator", "raiser", "system"


@dataclass(frozen=True)
class Step:
    to: str
    who: frozenset
    needs_reason: bool = False
    also: frozenset = field(default_factory=frozenset)  # other stages a moderator may choose

    @property
    def targets(self) -> frozenset:
        return frozenset({self.to}) | self.also


def _s(to, *who, reason=False, also=()):
    return Step(to=to, who=frozenset(who), needs_reason=reason, also=frozenset(also))


_END = {
    "resolve": _s(Stage.RESOLVED, MODERATOR),
    "close": _s(Stage.CLOSED, MODERATOR, reason=True),
}

TRANSITIONS: dict[str, dict[str, Step]] = {
    Stage.ONLINE: {
        "escalate": _s(Stage.PROPERTY, MODERATOR, SYSTEM, also=(Stage.COMMUNITY,)),
        "withdraw": _s(Stage.CLOSED, RAISER, MODERATOR, reason=True),
        **_END,
    },
    Stage.PROPERTY: {"escalate": _s(Stage.COMMUNITY, MODERATOR, SYSTEM), **_END},
    Stage.COMMUNITY: {**_END},
    Stage.RESOLVED: {},
    Stage.CLOSED: {},
}

STAGE_ZH = {
    Stage.ONLINE: "网上议事", Stage.PROPERTY: "物业党群议事", Stage.COMMUNITY: "社区党群议事",
    Stage.RESOLVED: "已形成决议", Stage.CLOSED: "已关闭（未形成决议）",
}
ACTION_ZH = {"escalate": "升级议事层级", "resolve": "形成决议", "close": "关闭议题", "withdraw": "撤回议题"}
ACTOR_ZH = {MODERATOR: "社区议事主持人（派单员或街道管理员）", RAISER: "议题发起人", SYSTEM: "系统"}

# The ladder of councils, for the stage stepper on the pages.
LADDER = [Stage.ONLINE, Stage.PROPERTY, Stage.COMMUNITY]


def step_for(stage: str, action: str) -> Step | None:
    return TRANSITIONS.get(stage, {}).get(action)


def is_moderator(user, topic) -> bool:
    return bool(user and user.is_authenticated) and has_perm(user, P.MODERATE_TOPICS, topic.community)


def actors_of(user, topic) -> set[str]:
    out = set()
    if is_moderator(user, topic):
        out.add(MODERATOR)
    if user and user.is_authenticated and topic.raised_by_id == user.pk:
        out.add(RAISER)
    return out


def allowed_actions(user, topic) -> list[str]:
    actors = actors_of(user, topic)
    return [a for a, s in TRANSITIONS.get(topic.stage, {}).items() if s.who & actors]


def refusal(user, step: Step, action: str) -> str:
    who = "或".join(ACTOR_ZH[w] for w in sorted(step.who) if w != SYSTEM)
    if user and user.is_authenticated and MODERATOR in step.who and has_perm(user, P.MODERATE_TOPICS):
        return f"该议题不在您的组织范围内，不能{ACTION_ZH.get(action, action)}"
    return f"只有{who}可以{ACTION_ZH.get(action, action)}，您的角色不能执行此操作"


def wrong_stage(stage: str, action: str) -> str:
    return f"议题当前处于“{STAGE_ZH.get(stage, stage)}”，不能{ACTION_ZH.get(action, action)}"
