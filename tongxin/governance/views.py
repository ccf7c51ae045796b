"""Agreement pages. Thin: parse input, call a selector or a service, render; refusals go on the form.

Files (signed scans, fulfilment attachments and photos) are served here, after the same scope
check as the agreement page, never from a public URL.
"""

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm, roles_of, scope_q
from tongxin.core.errors import DomainError, NotFound, PermissionDenied
from tongxin.orgs.models import Alliance, CoBuildingArea, Organization, OrgKind

from . import selectors, services, workflow
from .forms import AgreementForm, AreaForm, FulfilmentForm, ObligationForm, PartyForm, SegmentForm, TerminateForm
from .models import AgreementKind, AgreementStatus, Fulfilment, FulfilmentPhoto, ObligationDue

PER_PAGE = 20
MINE_DAYS = 45  # "my obligations": what is overdue, and the next date of each duty within this many days
KEEPER_KINDS = (OrgKind.STREET_COMMITTEE, OrgKind.COMMUNITY_COMMITTEE, OrgKind.JOINT_COMMITTEE)
STATUS_BADGE = {"draft": "text-bg-secondary", "in_force": "text-bg-success", "expired": "text-bg-warning", "terminated": "text-bg-dark"}


# --- helpers -----------------------------------------------------------------------------------

def alliance_of(user) -> Alliance | None:
    """The alliance the user works in: through the organisations where they hold a role."""
    from tongxin.orders.services import alliance_for

    if user.is_superuser:
        return Alliance.objects.order_by("id").first()
    for ra in roles_of(user):
        a = alliance_for(ra.organization)
        if a is not None:
            return a
    return None


def _need_alliance(request) -> Alliance:
    alliance = alliance_of(request.user)
    if alliance is None:
        raise Http404(_("You do not work in an alliance."))
    return alliance


def _agreement(request, pk):
    try:
        return selectors.get_agreement(request.user, pk)
    except NotFound:
        raise Http404 from None


def _keepers(user, alliance):
    core = alliance.core_organization
    return Organization.objects.filter(scope_q(user, P.MANAGE_AGREEMENTS), path__startswith=core.path, kind__in=KEEPER_KINDS,
                                       archived_at__isnull=True).order_by("path")


def _members(alliance):
    ids = [o.pk for o in services.alliance_members(alliance)]
    return Organization.objects.filter(pk__in=ids).order_by("path")


def _areas(alliance):
    from tongxin.orgs.services import ensure_cobuilding_areas

    ensure_cobuilding_areas(alliance)
    return CoBuildingArea.objects.filter(alliance=alliance, active=True)


def _int(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _serve(field, name: str, content_type: str, *, inline: bool = True):
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    ctype = content_type or mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    resp = FileResponse(handle, content_type=ctype, as_attachment=not inline, filename=name or field.name.rsplit("/", 1)[-1])
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, max-age=300"
    return resp


def status_of(agreement):
    return workflow.effective_status(agreement, timezone.localdate())


# --- agreements --------------------------------------------------------------------------------

@login_required
def index(request):
    user = request.user
    if not has_perm(user, P.VIEW_AGREEMENTS):
        raise Http404
    alliance = alliance_of(user)
    g = request.GET
    expiring = _int(g.get("expiring"))
    party = Organization.objects.filter(pk=_int(g.get("party"))).first() if _int(g.get("party")) else None
    qs = selectors.search_agreements(user, kind=g.get("kind", "") if g.get("kind") in AgreementKind.values else "",
                                     status=g.get("status", "") if g.get("status") in AgreementStatus.values else "",
                                     party=party, expiring_days=expiring, q=(g.get("q") or "").strip()[:50])
    page = Paginator(qs.prefetch_related("parties__organization"), PER_PAGE).get_page(g.get("page"))
    today = timezone.localdate()
    rows = [{"agreement": a, "status": workflow.effective_status(a, today), "days_left": (a.ends_on - today).days} for a in page]
    params = g.copy()
    params.pop("page", None)
    ctx = {
        "nav_active": "agreements", "page": page, "rows": rows, "kinds": AgreementKind.choices, "statuses": AgreementStatus.choices,
        "parties": _members(alliance) if alliance else [], "f": g, "querystring": params.urlencode(), "list_url": reverse("governance:index"),
        "can_create": has_perm(user, P.MANAGE_AGREEMENTS), "badge": STATUS_BADGE,
        "can_record": has_perm(user, P.RECORD_FULFILMENT),
        "overdue": selectors.overdue_count(user),
    }
    if request.htmx:
        return render(request, "governance/_results.html", ctx)
    return render(request, "governance/list.html", ctx)


@login_required
def create(request):
    user = request.user
    alliance = _need_alliance(request)
    if not has_perm(user, P.MANAGE_AGREEMENTS):
        raise Http404
    kw = {"keepers": _keepers(user, alliance), "members": _members(alliance)}
    form = AgreementForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind", "cobuilding")}, **kw)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            ag = services.create_agreement(by=user, alliance=alliance, kind=d["kind"], title=d["title"], number=d["number"],
                                           organization=d["organization"], parties=list(d["parties"]), starts_on=d["starts_on"],
                                           ends_on=d["ends_on"], signed_on=d["signed_on"], summary=d["summary"], scan=d.get("scan"),
                                           reason=d["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Agreement saved as a draft. Add its obligations, then put it in force."))
            return redirect("governance:detail", ag.pk)
    return render(request, "governance/form.html", {"nav_active": "agreements", "form": form, "agreement": None},
                  status=400 if form.errors else 200)


@login_required
def edit(request, pk):
    ag = _agreement(request, pk)
    form = AgreementForm(request.POST or None, editing=True, initial={
        "title": ag.title, "number": ag.number, "starts_on": ag.starts_on, "ends_on": ag.ends_on, "signed_on": ag.signed_on,
        "summary": ag.summary})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        reason = d.pop("reason", "")
        try:
            services.update_agreement(agreement=ag, by=request.user, reason=reason, **d)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("governance:detail", ag.pk)
    return render(request, "governance/form.html", {"nav_active": "agreements", "form": form, "agreement": ag},
                  status=400 if form.errors else 200)


def _detail_ctx(request, ag, **extra):
    user = request.user
    can_manage = has_perm(user, P.MANAGE_AGREEMENTS, ag.organization)
    status = status_of(ag)
    obligations = selectors.obligations(ag)
    for row in obligations:
        row["can_record"] = status in (AgreementStatus.IN_FORCE, AgreementStatus.EXPIRED) and bool(row["open_dues"]) and \
            services.can_record(user, row["obligation"])
    ctx = {
        "nav_active": "agreements", "ag": ag, "status": status, "badge": STATUS_BADGE, "parties": selectors.parties(ag),
        "obligations": obligations, "timeline": selectors.timeline(ag), "can_manage": can_manage,
        "is_draft": ag.status == AgreementStatus.DRAFT, "can_add_obligation": can_manage and ag.status in ("draft", "in_force")
        and status != "expired",
        "can_terminate": can_manage and ag.status in ("draft", "in_force"),
        "party_form": PartyForm(members=_members(ag.alliance)) if can_manage and ag.status == "draft" else None,
        "terminate_form": TerminateForm(), "segments": ag.road_segments.filter(active=True).select_related("unit"),
        "days_left": (ag.ends_on - timezone.localdate()).days,
    }
    ctx.update(extra)
    return ctx


@login_required
def detail(request, pk):
    ag = _agreement(request, pk)
    return render(request, "governance/detail.html", _detail_ctx(request, ag))


def _act(request, pk, fn, ok_message, **extra_ctx):
    ag = _agreement(request, pk)
    try:
        fn(ag)
    except DomainError as exc:
        return render(request, "governance/detail.html", _detail_ctx(request, ag, error=exc.message, **extra_ctx), status=exc.status_code)
    messages.success(request, ok_message)
    return redirect("governance:detail", ag.pk)


@login_required
@require_POST
def activate(request, pk):
    return _act(request, pk, lambda ag: services.activate(agreement=ag, by=request.user), _("The agreement is in force."))


@login_required
@require_POST
def terminate(request, pk):
    form = TerminateForm(request.POST)
    form.is_valid()
    d = form.cleaned_data

    def fn(ag):
        services.terminate(agreement=ag, by=request.user, reason=request.POST.get("reason", ""), on=d.get("terminated_on"))
    return _act(request, pk, fn, _("The agreement is terminated."), terminate_form=form, open_terminate=True)


@login_required
@require_POST
def add_party(request, pk):
    org = Organization.objects.filter(pk=_int(request.POST.get("organization"))).first()

    def fn(ag):
        if org is None:
            raise DomainError("请选择要加入的组织", field="organization")
        services.add_party(agreement=ag, by=request.user, organization=org, role=request.POST.get("role", ""),
                           signatory=request.POST.get("signatory", ""))
    return _act(request, pk, fn, _("Party added."))


@login_required
@require_POST
def remove_party(request, pk, org_pk):
    org = Organization.objects.filter(pk=org_pk).first()

    def fn(ag):
        if org is None:
            raise DomainError("组织不存在", field="organization")
        services.remove_party(agreement=ag, by=request.user, organization=org)
    return _act(request, pk, fn, _("Party removed."))


@login_required
def scan(request, pk):
    ag = _agreement(request, pk)
    if request.method == "POST":
        return _act(request, pk, lambda a: services.attach_scan(agreement=a, by=request.user, upload=request.FILES.get("scan")),
                    _("Scan uploaded."))
    return _serve(ag.scan, ag.scan_name, ag.scan_type, inline=request.GET.get("download") != "1")


# --- obligations and fulfilment ----------------------------------------------------------------

@login_required
def obligation_new(request, pk):
    ag = _agreement(request, pk)
    debtors = Organization.objects.filter(agreement_parties__agreement=ag).order_by("agreement_parties__sort")
    form = ObligationForm(request.POST or None, debtors=debtors, areas=_areas(ag.alliance),
                          initial={"recurrence": "once", "debtor": request.GET.get("debtor")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.add_obligation(agreement=ag, by=request.user, title=d["title"], debtor=d["debtor"], area=d["area"],
                                    recurrence=d["recurrence"], due_on=d["due_on"], description=d["description"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Obligation added."))
            return redirect(reverse("governance:detail", args=[ag.pk]) + "#obligations")
    return render(request, "governance/obligation_form.html", {"nav_active": "agreements", "form": form, "ag": ag},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def obligation_remove(request, pk):
    try:
        ob = selectors.get_obligation(request.user, pk)
    except NotFound:
        raise Http404 from None
    return _act(request, ob.agreement_id, lambda ag: services.remove_obligation(obligation=ob, by=request.user), _("Obligation removed."))


@login_required
def fulfil(request, pk):
    try:
        ob = selectors.get_obligation(request.user, pk)
    except NotFound:
        raise Http404 from None
    dues = ObligationDue.objects.filter(obligation=ob, fulfilment__isnull=True).order_by("due_on")
    wanted = _int(request.GET.get("due"))
    first = next((d for d in dues if d.pk == wanted), None) or dues.first()
    form = FulfilmentForm(request.POST or None, request.FILES or None, dues=dues,
                          initial={"due": first.pk if first else None, "done_on": timezone.localdate()})
    error = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_fulfilment(obligation=ob, by=request.user, note=d["note"], done_on=d["done_on"], due=d["due"],
                                       photos=request.FILES.getlist("photos"), attachment=d.get("attachment"))
        except DomainError as exc:
            form.add_domain_error(exc)
            if exc.field not in form.fields:
                error = exc.message
        else:
            messages.success(request, _("Fulfilment recorded."))
            if request.POST.get("next") == "mine":
                return redirect("governance:mine")
            return redirect(reverse("governance:detail", args=[ob.agreement_id]) + f"#obligation-{ob.pk}")
    ctx = {"nav_active": "agreements", "form": form, "ob": ob, "ag": ob.agreement, "error": error, "no_dues": first is None,
           "next": request.GET.get("next") or request.POST.get("next", "")}
    return render(request, "governance/fulfil.html", ctx, status=400 if form.errors or error else 200)


def _fulfilment(request, pk) -> Fulfilment:
    f = Fulfilment.objects.select_related("obligation").filter(pk=pk).first()
    if f is None or not selectors.visible_agreements(request.user).filter(pk=f.obligation.agreement_id).exists():
        raise Http404
    return f


@login_required
def fulfilment_file(request, pk):
    f = _fulfilment(request, pk)
    return _serve(f.attachment, f.attachment_name, f.attachment_type)


@login_required
def fulfilment_photo(request, pk):
    photo = FulfilmentPhoto.objects.filter(pk=pk).first()
    if photo is None:
        raise Http404
    _fulfilment(request, photo.fulfilment_id)
    return _serve(photo.image, "", "image/jpeg")


@login_required
def mine(request):
    user = request.user
    if not has_perm(user, P.RECORD_FULFILMENT):
        raise Http404
    rows = selectors.my_obligations(user, within_days=MINE_DAYS)
    done = [r for r in selectors.my_obligations(user, include_done=True) if r["due"].fulfilment_id][-10:]
    return render(request, "governance/mine.html", {"nav_active": "agreements", "rows": rows, "done": list(reversed(done)),
                                                   "days": MINE_DAYS})


# --- co-building areas -------------------------------------------------------------------------

@login_required
def areas(request):
    alliance = _need_alliance(request)
    can_add = has_perm(request.user, P.MANAGE_ALLIANCE, alliance.core_organization)
    form = AreaForm(request.POST or None)
    if request.method == "POST":
        if not can_add:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.add_area(alliance=alliance, by=request.user, name=d["name"], code=d["code"], reason=d["reason"])
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("Co-building area added."))
                return redirect("governance:areas")
    from django.db.models import Count

    from .models import Obligation

    rows = list(_areas(alliance))
    counts = dict(Obligation.objects.filter(area__in=rows).values_list("area").annotate(n=Count("id")).values_list("area", "n"))
    return render(request, "governance/areas.html", {"nav_active": "agreements", "areas": [(a, counts.get(a.pk, 0)) for a in rows],
                                                    "form": form, "can_add": can_add, "alliance": alliance},
                  status=400 if form.errors else 200)


# --- road segments (门前三包) --------------------------------------------------------------------

def _segment_units(user, alliance):
    return Organization.objects.filter(pk__in=[o.pk for o in services.alliance_members(alliance)]).filter(
        scope_q(user, P.MANAGE_AGREEMENTS) | scope_q(user, P.RECORD_FULFILMENT)).order_by("path")


def _map_config(**extra) -> dict:
    cfg = {"geojson": reverse("governance:segments_geojson"), "tileUrl": settings.MAP_TILE_URL,
           "attribution": settings.MAP_TILE_ATTRIBUTION, "grids": reverse("grids:geojson") + "?level=2",
           "text": {"unit": _("Adopting unit"), "length": _("Length"), "empty": _("No adopted segment is visible to you yet."),
                    "failed": _("The map could not be loaded."), "points": _("points"), "metres": _("m")}}
    cfg.update(extra)
    return cfg


@login_required
def segments(request):
    user = request.user
    if not (has_perm(user, P.VIEW_AGREEMENTS) or has_perm(user, P.VIEW_GRIDS)):
        raise Http404
    alliance = alliance_of(user)
    segs = list(selectors.visible_segments(user).order_by("unit__path", "name"))
    can_add = alliance is not None and _segment_units(user, alliance).exists()
    return render(request, "governance/segments.html", {"nav_active": "agreements", "segments": segs, "can_add": can_add,
                                                       "map_config": _map_config(mode="view")})


@login_required
def segments_geojson(request):
    return JsonResponse(selectors.segment_features(selectors.visible_segments(request.user)))


@login_required
def segment_new(request):
    user = request.user
    alliance = _need_alliance(request)
    units = _segment_units(user, alliance)
    if not units.exists():
        raise Http404
    only = units.first() if units.count() == 1 else None
    form = SegmentForm(request.POST or None, request.FILES or None, units=units,
                       initial={"buffer_m": 30, "unit": request.GET.get("unit") or (only.pk if only else None)})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            upload = d.get("geometry_file")
            if upload:
                made = services.import_segments(by=user, alliance=alliance, unit=d["unit"], data=upload, buffer_m=d["buffer_m"],
                                                name_prefix=d["name"])
            elif not (d["geometry"] or "").strip():
                raise DomainError("请在地图上画出路段（点击地图添加点），或导入 GeoJSON 文件", field="geometry")
            else:
                made = [services.create_segment(by=user, alliance=alliance, unit=d["unit"], name=d["name"], geometry=d["geometry"],
                                                buffer_m=d["buffer_m"])]
        except DomainError as exc:
            form.add_domain_error(exc, aliases={"geometry": "geometry_file" if d.get("geometry_file") else "geometry"})
        else:
            messages.success(request, _("%(n)d segment(s) adopted.") % {"n": len(made)})
            return redirect("governance:segments")
    return render(request, "governance/segment_form.html", {"nav_active": "agreements", "form": form,
                                                           "map_config": _map_config(mode="draw")},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def segment_release(request, pk):
    try:
        seg = selectors.get_segment(request.user, pk)
        services.release_segment(segment=seg, by=request.user, reason=request.POST.get("reason", ""))
    except NotFound:
        raise Http404 from None
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Segment released."))
    return redirect("governance:segments")
