"""THE transition table of the service loop, in one place.

    status → action → Step(next status, who may do it, for which kinds)

Who ("actor") is decided per request by `actors_of()`:

- dispatcher: holds orders.dispatch over the request's community (community staff, street admins)
- handler:    holds orders.handle over the assigned unit or team (its liaison), or is the
              person who claimed the micro-wish; community staff handle what is dispatched to
              their own committee (the "internal team")
- resident:   the logged-in submitter, or whoever holds the request's access key (the
              tracking link given on submission)
- claimer:    holds orders.claim anywhere (party members, liaisons, community staff)
- system:     the scheduler

services.transition() is the only writer of `status`: it looks the step up here, checks the
actor, and changes the status with a compare-and-set UPDATE, so two concurrent actions can
never both succeed.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.orgs.models import OrgKind

from .models import Kind, Status

DISPATCHER, HANDLER, RESIDENT, CLAIMER, SYSTEM = "dispatcher", "handler", "resident", "claimer", "system"

ALL_KINDS = frozenset(Kind.values)
NOT_WISH = frozenset(ALL_KINDS - {Kind.WISH})
WISH = frozenset({Kind.WISH})


@dataclass(frozen=True)
class Step:
    to: str
    who: frozenset
    kinds: frozenset = ALL_KINDS
    needs_reason: bool = False
    # Other statuses the service may choose instead of `to` (rating: unsatisfied reopens).
    also: frozenset = field(default_factory=frozenset)

    @property
    def targets(self) -> frozenset:
        return frozenset({self.to}) | self.also


def _s(to, *who, kinds=ALL_KINDS, reason=False, also=()):
    return Step(to=to, who=frozenset(who), kinds=kinds, needs_reason=reason, also=frozenset(also))


_INTAKE = {
    "inquire": _s(Status.INQUIRY, DISPATCHER, kinds=NOT_WISH),
    "dispatch": _s(Status.DISPATCHED, DISPATCHER, kinds=NOT_WISH),
    "cancel": _s(Status.CANCELLED, DISPATCHER, RESIDENT, reason=True),
    "merge": _s(Status.MERGED, DISPATCHER),
}
_WORK = {
    "progress": _s(Status.IN_PROGRESS, HANDLER),
    "complete": _s(Status.DONE, HANDLER),
    "cancel": _s(Status.CANCELLED, DISPATCHER, reason=True),
}

TRANSITIONS: dict[str, dict[str, Step]] = {
    Status.SUBMITTED: {**_INTAKE, "post": _s(Status.OPEN, DISPATCHER, kinds=WISH)},
    Status.INQUIRY: {**_INTAKE},
    Status.DECLINED: {**_INTAKE},
    Status.OPEN: {
        "claim": _s(Status.ACCEPTED, CLAIMER, kinds=WISH),
        "cancel": _s(Status.CANCELLED, DISPATCHER, RESIDENT, reason=True),
    },
    Status.DISPATCHED: {
        "accept": _s(Status.ACCEPTED, HANDLER),
        "decline": _s(Status.DECLINED, HANDLER, reason=True),
        "dispatch": _s(Status.DISPATCHED, DISPATCHER),  # re-dispatch to another unit
        "cancel": _s(Status.CANCELLED, DISPATCHER, reason=True),
    },
    Status.ACCEPTED: {**_WORK},
    Status.IN_PROGRESS: {**_WORK},
    Status.REOPENED: {**_WORK},
    Status.DONE: {
        # 1–5; unsatisfied (1–2) reopens once, the second time it stays rated and escalates.
        "rate": _s(Status.RATED, RESIDENT, DISPATCHER, also=(Status.REOPENED,)),
        "publish": _s(Status.PUBLISHED, DISPATCHER),
    },
    Status.RATED: {"publish": _s(Status.PUBLISHED, DISPATCHER)},
    Status.PUBLISHED: {},
    Status.CANCELLED: {},
    Status.MERGED: {},
}

ACTION_LABELS = {
    "submit": _("Submit"),
    "inquire": _("Go and ask"),
    "dispatch": _("Dispatch"),
    "post": _("Put on the wish wall"),
    "claim": _("Claim"),
    "accept": _("Accept"),
    "decline": _("Decline"),
    "progress": _("Progress update"),
    "complete": _("Complete"),
    "rate": _("Rate"),
    "publish": _("Publish on the results wall"),
    "cancel": pgettext_lazy("order", "Cancel"),
    "merge": _("Merge into another request"),
    "escalate": _("Escalate"),
    "reveal": _("View contact phone"),
}

# Chinese names used in error messages (errors are written in Chinese directly).
ACTION_ZH = {
    "inquire": "询单", "dispatch": "派单", "post": "发布到心愿墙", "claim": "认领", "accept": "接单", "decline": "退单",
    "progress": "更新进度", "complete": "办结", "rate": "评价", "publish": "晒单", "cancel": "撤销", "merge": "合并",
}
STATUS_ZH = {
    Status.SUBMITTED: "已提交", Status.INQUIRY: "询单中", Status.OPEN: "心愿墙待认领", Status.DISPATCHED: "已派单",
    Status.DECLINED: "被退回", Status.ACCEPTED: "已接单", Status.IN_PROGRESS: "办理中", Status.REOPENED: "重新办理",
    Status.DONE: "已办结", Status.RATED: "已评价", Status.PUBLISHED: "已晒单", Status.CANCELLED: "已撤销",
    Status.MERGED: "已合并",
}
ACTOR_ZH = {DISPATCHER: "社区派单员", HANDLER: "承办单位", RESIDENT: "提交人", CLAIMER: "党员或成员单位", SYSTEM: "系统"}
ACTOR_PERM = {DISPATCHER: P.DISPATCH_ORDERS, HANDLER: P.HANDLE_ORDERS, CLAIMER: P.CLAIM_WISHES}

INTERNAL_KINDS = {OrgKind.COMMUNITY_COMMITTEE, OrgKind.STREET_COMMITTEE}


def step_for(status: str, action: str, kind: str) -> Step | None:
    step = TRANSITIONS.get(status, {}).get(action)
    if step is None or kind not in step.kinds:
        return None
    return step


def allowed_actions(status: str, kind: str) -> list[str]:
    return [a for a, s in TRANSITIONS.get(status, {}).items() if kind in s.kinds]


def is_dispatcher(user, req) -> bool:
    return bool(user and user.is_authenticated) and has_perm(user, P.DISPATCH_ORDERS, req.community)


def is_handler(user, req) -> bool:
    if not user or not user.is_authenticated:
        return False
    if req.claimed_by_id and req.claimed_by_id == user.pk:
        return True
    unit = req.assigned_unit
    if unit is None:
        return False
    if has_perm(user, P.HANDLE_ORDERS, unit):
        return True
    return unit.kind in INTERNAL_KINDS and has_perm(user, P.DISPATCH_ORDERS, unit)


def is_resident(user, req, key: str = "") -> bool:
    if key and req.access_key and _same(key, req.access_key):
        return True
    return bool(user and user.is_authenticated and req.submitter_id == user.pk)


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(str(a), str(b))


def actors_of(user, req, key: str = "") -> set[str]:
    out = set()
    if is_dispatcher(user, req):
        out.add(DISPATCHER)
    if is_handler(user, req):
        out.add(HANDLER)
    if is_resident(user, req, key):
        out.add(RESIDENT)
    if user and user.is_authenticated and has_perm(user, P.CLAIM_WISHES):
        out.add(CLAIMER)
    return out


def refusal(user, step: Step, action: str) -> str:
    """The Chinese message for someone who may not take `action`: wrong role or wrong organisation."""
    who = "或".join(ACTOR_ZH[w] for w in sorted(step.who) if w != SYSTEM)
    if user and user.is_authenticated:
        for w in step.who:
            perm = ACTOR_PERM.get(w)
            if perm and has_perm(user, perm):
                return f"该工单不在您的组织范围内，不能{ACTION_ZH.get(action, action)}"
    return f"只有{who}可以{ACTION_ZH.get(action, action)}，您的角色不能执行此操作"


def wrong_state(status: str, action: str) -> str:
    return f"工单当前状态为“{STATUS_ZH.get(status, status)}”，不能{ACTION_ZH.get(action, action)}"
