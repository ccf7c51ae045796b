"""THE transition table of an agreement, in one place.

    status → action → next status

draft ──activate──▶ in_force ──expire (scheduler, the day after the term ends)──▶ expired
  │                    └──terminate (with a reason)──▶ terminated
  └──terminate──▶ terminated   (a draft that will never be signed)

services.transition() applies it with a compare-and-set UPDATE, so two concurrent actions can
never both succeed. "Expired" is also computed on read (`effective_status`): an agreement in
force whose term has ended is shown as expired even before the job has run.
"""

import datetime as dt

from .models import AgreementStatus as S

TRANSITIONS: dict[str, dict[str, str]] = {
    S.DRAFT: {"activate": S.IN_FORCE, "terminate": S.TERMINATED},
    S.IN_FORCE: {"terminate": S.TERMINATED, "expire": S.EXPIRED},
    S.EXPIRED: {},
    S.TERMINATED: {},
}

STATUS_ZH = {S.DRAFT: "草稿", S.IN_FORCE: "生效中", S.EXPIRED: "已到期", S.TERMINATED: "已终止"}
ACTION_ZH = {"activate": "生效", "terminate": "终止", "expire": "到期"}


def next_status(status: str, action: str) -> str | None:
    return TRANSITIONS.get(status, {}).get(action)


def wrong_state(status: str, action: str) -> str:
    return f"协议当前状态为“{STATUS_ZH.get(status, status)}”，不能{ACTION_ZH.get(action, action)}"


def effective_status(agreement, today: dt.date) -> str:
    if agreement.status == S.IN_FORCE and agreement.ends_on < today:
        return S.EXPIRED
    return agreement.status
