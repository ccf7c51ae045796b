"""Pages of deliberation. Thin: parse input, call a selector or a service, render.

Public (no login): the public page of a topic (/topics/p/<id>/), without personal data.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import DomainError, NotFound
from tongxin.orgs.models import Alliance, AllianceMembership, Organization, OrgKind

from . import forms, selectors, services, workflow
from .models import Ballot, BallotOption, Consultation, Eligibility, Opinion, ResolutionKind, Stage, StakeholderKind, Topic

PER_PAGE = 20


def _int(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _topic(request, pk) -> Topic:
    try:
        return selectors.get_topic(request.user, pk)
    except NotFound:
        raise Http404 from None


def _areas(alliance):
    from tongxin.orgs.models import CoBuildingArea
    from tongxin.orgs.services import ensure_cobuilding_areas

    if alliance is None:
        return CoBuildingArea.objects.none()
    ensure_cobuilding_areas(alliance)
    return CoBuildingArea.objects.filter(alliance=alliance, active=True).order_by("sort", "id")


def _categories(alliance):
    from tongxin.orders.models import Category
    from tongxin.orders.services import ensure_categories

    if alliance is None:
        return Category.objects.none()
    ensure_categories(alliance)
    return Category.objects.filter(alliance=alliance, active=True).order_by("sort", "id")


def _alliance_of(user, communities) -> Alliance | None:
    from tongxin.orders.services import alliance_for

    first = communities.first()
    if first is None and getattr(user, "person_id", None) and user.person.community_id:
        first = user.person.community
    return alliance_for(first) if first is not None else None


def _units(alliance):
    if alliance is None:
        return Organization.objects.none()
    from django.db.models import Q

    ids = AllianceMembership.objects.filter(alliance=alliance, left_on__isnull=True).exclude(
        organization__kind=OrgKind.JOINT_COMMITTEE).values("organization_id")
    return Organization.objects.filter(Q(pk__in=ids) | Q(pk=alliance.core_organization_id), archived_at__isnull=True).order_by("path")


# --- list and raise ---------------------------------------------------------------------------------

STAGE_FILTERS = [("open", pgettext_lazy("topic filter", "Open")), *((s.value, s.label) for s in Stage), ("all", gettext_lazy("All"))]


@login_required
def index(request):
    user = request.user
    if not (has_perm(user, P.RAISE_TOPICS) or has_perm(user, P.MODERATE_TOPICS)):
        raise Http404
    g = request.GET
    stage = g.get("stage", "open")
    stage = stage if stage in dict(STAGE_FILTERS) else "open"
    communities = selectors.participation_communities(user)
    alliance = _alliance_of(user, communities)
    from tongxin.grids.models import Grid

    grids = Grid.objects.filter(organization__in=communities, level__gte=3).order_by("code")
    grid = grids.filter(pk=_int(g.get("grid"))).first() if _int(g.get("grid")) else None
    community = communities.filter(pk=_int(g.get("community"))).first() if _int(g.get("community")) else None
    areas, categories = _areas(alliance), _categories(alliance)
    area = areas.filter(pk=_int(g.get("area"))).first() if _int(g.get("area")) else None
    category = categories.filter(pk=_int(g.get("category"))).first() if _int(g.get("category")) else None
    qs = selectors.search(user, stage="" if stage == "all" else stage, community=community, grid=grid, place=g.get("place", ""),
                          area=area, category=category, q=g.get("q", ""))
    page = Paginator(qs.prefetch_related("ballots"), PER_PAGE).get_page(g.get("page"))
    params = g.copy()
    params.pop("page", None)
    ctx = {"nav_active": "topics", "page": page, "stage": stage, "stage_filters": STAGE_FILTERS, "grids": grids, "grid": grid,
           "communities": communities, "community": community, "areas": areas, "area": area, "categories": categories,
           "category": category, "place": g.get("place", ""), "q": g.get("q", ""), "querystring": params.urlencode(),
           "can_raise": has_perm(user, P.RAISE_TOPICS), "is_moderator": has_perm(user, P.MODERATE_TOPICS),
           "can_configure": alliance is not None and has_perm(user, P.MODERATE_TOPICS, alliance.core_organization),
           "alliance": alliance, "list_url": request.path}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "deliberation/_results.html", ctx)
    return render(request, "deliberation/index.html", ctx)


@login_required
def new(request):
    from tongxin.grids.models import Grid

    user = request.user
    communities = selectors.participation_communities(user)
    alliance = _alliance_of(user, communities)
    kw = {"communities": communities, "grids": Grid.objects.filter(organization__in=communities, level__gte=3).order_by("code"),
          "areas": _areas(alliance), "categories": _categories(alliance)}
    person = getattr(user, "person", None)
    initial = {"community": person.community_id if person and person.community_id else None,
               "grid": person.grid_id if person and person.grid_id else None}
    form = forms.RaiseForm(request.POST or None, initial=initial, **kw)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            topic = services.raise_topic(by=user, title=d["title"], description=d["description"], community=d["community"],
                                         grid=d["grid"], compound=d["compound"], building=d["building"], area=d["area"],
                                         category=d["category"], photos=request.FILES.getlist("photos"))
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Your topic is open for discussion."))
            return redirect("deliberation:detail", pk=topic.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "deliberation/new.html", {"nav_active": "topics", "form": form}, status=status)


# --- detail and discussion ----------------------------------------------------------------------------

def _ballot_rows(user, topic, moderator):
    rows = []
    now = timezone.now()
    person = getattr(user, "person", None) if getattr(user, "person_id", None) else None
    for b in topic.ballots.select_related("grid").prefetch_related("options"):
        b.res = selectors.results(b)
        b.state = selectors.ballot_state(b, now)
        b.mine = selectors.has_voted(user, b)
        b.eligible_me = person is not None and selectors.is_eligible(b, person)
        b.can_vote = b.state == "open" and topic.is_open and b.mine is None and b.eligible_me
        b.voter_rows = selectors.voters(user, b) if moderator and not b.secret else []
        rows.append(b)
    return rows


def _detail_context(request, topic, **extra):
    user = request.user
    moderator = workflow.is_moderator(user, topic)
    opinions = selectors.opinions(user, topic)
    for o in opinions:
        o.label = selectors.author_label(o, full=moderator)
    consultations = list(topic.consultations.prefetch_related("invitees__person", "invitees__organization"))
    for c in consultations:
        for i in c.invitees.all():
            i.shown = selectors.invitee_label(i, full=moderator)
    resolution = getattr(topic, "resolution", None) if topic.stage == Stage.RESOLVED else None
    links = [(link.label, selectors.link_url(link, user)) for link in resolution.links.all()] if resolution else []
    actions = workflow.allowed_actions(user, topic)
    ctx = {
        "nav_active": "topics", "topic": topic, "moderator": moderator, "actions": actions, "opinions": opinions,
        "ballots": _ballot_rows(user, topic, moderator), "consultations": consultations, "resolution": resolution, "links": links,
        "timeline": selectors.timeline(topic, public_only=not moderator), "ladder": workflow.LADDER, "stage_zh": workflow.STAGE_ZH,
        "ladder_index": workflow.LADDER.index(topic.stage) if topic.stage in workflow.LADDER else 3,
        "can_speak": topic.is_open and selectors.can_participate(user, topic.community),
        "escalate_form": forms.EscalateForm(initial={"to": Stage.PROPERTY if topic.stage == Stage.ONLINE else Stage.COMMUNITY}),
        "now": timezone.now(),
    }
    ctx.update(extra)
    return ctx


@login_required
def detail(request, pk):
    topic = _topic(request, pk)
    return render(request, "deliberation/detail.html", _detail_context(request, topic))


@login_required
@require_POST
def opinion(request, pk):
    """Post an opinion; with htmx the discussion block is returned and swapped in place."""
    topic = _topic(request, pk)
    error = ""
    try:
        services.add_opinion(topic=topic, by=request.user, text=request.POST.get("text", ""))
    except DomainError as exc:
        error = exc.message
    if request.htmx:
        return render(request, "deliberation/_discussion.html", _detail_context(request, topic, opinion_error=error,
                                                                               opinion_text=request.POST.get("text", "") if error else ""))
    if error:
        messages.error(request, error)
    return redirect("deliberation:detail", pk=topic.pk)


@login_required
@require_POST
def opinion_act(request, pk, action):
    op = Opinion.objects.select_related("topic").filter(pk=pk, topic__in=selectors.visible_topics(request.user)).first()
    if op is None:
        raise Http404
    error = ""
    try:
        if action == "hide":
            services.hide_opinion(opinion=op, by=request.user, reason=request.POST.get("reason", ""))
        elif action == "restore":
            services.restore_opinion(opinion=op, by=request.user, reason=request.POST.get("reason", ""))
        else:
            raise Http404
    except DomainError as exc:
        error = exc.message
    topic = _topic(request, op.topic_id)
    if request.htmx:
        return render(request, "deliberation/_discussion.html", _detail_context(request, topic, opinion_error=error))
    if error:
        messages.error(request, error)
    return redirect("deliberation:detail", pk=topic.pk)


@login_required
@require_POST
def act(request, pk, action):
    topic = _topic(request, pk)
    p = request.POST
    try:
        if action == "escalate":
            services.escalate(topic=topic, by=request.user, to=p.get("to") or None, reason=p.get("reason", ""))
            messages.success(request, _("Escalated to %(stage)s.") % {"stage": topic.get_stage_display()})
        elif action in ("close", "withdraw"):
            services.close_topic(topic=topic, by=request.user, reason=p.get("reason", ""))
            messages.success(request, _("The topic was closed."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("deliberation:detail", pk=topic.pk)


# --- ballots ------------------------------------------------------------------------------------------

@login_required
def ballot_new(request, pk):
    topic = _topic(request, pk)
    if not workflow.is_moderator(request.user, topic):
        raise Http404
    grids = selectors.grids_of(topic.community)
    initial = {"eligibility": Eligibility.GRID if topic.grid_id else Eligibility.COMMUNITY, "grid": topic.grid_id,
               "building": topic.building, "secret": True,
               "closes_at": timezone.localtime(timezone.now() + dt.timedelta(days=7)).replace(second=0, microsecond=0)}
    form = forms.BallotForm(request.POST or None, initial=initial, grids=grids)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.create_ballot(topic=topic, by=request.user, question=d["question"], options=(d["options"] or "").splitlines(),
                                   opens_at=d["opens_at"], closes_at=d["closes_at"], eligibility=d["eligibility"] or Eligibility.COMMUNITY,
                                   grid=d["grid"], building=d["building"], secret=d["secret"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The ballot is open."))
            return redirect("deliberation:detail", pk=topic.pk)
    return render(request, "deliberation/ballot_form.html", {"nav_active": "topics", "topic": topic, "form": form,
                                                             "rolls": selectors.building_roll(topic.community)},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def vote(request, pk):
    ballot = Ballot.objects.select_related("topic").filter(pk=pk, topic__in=selectors.visible_topics(request.user)).first()
    if ballot is None:
        raise Http404
    option = BallotOption.objects.filter(pk=_int(request.POST.get("option")), ballot=ballot).first()
    try:
        if option is None:
            raise DomainError("请选择一个选项后再投票", field="option")
        services.cast_vote(ballot=ballot, by=request.user, option=option)
    except DomainError as exc:
        error = exc.message
    else:
        error = ""
    topic = _topic(request, ballot.topic_id)
    if request.htmx:
        ctx = _detail_context(request, topic)
        b = next(x for x in ctx["ballots"] if x.pk == ballot.pk)
        return render(request, "deliberation/_ballot.html", {**ctx, "b": b, "vote_error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Your vote was counted."))
    return redirect("deliberation:detail", pk=topic.pk)


@login_required
@require_POST
def ballot_end(request, pk):
    ballot = Ballot.objects.select_related("topic").filter(pk=pk, topic__in=selectors.visible_topics(request.user)).first()
    if ballot is None:
        raise Http404
    try:
        services.end_ballot_now(ballot=ballot, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("The ballot was closed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("deliberation:detail", pk=ballot.topic_id)


# --- consultations ------------------------------------------------------------------------------------

def _stakeholder_choices(topic):
    from tongxin.people.models import Person

    residents = Person.objects.filter(community=topic.community, archived_at__isnull=True).order_by("name")[:300]
    members = Person.objects.filter(archived_at__isnull=True, party_profile__in_service=True).filter(
        party_profile__home_community=topic.community).order_by("name")
    units = _units(topic.alliance)
    property_cos = Organization.objects.filter(archived_at__isnull=True, kind__in=[OrgKind.PROPERTY_COMPANY, OrgKind.OWNERS_COMMITTEE],
                                               path__startswith=topic.community.path).order_by("name")
    return {"residents": Person.objects.filter(pk__in=[p.pk for p in residents]).order_by("name"), "members": members,
            "property_companies": property_cos, "units": units}


@login_required
def consultation_new(request, pk):
    topic = _topic(request, pk)
    if not workflow.is_moderator(request.user, topic):
        raise Http404
    initial = {"title": f"{topic.title}协商会"[:120],
               "held_at": timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)}
    form = forms.ConsultationForm(request.POST or None, initial=initial, **_stakeholder_choices(topic))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        invitees = [{"kind": StakeholderKind.RESIDENT, "person": p} for p in d["residents"]]
        invitees += [{"kind": StakeholderKind.IN_SERVICE_MEMBER, "person": p} for p in d["members"]]
        invitees += [{"kind": StakeholderKind.PROPERTY_COMPANY, "organization": o} for o in d["property_companies"]]
        invitees += [{"kind": StakeholderKind.MEMBER_UNIT, "organization": o} for o in d["units"]]
        invitees += [{"kind": StakeholderKind.SHOP, "name": line.strip()} for line in (d["shops"] or "").splitlines() if line.strip()]
        try:
            services.schedule_consultation(topic=topic, by=request.user, title=d["title"], held_at=d["held_at"], place=d["place"],
                                           invitees=invitees)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The consultation meeting was called and the invitations sent."))
            return redirect("deliberation:detail", pk=topic.pk)
    return render(request, "deliberation/consultation_form.html", {"nav_active": "topics", "topic": topic, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def consultation_record(request, pk):
    c = Consultation.objects.select_related("topic").filter(pk=pk, topic__in=selectors.visible_topics(request.user)).first()
    if c is None or not workflow.is_moderator(request.user, c.topic):
        raise Http404
    invitees = list(c.invitees.select_related("person", "organization"))
    for i in invitees:
        i.shown = selectors.invitee_label(i, full=True)
    error, values = None, {}
    if request.method == "POST":
        p = request.POST
        values = p
        attendance = {i.pk: p.get(f"attended_{i.pk}") == "1" for i in invitees}
        positions = {i.pk: p.get(f"position_{i.pk}", "") for i in invitees}
        guests = [{"kind": StakeholderKind.OTHER, "name": line.strip()} for line in p.get("guests", "").splitlines() if line.strip()]
        try:
            services.record_consultation(consultation=c, by=request.user, summary=p.get("summary", ""), attendance=attendance,
                                         positions=positions, guests=guests)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("The record of the meeting was saved."))
            return redirect("deliberation:detail", pk=c.topic_id)
    return render(request, "deliberation/consultation_record.html",
                  {"nav_active": "topics", "c": c, "topic": c.topic, "invitees": invitees, "error": error, "values": values},
                  status=400 if error else 200)


# --- resolution ---------------------------------------------------------------------------------------

@login_required
def resolve(request, pk):
    topic = _topic(request, pk)
    if "resolve" not in workflow.allowed_actions(request.user, topic):
        raise Http404
    units = _units(topic.alliance)
    lists_ready = _importable("tongxin.lists.services", "create_project")
    meetings_ready = _importable("tongxin.meetings.services", "create_action_item")
    initial = {"kind": ResolutionKind.PROJECT if lists_ready else ResolutionKind.REQUEST, "project_title": topic.title,
               "request_title": topic.title, "project_area": topic.area_id, "request_category": topic.category_id}
    form = forms.ResolveForm(request.POST or None, initial=initial, units=units, areas=_areas(topic.alliance),
                             categories=_categories(topic.alliance))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.resolve_topic(topic=topic, by=request.user, decision=d["decision"], kind=d["kind"],
                                   project={"title": d["project_title"], "lead_unit": d["lead_unit"], "area": d["project_area"]},
                                   request={"title": d["request_title"], "category": d["request_category"]},
                                   action_items=form.action_items())
        except DomainError as exc:
            form.add_domain_error(exc, aliases={"project_title": "project_title", "action_items": "item0_title"})
        else:
            messages.success(request, _("The topic is resolved."))
            return redirect("deliberation:detail", pk=topic.pk)
    kinds = [(k, label, {ResolutionKind.PROJECT: lists_ready, ResolutionKind.ACTION_ITEMS: meetings_ready}.get(k, True))
             for k, label in ResolutionKind.choices]
    return render(request, "deliberation/resolve.html", {"nav_active": "topics", "topic": topic, "form": form, "kinds": kinds,
                                                         "kind": form["kind"].value() or initial["kind"]},
                  status=400 if request.method == "POST" else 200)


def _importable(module, name) -> bool:
    import importlib

    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


# --- building rolls ------------------------------------------------------------------------------------

@login_required
def rolls(request):
    """The building rolls (楼栋名册) of the communities the user moderates: who votes in a building ballot."""
    from tongxin.people.models import Person

    from .models import BuildingResident

    user = request.user
    communities = [c for c in selectors.participation_communities(user) if has_perm(user, P.MODERATE_TOPICS, c)]
    if not communities:
        raise Http404
    community = next((c for c in communities if c.pk == _int(request.POST.get("community") or request.GET.get("community"))),
                     communities[0])
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                entry = BuildingResident.objects.filter(pk=_int(request.POST.get("remove")), community=community).first()
                if entry is None:
                    raise DomainError("名册中没有这一条", field="remove")
                services.remove_from_roll(entry=entry, by=user, reason=request.POST.get("reason", ""))
                messages.success(request, _("Removed from the roll."))
            else:
                ids = [_int(v) for v in request.POST.getlist("people")]
                people = list(Person.objects.filter(pk__in=[i for i in ids if i], community=community, archived_at__isnull=True))
                if not people:
                    raise DomainError("请选择要登记到楼栋名册的居民", field="people")
                added = services.set_building_roll(community=community, by=user, building=request.POST.get("building", ""), people=people)
                messages.success(request, _("%(n)s added to the roll.") % {"n": added})
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(f"{request.path}?community={community.pk}")
    entries = BuildingResident.objects.filter(community=community).select_related("person").order_by("building", "person__name")
    residents = Person.objects.filter(community=community, archived_at__isnull=True).order_by("name")[:500]
    return render(request, "deliberation/rolls.html", {"nav_active": "topics", "communities": communities, "community": community,
                                                       "entries": entries, "residents": residents, "error": error,
                                                       "building": request.POST.get("building", "")},
                  status=400 if error else 200)


# --- settings -----------------------------------------------------------------------------------------

@login_required
def settings_page(request, alliance_pk):
    alliance = Alliance.objects.select_related("core_organization").filter(pk=alliance_pk).first()
    if alliance is None or not has_perm(request.user, P.MODERATE_TOPICS, alliance.core_organization):
        raise Http404
    cfg = services.config_for(alliance)
    initial = {"online_days": cfg.online_days, "property_days": cfg.property_days, "community_days": cfg.community_days,
               "auto_escalate": cfg.auto_escalate}
    form = forms.SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        reason = d.pop("reason", "")
        try:
            services.save_config(alliance=alliance, by=request.user, reason=reason, **d)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Saved. New stage times apply to stages entered from now on."))
            return redirect("deliberation:index")
    return render(request, "deliberation/settings.html", {"nav_active": "topics", "form": form, "alliance": alliance},
                  status=400 if request.method == "POST" else 200)


# --- public -------------------------------------------------------------------------------------------

def public(request, pk):
    try:
        topic = selectors.get_public_topic(pk)
    except NotFound:
        raise Http404 from None
    return render(request, "deliberation/public.html", {"nav_active": "topics", "t": selectors.public_view(topic)})
