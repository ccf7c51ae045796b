"""Reads of the three lists, always scoped.

- Resources and projects are the alliance's shared lists: whoever holds lists.view somewhere in an
  alliance (its core organisation's tree or a member unit) sees all of that alliance's resources and
  projects, with contact phones masked.
- Needs belong to communities: lists.view over the need's community (community B does not see A's).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm, scope_q
from tongxin.audit.models import Event
from tongxin.core.errors import NotFound
from tongxin.core.text import normalize_for_search
from tongxin.orgs.models import Alliance

from . import matching, services, workflow
from .models import Campaign, Need, NeedStatus, Pair, PairingSession, Project, ProjectPhoto, Resource, ResourceStatus
from .workflow import ProjectStatus


def alliances_for(user, perm: str = P.VIEW_LISTS) -> list[Alliance]:
    if not user or not user.is_authenticated:
        return []
    return [a for a in Alliance.objects.select_related("core_organization").order_by("id") if services.has_alliance_perm(user, perm, a)]


def default_alliance(user, perm: str = P.VIEW_LISTS) -> Alliance | None:
    found = alliances_for(user, perm)
    return found[0] if found else None


def _search(qs, q: str | None, fields):
    q = normalize_for_search(q)
    if not q:
        return qs
    cond = Q()
    for word in q.split()[:5]:
        part = Q()
        for f in fields:
            part |= Q(**{f"{f}__icontains": word})
        cond &= part
    return qs.filter(cond)


def resources(user, *, alliance=None, kind=None, unit=None, status=None, campaign=None, q=None):
    qs = Resource.objects.filter(alliance__in=alliances_for(user)).select_related("unit", "area")
    if alliance is not None:
        qs = qs.filter(alliance=alliance)
    if kind:
        qs = qs.filter(kind=kind)
    if unit is not None:
        qs = qs.filter(unit=unit)
    if status:
        qs = qs.filter(status=status)
    if campaign is not None:
        qs = qs.filter(campaigns=campaign)
    return _search(qs, q, ["title", "description", "tokens"])


def needs(user, *, community=None, status=None, urgency=None, campaign=None, q=None, perm=P.VIEW_LISTS):
    qs = Need.objects.filter(scope_q(user, perm, "community__path")).select_related("community", "area", "category")
    if community is not None:
        qs = qs.filter(community=community)
    if status:
        qs = qs.filter(status=status)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if campaign is not None:
        qs = qs.filter(campaigns=campaign)
    return _search(qs, q, ["title", "description", "tokens"])


def projects(user, *, status=None, area=None, brand=None, campaign=None, unit=None, q=None):
    qs = Project.objects.filter(alliance__in=alliances_for(user)).select_related("lead_unit", "area")
    if status:
        qs = qs.filter(status=status)
    if area is not None:
        qs = qs.filter(area=area)
    if brand:
        qs = qs.filter(brand=True)
    if campaign is not None:
        qs = qs.filter(campaigns=campaign)
    if unit is not None:
        qs = qs.filter(Q(lead_unit=unit) | Q(participants=unit)).distinct()
    return _search(qs, q, ["title", "description"])


def campaigns(user):
    return Campaign.objects.filter(alliance__in=alliances_for(user)).order_by("-active", "name")


def _get(qs, pk, message):
    obj = qs.filter(pk=pk).first() if pk else None
    if obj is None:
        raise NotFound(message)
    return obj


def get_resource(user, pk) -> Resource:
    return _get(resources(user), pk, "资源不存在或不在您的权限范围内")


def get_need(user, pk) -> Need:
    return _get(needs(user), pk, "需求不存在或不在您的权限范围内")


def get_project(user, pk) -> Project:
    return _get(projects(user), pk, "项目不存在或不在您的权限范围内")


def get_campaign(user, pk) -> Campaign:
    return _get(campaigns(user), pk, "专项行动不存在或不在您的权限范围内")


def get_session(user, pk) -> PairingSession:
    qs = PairingSession.objects.filter(alliance__in=alliances_for(user, P.RUN_MATCHING))
    return _get(qs, pk, "配对会不存在或不在您的权限范围内")


def session_pairs(user, session: PairingSession):
    """The pairs of a session whose need the user may see."""
    return (Pair.objects.filter(session=session).filter(scope_q(user, P.VIEW_LISTS, "need__community__path"))
            .select_related("need", "need__community", "resource", "resource__unit", "proposed_resource").order_by("-score", "id"))


def sessions(user):
    return PairingSession.objects.filter(alliance__in=alliances_for(user, P.RUN_MATCHING)).order_by("-created_at")[:20]


VERB_LABELS = {
    "lists.resource_added": _("Resource added"), "lists.resource_updated": _("Resource changed"),
    "lists.resource_status": _("Status changed"), "lists.resource_contact_revealed": _("Full contact phone viewed"),
    "lists.need_registered": _("Need registered"), "lists.need_updated": _("Need changed"), "lists.need_proposed": _("Proposed from requests"),
    "lists.need_confirmed": _("Confirmed by staff"), "lists.need_dismissed": _("Dismissed"), "lists.need_closed": _("Closed"),
    "lists.pair_accepted": _("Pair accepted"), "lists.pair_changed": _("Pair changed"), "lists.pair_rejected": _("Pair rejected"),
    "lists.project_proposed": _("Project proposed"), "lists.project_updated": _("Project changed"),
    "lists.project_approve": _("Approved"), "lists.project_reject": _("Rejected"), "lists.project_start": _("Started"),
    "lists.project_complete": _("Completed with outcomes"), "lists.project_evaluate": _("Evaluated"),
    "lists.milestone_added": _("Milestone added"), "lists.milestone_done": _("Milestone done"), "lists.project_photos": _("Photos added"),
    "lists.campaign_created": _("Campaign created"), "lists.campaign_updated": _("Campaign changed"),
    "lists.pairing_session_run": _("Pairing session run"),
}


def timeline(obj) -> list[Event]:
    """The object's own recorded events, oldest first (the detail pages' history), each with a `label`."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    rows = list(Event.objects.filter(target_type=ct, target_id=str(obj.pk)).select_related("actor", "actor__person").order_by("created_at", "id"))
    for e in rows:
        e.label = VERB_LABELS.get(e.verb, e.verb)
        e.actor_name = (e.actor.person.name if e.actor and e.actor.person_id else getattr(e.actor, "username", "")) or ""
    return rows


# --- matching ------------------------------------------------------------------------------------

def match_need(user, need: Need, *, k: int = 10) -> list[dict]:
    """The k best resources for one need, each {resource, score, explanation, lines}, best first.

    Every active resource of the alliance is scored (one row of the same vectorised code the pairing
    session uses); a resource sharing no word with the need is not a candidate.
    """
    pool = list(Resource.objects.filter(alliance=need.alliance, status=ResourceStatus.ACTIVE).select_related("unit", "area").order_by("id"))
    if not pool:
        return []
    ns, rs = services.need_side([need]), services.resource_side(pool)
    rows, cols, parts, score = matching.top_k(ns, rs, k=k)
    out = []
    for i in range(len(rows)):
        r = pool[cols[i]]
        exp = services.explain_pair(need, r, ns, rs, parts, i, cols[i])
        out.append({"resource": r, "score": float(score[i]), "points": round(100 * float(score[i]), 1), "explanation": exp,
                    "lines": matching.explanation_lines(exp)})
    return out


def can_run_matching(user, need: Need) -> bool:
    return has_perm(user, P.RUN_MATCHING, need.community)


# --- projects for the quarterly review (contract) ---------------------------------------------------

def projects_for_review(alliance, *, start, end):
    """Projects of `alliance` alive in [start, end]: proposed by `end` and not finished before `start`.

    Each row: {project, lead_unit, status, milestones_total, milestones_done, overdue_milestones};
    a milestone is overdue when its due date is on or before min(end, today) and it was not done by then
    (done after its due date counts as overdue too).
    """
    start_dt = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    end_dt = timezone.make_aware(dt.datetime.combine(end, dt.time.max))
    cutoff = min(end, timezone.localdate())
    qs = (Project.objects.filter(alliance=alliance, created_at__lte=end_dt)
          .exclude(status=ProjectStatus.REJECTED, updated_at__lt=start_dt)
          .exclude(completed_at__lt=start_dt)
          .select_related("lead_unit")
          .annotate(m_total=Count("milestones", distinct=True),
                    m_done=Count("milestones", filter=Q(milestones__done_on__isnull=False, milestones__done_on__lte=end), distinct=True),
                    m_over=Count("milestones", filter=Q(milestones__due_on__lte=cutoff) & (Q(milestones__done_on__isnull=True)
                                 | Q(milestones__done_on__gt=F("milestones__due_on"))), distinct=True))
          .order_by("lead_unit__name", "id"))
    for p in qs:
        yield {"project": p, "lead_unit": p.lead_unit, "status": p.status, "milestones_total": p.m_total,
               "milestones_done": p.m_done, "overdue_milestones": p.m_over}


# --- figures -------------------------------------------------------------------------------------

def campaign_figures(campaign: Campaign) -> dict:
    ps = Project.objects.filter(campaigns=campaign)
    by_status = dict(ps.values_list("status").annotate(n=Count("id")))
    done = ps.filter(status__in=workflow.DONE)
    ns = Need.objects.filter(campaigns=campaign)
    return {
        "projects": ps.count(),
        "projects_by_status": [{"status": s, "label": str(ProjectStatus(s).label), "count": by_status.get(s, 0)} for s in ProjectStatus.values],
        "projects_done": done.count(),
        "brand_projects": ps.filter(brand=True).count(),
        "beneficiaries": done.aggregate(n=Sum("beneficiaries"))["n"] or 0,
        "budget": float(ps.aggregate(n=Sum("budget"))["n"] or 0),
        "needs": ns.count(),
        "needs_open": ns.filter(status__in=[NeedStatus.OPEN, NeedStatus.PROPOSED]).count(),
        "needs_met": ns.filter(status__in=[NeedStatus.MATCHED, NeedStatus.CLOSED]).count(),
        "resources": Resource.objects.filter(campaigns=campaign, status=ResourceStatus.ACTIVE).count(),
        "units": len(set(ps.values_list("lead_unit_id", flat=True)) | set(Resource.objects.filter(campaigns=campaign).values_list("unit_id", flat=True))),
    }


def list_counts(user, alliance) -> dict:
    return {
        "resources": resources(user, alliance=alliance, status=ResourceStatus.ACTIVE).count() if alliance else 0,
        "needs": needs(user, status=NeedStatus.OPEN).count(),
        "proposed_needs": needs(user, status=NeedStatus.PROPOSED).count(),
        "projects": projects(user).exclude(status=ProjectStatus.REJECTED).count(),
    }


# --- the results wall (public) ----------------------------------------------------------------------

# Headings of the projects section on orders/wall.html, translated in this app's catalogue.
WALL_LABELS = (_("Co-building projects completed"), _("Requests"), _("Brand project"), _("Beneficiaries (people)"))

def completed_projects(*, community=None, limit: int = 6) -> list[dict]:
    """Completed co-building projects for the public results wall: title, lead unit, outcome, beneficiaries."""
    qs = Project.objects.filter(status__in=list(workflow.DONE), completed_at__isnull=False)
    if community is not None:
        qs = qs.filter(Q(needs__community=community) | Q(lead_unit__path__startswith=community.path)).distinct()
    rows = list(qs.select_related("lead_unit", "area").order_by("-completed_at", "-id")[:limit])
    photos = {}
    for ph in ProjectPhoto.objects.filter(project__in=rows).order_by("id"):
        photos.setdefault(ph.project_id, ph)
    return [{"id": p.pk, "title": p.title, "lead_unit": p.lead_unit.name, "area": p.area.name if p.area_id else "",
             "outcome": p.outcome, "beneficiaries": p.beneficiaries, "figures": p.figures, "brand": p.brand,
             "completed_at": p.completed_at, "photo": photos[p.pk].image.url if p.pk in photos else ""} for p in rows]

