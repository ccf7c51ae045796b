"""Pages of the three lists, projects, campaigns, matching and pairing sessions. Thin: parse, call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import DomainError, NotFound, PermissionDenied
from tongxin.orgs.models import Organization

from . import forms, matching, selectors, services, workflow
from .models import Campaign, Milestone, NeedStatus, Pair, PairStatus, ProjectStatus, Resource, ResourceKind, ResourceStatus, Urgency

PER_PAGE = 20
PART_LABELS = {"text": _l("words"), "category": _l("area"), "distance": _l("distance"), "capacity": _l("capacity"),
               "time": _l("time"), "record": _l("record")}
TABS = ("resources", "needs", "projects", "campaigns")


def _alliance(request):
    alliance = selectors.default_alliance(request.user)
    if alliance is None:
        raise Http404
    return alliance


def _get(fn, request, pk):
    try:
        return fn(request.user, pk)
    except NotFound:
        raise Http404 from None


def _org(pk):
    return Organization.objects.filter(pk=pk).first() if pk else None


def _page(request, qs):
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


# --- index ---------------------------------------------------------------------------------------

@login_required
def index(request):
    user = request.user
    if not has_perm(user, P.VIEW_LISTS):
        raise Http404
    alliance = _alliance(request)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "resources"
    q = request.GET.get("q", "")
    ctx = {"nav_active": "lists", "tab": tab, "q": q, "alliance": alliance, "counts": selectors.list_counts(user, alliance),
           "can_add_resource": has_perm(user, P.MANAGE_RESOURCES), "can_add_need": has_perm(user, P.MANAGE_NEEDS),
           "can_add_project": services.has_alliance_perm(user, P.MANAGE_PROJECTS, alliance),
           "can_pair": services.has_alliance_perm(user, P.RUN_MATCHING, alliance),
           "can_campaign": has_perm(user, P.APPROVE_PROJECTS, alliance.core_organization)}
    f = request.GET
    if tab == "resources":
        ctx["kinds"], ctx["statuses"] = ResourceKind.choices, ResourceStatus.choices
        qs = selectors.resources(user, alliance=alliance, kind=f.get("kind") or None, status=f.get("status") or None, q=q)
    elif tab == "needs":
        ctx["statuses"], ctx["urgencies"] = NeedStatus.choices, Urgency.choices
        qs = selectors.needs(user, status=f.get("status") or None, urgency=f.get("urgency") or None, q=q)
    elif tab == "projects":
        ctx["statuses"] = ProjectStatus.choices
        qs = selectors.projects(user, status=f.get("status") or None, brand=f.get("brand") == "1", q=q)
    else:
        qs = selectors.campaigns(user)
    ctx["page"] = _page(request, qs)
    ctx["filters"] = {k: f.get(k, "") for k in ("kind", "status", "urgency", "brand")}
    template = "lists/_index_rows.html" if request.headers.get("HX-Request") else "lists/index.html"
    return render(request, template, ctx)


# --- resources -----------------------------------------------------------------------------------

def _form_post(request, form, save, aliases=None):
    """Run `save(cleaned_data)` when the form parses; a DomainError is shown next to the form."""
    if not form.is_valid():
        return None
    try:
        return save(form.cleaned_data)
    except DomainError as exc:
        form.add_domain_error(exc, aliases)
        return None


@login_required
def resource_edit(request, pk=None):
    user = request.user
    resource = _get(selectors.get_resource, request, pk) if pk else None
    alliance = resource.alliance if resource else _alliance(request)
    if not has_perm(user, P.MANAGE_RESOURCES, resource.unit if resource else None):
        raise Http404
    initial = {}
    if resource:
        initial = {k: getattr(resource, k) for k in ("kind", "title", "description", "capacity", "address", "lng", "lat", "conditions", "contact_name")}
        initial.update(unit=resource.unit_id, area=resource.area_id or "", availability=forms.windows_text(resource.availability),
                       campaigns=[c.pk for c in resource.campaigns.all()])
    form = forms.ResourceForm(request.POST or None, user=user, alliance=alliance, initial=initial)
    status = 200
    if request.method == "POST":
        def save(d):
            return services.save_resource(by=user, unit=_org(d["unit"]), resource=resource, kind=d["kind"], title=d["title"],
                                          description=d["description"], capacity=d["capacity"], availability=d["availability"],
                                          address=d["address"], lng=d["lng"], lat=d["lat"], conditions=d["conditions"],
                                          contact_name=d["contact_name"], contact_phone=d["contact_phone"], area=d["area"] or None,
                                          campaigns=d["campaigns"])
        saved = _form_post(request, form, save)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("lists:resource", pk=saved.pk)
        status = 400
    return render(request, "lists/form.html", {"nav_active": "lists", "form": form, "object": resource, "kind": "resource",
                                               "title": _("Edit resource") if resource else _("Add a resource")}, status=status)


@login_required
def resource_detail(request, pk):
    r = _get(selectors.get_resource, request, pk)
    user = request.user
    return render(request, "lists/resource.html", {
        "nav_active": "lists", "r": r, "timeline": selectors.timeline(r), "windows": matching.describe_windows(r.availability),
        "can_manage": has_perm(user, P.MANAGE_RESOURCES, r.unit),
        "can_reveal": has_perm(user, P.MANAGE_RESOURCES, r.unit) or services.has_alliance_perm(user, P.RUN_MATCHING, r.alliance),
        "statuses": ResourceStatus.choices, "projects": r.projects.all()[:20], "campaigns": r.campaigns.all()})


@login_required
@require_POST
def resource_status(request, pk):
    r = _get(selectors.get_resource, request, pk)
    try:
        services.set_resource_status(by=request.user, resource=r, status=request.POST.get("status", ""), reason=request.POST.get("reason", ""))
        messages.success(request, _("Saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("lists:resource", pk=r.pk)


@login_required
@require_POST
def resource_reveal(request, pk):
    r = _get(selectors.get_resource, request, pk)
    try:
        phone = services.reveal_resource_contact(by=request.user, resource=r)
    except DomainError as exc:
        return HttpResponse(exc.message, status=403)
    return HttpResponse(f'<span data-testid="revealed">{phone or "—"}</span>')


# --- needs ---------------------------------------------------------------------------------------

@login_required
def need_edit(request, pk=None):
    user = request.user
    need = _get(selectors.get_need, request, pk) if pk else None
    alliance = need.alliance if need else _alliance(request)
    if not has_perm(user, P.MANAGE_NEEDS, need.community if need else None):
        raise Http404
    initial = {}
    if need:
        initial = {k: getattr(need, k) for k in ("title", "description", "beneficiaries", "quantity", "urgency", "address", "lng", "lat")}
        initial.update(community=need.community_id, area=need.area_id or "", category=need.category_id or "",
                       wanted_windows=forms.windows_text(need.wanted_windows), campaigns=[c.pk for c in need.campaigns.all()])
    form = forms.NeedForm(request.POST or None, user=user, alliance=alliance, initial=initial)
    status = 200
    if request.method == "POST":
        def save(d):
            return services.save_need(by=user, community=_org(d["community"]), need=need, title=d["title"], description=d["description"],
                                      beneficiaries=d["beneficiaries"], quantity=d["quantity"], urgency=d["urgency"], area=d["area"] or None,
                                      category=d["category"] or None, address=d["address"], lng=d["lng"], lat=d["lat"],
                                      wanted_windows=d["wanted_windows"], campaigns=d["campaigns"])
        saved = _form_post(request, form, save)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("lists:need", pk=saved.pk)
        status = 400
    return render(request, "lists/form.html", {"nav_active": "lists", "form": form, "object": need, "kind": "need",
                                               "title": _("Edit need") if need else _("Register a need")}, status=status)


@login_required
def need_detail(request, pk):
    n = _get(selectors.get_need, request, pk)
    user = request.user
    return render(request, "lists/need.html", {
        "nav_active": "lists", "n": n, "timeline": selectors.timeline(n), "windows": matching.describe_windows(n.wanted_windows),
        "can_manage": has_perm(user, P.MANAGE_NEEDS, n.community), "can_match": selectors.can_run_matching(user, n),
        "requests": n.requests.select_related("category").order_by("-created_at")[:20], "projects": n.projects.all()[:20],
        "pairs": n.pairs.select_related("resource", "session").order_by("-id")[:20], "campaigns": n.campaigns.all()})


@login_required
@require_POST
def need_act(request, pk, action):
    n = _get(selectors.get_need, request, pk)
    fn = {"confirm": services.confirm_need, "dismiss": services.dismiss_need, "close": services.close_need}.get(action)
    if fn is None:
        raise Http404
    try:
        fn(by=request.user, need=n, reason=request.POST.get("reason", ""))
        messages.success(request, _("Saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("lists:need", pk=n.pk)


@login_required
@require_POST
def needs_propose(request):
    alliance = _alliance(request)
    try:
        made = services.propose_needs_from_requests(by=request.user, alliance=alliance, days=request.POST.get("days") or 30,
                                                    threshold=request.POST.get("threshold") or 3)
        messages.success(request, _("%(n)d need(s) proposed from requests.") % {"n": len(made)})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{request.build_absolute_uri('/lists/')}?tab=needs&status=proposed")


@login_required
def need_match(request, pk):
    n = _get(selectors.get_need, request, pk)
    if not selectors.can_run_matching(request.user, n):
        raise Http404
    rows = selectors.match_need(request.user, n)
    for row in rows:
        row["part_list"] = [(PART_LABELS[k], v["points"]) for k, v in row["explanation"]["parts"].items()]
    return render(request, "lists/match.html", {"nav_active": "lists", "n": n, "rows": rows})


# --- projects ------------------------------------------------------------------------------------

@login_required
def project_edit(request, pk=None):
    user = request.user
    project = _get(selectors.get_project, request, pk) if pk else None
    alliance = project.alliance if project else _alliance(request)
    if project and not services._can_manage_project(user, project):
        raise Http404
    if not project and not services.has_alliance_perm(user, P.MANAGE_PROJECTS, alliance):
        raise Http404
    initial = {}
    if project:
        initial = {k: getattr(project, k) for k in ("title", "description", "source", "budget", "brand")}
        initial.update(lead_unit=project.lead_unit_id, area=project.area_id or "", participants=[o.pk for o in project.participants.all()],
                       campaigns=[c.pk for c in project.campaigns.all()])
    form = forms.ProjectForm(request.POST or None, user=user, alliance=alliance, initial=initial)
    if project:
        form.fields["lead_unit"].disabled = True
    status = 200
    if request.method == "POST":
        def save(d):
            p = project
            if p is None:
                p = services.create_project(by=user, alliance=alliance, title=d["title"], lead_unit=_org(d["lead_unit"]),
                                            description=d["description"], area=d["area"] or None, source=d["source"])
            extra = {"brand": d["brand"]} if "brand" in d and (d["brand"] or (project and project.brand)) else {}
            return services.update_project(by=user, project=p, title=d["title"], description=d["description"], source=d["source"],
                                           area=d["area"] or None, budget=d["budget"],
                                           participants=list(Organization.objects.filter(pk__in=d["participants"])),
                                           campaigns=d["campaigns"], **extra)
        saved = _form_post(request, form, save)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("lists:project", pk=saved.pk)
        status = 400
    return render(request, "lists/form.html", {"nav_active": "lists", "form": form, "object": project, "kind": "project",
                                               "title": _("Edit project") if project else _("Propose a project")}, status=status)


def _project_ctx(request, p, errors=None, values=None):
    user = request.user
    approver = has_perm(user, P.APPROVE_PROJECTS, p.alliance.core_organization)
    manager = services._can_manage_project(user, p)
    actions = [(a, workflow.ACTION_LABELS[a]) for a in workflow.allowed_actions(p.status)
               if (approver if a in ("approve", "reject", "evaluate") else manager)]
    return {"nav_active": "lists", "p": p, "timeline": selectors.timeline(p), "actions": actions, "can_manage": manager,
            "milestones": p.milestones.all(), "photos": p.photos.all(), "needs": p.needs.select_related("community"),
            "resources": p.resources.select_related("unit"), "participants": p.participants.all(), "campaigns": p.campaigns.all(),
            "errors": errors or {}, "values": values or {}, "today": timezone.localdate()}


@login_required
def project_detail(request, pk):
    p = _get(selectors.get_project, request, pk)
    return render(request, "lists/project.html", _project_ctx(request, p))


@login_required
@require_POST
def project_act(request, pk, action):
    p = _get(selectors.get_project, request, pk)
    post = request.POST
    try:
        services.transition(by=request.user, project=p, action=action, reason=post.get("reason", ""), outcome=post.get("outcome", ""),
                            beneficiaries=post.get("beneficiaries"), figures=post.get("figures", ""),
                            photos=request.FILES.getlist("photos"), evaluation=post.get("evaluation", ""), rating=post.get("rating"))
    except DomainError as exc:
        ctx = _project_ctx(request, p, errors={"action": action, "message": exc.message, "field": exc.field}, values=post.dict())
        return render(request, "lists/project.html", ctx, status=403 if isinstance(exc, PermissionDenied) else 400)
    messages.success(request, _("Saved."))
    return redirect("lists:project", pk=p.pk)


@login_required
@require_POST
def project_milestone(request, pk):
    p = _get(selectors.get_project, request, pk)
    try:
        services.add_milestone(by=request.user, project=p, title=request.POST.get("title", ""), due_on=request.POST.get("due_on", ""))
        messages.success(request, _("Saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("lists:project", pk=p.pk)


@login_required
@require_POST
def milestone_done(request, pk):
    ms = Milestone.objects.filter(pk=pk).select_related("project").first()
    if ms is None:
        raise Http404
    _get(selectors.get_project, request, ms.project_id)
    try:
        services.complete_milestone(by=request.user, milestone=ms)
        messages.success(request, _("Saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("lists:project", pk=ms.project_id)


@login_required
@require_POST
def project_photos(request, pk):
    p = _get(selectors.get_project, request, pk)
    try:
        services.add_project_photos(by=request.user, project=p, photos=request.FILES.getlist("photos"))
        messages.success(request, _("Saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("lists:project", pk=p.pk)


# --- pairing sessions ----------------------------------------------------------------------------

@login_required
def pairing(request):
    user = request.user
    alliance = _alliance(request)
    if not services.has_alliance_perm(user, P.RUN_MATCHING, alliance):
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            session = services.run_pairing_session(by=user, alliance=alliance, title=request.POST.get("title", ""))
            return redirect("lists:session", pk=session.pk)
        except DomainError as exc:
            error = exc.message
    open_needs = selectors.needs(user, status=NeedStatus.OPEN, perm=P.RUN_MATCHING).count()
    resources = selectors.resources(user, alliance=alliance, status=ResourceStatus.ACTIVE).count()
    return render(request, "lists/pairing.html", {"nav_active": "lists", "sessions": selectors.sessions(user), "error": error,
                                                  "open_needs": open_needs, "resources": resources}, status=400 if error else 200)


def _pair_ctx(request, pair, error=""):
    alternatives = []
    if pair.status == PairStatus.PROPOSED:
        alternatives = [row["resource"] for row in selectors.match_need(request.user, pair.need, k=6) if row["resource"].pk != pair.resource_id]
    return {"pair": pair, "lines": matching.explanation_lines(pair.explanation), "error": error, "alternatives": alternatives,
            "can_decide": has_perm(request.user, P.RUN_MATCHING, pair.need.community)}


@login_required
def session_detail(request, pk):
    s = _get(selectors.get_session, request, pk)
    pairs = list(selectors.session_pairs(request.user, s))
    rows = [_pair_ctx(request, p) for p in pairs]
    return render(request, "lists/session.html", {"nav_active": "lists", "s": s, "rows": rows})


@login_required
@require_POST
def pair_act(request, pk, action):
    pair = Pair.objects.filter(pk=pk).select_related("session", "need", "need__community", "resource", "resource__unit").first()
    if pair is None:
        raise Http404
    _get(selectors.get_session, request, pair.session_id)
    error = ""
    try:
        if action == "accept":
            services.accept_pair(by=request.user, pair=pair, into=request.POST.get("into", "project"), reason=request.POST.get("reason", ""))
        elif action == "reject":
            services.reject_pair(by=request.user, pair=pair, reason=request.POST.get("reason", ""))
        elif action == "change":
            resource = Resource.objects.filter(pk=request.POST.get("resource") or 0).first()
            if resource is None:
                raise DomainError("请选择资源", field="resource")
            services.change_pair(by=request.user, pair=pair, resource=resource, reason=request.POST.get("reason", ""))
        else:
            raise Http404
    except DomainError as exc:
        error = exc.message
    pair.refresh_from_db()
    ctx = _pair_ctx(request, pair, error)
    if request.headers.get("HX-Request"):
        return render(request, "lists/_pair.html", ctx, status=400 if error else 200)
    if error:
        messages.error(request, error)
    return redirect("lists:session", pk=pair.session_id)


# --- campaigns -----------------------------------------------------------------------------------

@login_required
def campaign_edit(request, pk=None):
    user = request.user
    campaign = _get(selectors.get_campaign, request, pk) if pk else None
    alliance = campaign.alliance if campaign else _alliance(request)
    if not has_perm(user, P.APPROVE_PROJECTS, alliance.core_organization):
        raise Http404
    initial = {k: getattr(campaign, k) for k in ("name", "description", "starts_on", "ends_on")} if campaign else {}
    form = forms.CampaignForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        saved = _form_post(request, form, lambda d: services.save_campaign(by=user, alliance=alliance, campaign=campaign, **d))
        if saved is not None:
            return redirect("lists:campaign", pk=saved.pk)
        status = 400
    return render(request, "lists/form.html", {"nav_active": "lists", "form": form, "object": campaign, "kind": "campaign",
                                               "title": _("Edit campaign") if campaign else _("New campaign")}, status=status)


@login_required
def campaign_detail(request, pk):
    c: Campaign = _get(selectors.get_campaign, request, pk)
    user = request.user
    figures = selectors.campaign_figures(c)
    chart = {"tooltip": {}, "grid": {"left": 40, "right": 10, "top": 20, "bottom": 30},
             "xAxis": {"type": "category", "data": [r["label"] for r in figures["projects_by_status"]]},
             "yAxis": {"type": "value", "minInterval": 1},
             "series": [{"type": "bar", "data": [r["count"] for r in figures["projects_by_status"]], "itemStyle": {"color": "#b5121b"}}]}
    cards = [(_("Projects"), figures["projects"]), (_("Completed"), figures["projects_done"]), (_("Brand projects"), figures["brand_projects"]),
             (_("Beneficiaries"), figures["beneficiaries"]), (_("Needs"), figures["needs"]), (_("Needs met"), figures["needs_met"]),
             (_("Resources"), figures["resources"]), (_("Units taking part"), figures["units"])]
    return render(request, "lists/campaign.html", {
        "nav_active": "lists", "c": c, "f": figures, "chart": chart, "figure_cards": cards, "timeline": selectors.timeline(c),
        "projects": selectors.projects(user, campaign=c)[:50], "needs": selectors.needs(user, campaign=c)[:50],
        "resources": selectors.resources(user, campaign=c)[:50],
        "can_edit": has_perm(user, P.APPROVE_PROJECTS, c.alliance.core_organization)})
