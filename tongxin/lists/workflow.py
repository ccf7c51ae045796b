"""THE transition table of co-building projects, in one place.

    proposed → approve → approved → start → in_progress → complete → completed → evaluate → evaluated
    proposed → reject (reason) → rejected

Who: "approver" holds lists.approve over the alliance's core organisation (the street);
"manager" holds lists.projects over the lead unit (its liaison) or over the core organisation.
services.transition() is the only writer of `status`: compare-and-set UPDATE, so two
concurrent clicks can never both succeed.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

APPROVER, MANAGER = "approver", "manager"


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("lists", "Proposed")
    APPROVED = "approved", pgettext_lazy("lists", "Approved")
    REJECTED = "rejected", pgettext_lazy("lists", "Rejected")
    IN_PROGRESS = "in_progress", pgettext_lazy("lists", "In progress")
    COMPLETED = "completed", pgettext_lazy("lists", "Completed")
    EVALUATED = "evaluated", pgettext_lazy("lists", "Evaluated")


@dataclass(frozen=True)
class Step:
    to: str
    who: str
    needs_reason: bool = False


TRANSITIONS: dict[str, dict[str, Step]] = {
    ProjectStatus.PROPOSED: {"approve": Step(ProjectStatus.APPROVED, APPROVER),
                             "reject": Step(ProjectStatus.REJECTED, APPROVER, needs_reason=True)},
    ProjectStatus.APPROVED: {"start": Step(ProjectStatus.IN_PROGRESS, MANAGER)},
    ProjectStatus.IN_PROGRESS: {"complete": Step(ProjectStatus.COMPLETED, MANAGER)},
    ProjectStatus.COMPLETED: {"evaluate": Step(ProjectStatus.EVALUATED, APPROVER)},
    ProjectStatus.EVALUATED: {},
    ProjectStatus.REJECTED: {},
}

ACTION_LABELS = {
    "approve": _("Approve"),
    "reject": _("Reject"),
    "start": _("Start"),
    "complete": _("Complete with outcomes"),
    "evaluate": _("Evaluate"),
}
ACTION_ZH = {"approve": "批准", "reject": "驳回", "start": "启动", "complete": "办结", "evaluate": "评估"}
STATUS_ZH = {
    ProjectStatus.PROPOSED: "已提出", ProjectStatus.APPROVED: "已批准", ProjectStatus.REJECTED: "已驳回",
    ProjectStatus.IN_PROGRESS: "实施中", ProjectStatus.COMPLETED: "已完成", ProjectStatus.EVALUATED: "已评估",
}
WHO_ZH = {APPROVER: "联盟管理员（街道党工委）", MANAGER: "牵头单位联络员或联盟管理员"}
DONE = frozenset({ProjectStatus.COMPLETED, ProjectStatus.EVALUATED})


def step_for(status: str, action: str) -> Step | None:
    return TRANSITIONS.get(status, {}).get(action)


def allowed_actions(status: str) -> list[str]:
    return list(TRANSITIONS.get(status, {}))


def wrong_state(status: str, action: str) -> str:
    return f"项目当前状态为“{STATUS_ZH.get(status, status)}”，不能{ACTION_ZH.get(action, action)}"
