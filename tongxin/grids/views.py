"""Grid pages. Thin: parse input, call a selector or a service, render; refusals go on the form."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tongxin.core.errors import DomainError, NotFound
from tongxin.people.selectors import visible_person_ids

from . import selectors, services
from .forms import AssignForm, GridForm
from .models import GridLevel

PER_PAGE = 50
LEVEL_STYLE = {1: "#5f6b76", 2: "#1565c0", 3: "#2e7d32", 4: "#b71c1c"}


def _grid(request, pk):
    try:
        return selectors.get_grid(request.user, pk)
    except NotFound:
        raise Http404 from None


def _level(value) -> int | None:
    return int(value) if str(value or "").isdigit() and int(value) in GridLevel.values else None


def _map_config(request, *, focus=None, height="overview") -> dict:
    return {
        "geojson": reverse("grids:geojson") + (f"?within={focus.pk}" if focus else ""),
        "locate": reverse("grids:locate"),
        "detail": reverse("grids:detail", args=[0]),
        "tileUrl": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "focus": focus.pk if focus else None,
        "colors": LEVEL_STYLE,
        "levels": {int(v): str(label) for v, label in GridLevel.choices},
        "text": {
            "open": _("Open details"),
            "empty": _("No grid with a boundary is visible to you yet."),
            "failed": _("The grid map could not be loaded."),
            "locating": _("Finding the grid…"),
        },
    }


def _levels():
    return [(int(v), label, LEVEL_STYLE[int(v)]) for v, label in GridLevel.choices]


@login_required
def grid_map(request):
    user = request.user
    ctx = {
        "nav_active": "grids",
        "map_config": _map_config(request),
        "levels": _levels(),
        "has_tiles": bool(settings.MAP_TILE_URL),
        "count": selectors.visible_grids(user).count(),
        "with_geometry": selectors.visible_grids(user).filter(geometry__isnull=False).count(),
        "can_create": selectors.can_create(user),
    }
    return render(request, "grids/map.html", ctx)


@login_required
def grid_list(request):
    user = request.user
    q = request.GET.get("q", "").strip()
    level = _level(request.GET.get("level"))
    qs = selectors.with_counts(selectors.search_grids(user, q=q, level=level))
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    ctx = {"nav_active": "grids", "page": page, "q": q, "level": level, "levels": _levels(), "querystring": params.urlencode()}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "grids/_results.html", ctx)
    ctx["can_create"] = selectors.can_create(user)
    return render(request, "grids/list.html", ctx)


@login_required
@require_GET
def grid_geojson(request):
    within = None
    if str(request.GET.get("within", "")).isdigit():
        within = _grid(request, int(request.GET["within"]))
    data = selectors.visible_feature_collection(request.user, level=_level(request.GET.get("level")), within=within)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@login_required
@require_GET
def grid_locate(request):
    """The deepest visible grid holding ?lng=&lat=, as JSON, or as a fragment for htmx / ?format=html."""
    as_html = bool(request.htmx) or request.GET.get("format") == "html"
    try:
        lng, lat = selectors.parse_point(request.GET.get("lng"), request.GET.get("lat"))
    except DomainError as exc:
        if as_html:
            return render(request, "grids/_locate.html", {"error": exc.message}, status=200 if request.htmx else 400)
        return JsonResponse({"detail": exc.message, "field": exc.field, "code": exc.code}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    grid, chain = selectors.locate_for(request.user, lng, lat)
    if as_html:
        return render(request, "grids/_locate.html", {"grid": grid, "chain": chain, "lng": lng, "lat": lat})
    return JsonResponse({
        "lng": lng, "lat": lat,
        "grid": _chain_item(chain[-1]) if grid else None,
        "chain": [_chain_item(c) for c in chain],
    }, json_dumps_params={"ensure_ascii": False})


def _chain_item(c: dict) -> dict:
    return {k: c[k] for k in ("id", "name", "code", "level", "level_label", "visible")}


def _detail_context(request, grid, **extra):
    user = request.user
    can_manage = selectors.can_manage(user, grid)
    ctx = {
        "nav_active": "grids",
        "grid": grid,
        "chain": selectors.chain_info(user, grid),
        "children": selectors.children(user, grid),
        "assignments": (assignments := list(selectors.assignments(grid))),
        "ended": selectors.assignments(grid, include_ended=True).filter(until__isnull=False)[:20],
        # Names are public duty information; the person page is linked only where the viewer may open it.
        "linkable_people": visible_person_ids(user, [r.person_id for r in assignments]),
        "can_manage": can_manage,
        "can_assign": can_manage and grid.level >= GridLevel.GRID,
        "map_config": _map_config(request, focus=grid),
        "levels": _levels(),
    }
    if ctx["can_assign"]:
        ctx.setdefault("assign_form", AssignForm(user=user, grid=grid))
    ctx.update(extra)
    return ctx


@login_required
def grid_detail(request, pk):
    grid = _grid(request, pk)
    return render(request, "grids/detail.html", _detail_context(request, grid))


@login_required
def grid_create(request):
    user = request.user
    if not selectors.can_create(user):
        raise DjangoPermissionDenied(_("Your role cannot create grids."))
    initial = {"level": GridLevel.GRID}
    if str(request.GET.get("parent", "")).isdigit():
        parent = selectors.visible_grids(user).filter(pk=int(request.GET["parent"])).first()
        if parent is not None:
            initial = {"parent": parent.pk, "level": min(parent.level + 1, GridLevel.MICRO), "organization": parent.organization_id}
    form = GridForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            grid = services.create_grid(by=user, **form.service_data())
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Grid %(name)s was created.") % {"name": grid.name})
            return redirect("grids:detail", pk=grid.pk)
    return render(request, "grids/form.html", {"nav_active": "grids", "form": form, "grid": None},
                  status=400 if form.errors else 200)


@login_required
def grid_edit(request, pk):
    grid = _grid(request, pk)
    if not selectors.can_manage(request.user, grid):
        raise DjangoPermissionDenied(_("You may view this grid but not change it."))
    form = GridForm(request.POST or None, request.FILES or None, user=request.user, grid=grid)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if data["geometry"] is None and not request.POST.get("clear_geometry"):
            data.pop("geometry")  # an emptied box keeps the boundary unless removal is asked for
        try:
            services.update_grid(grid=grid, by=request.user, **data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("grids:detail", pk=grid.pk)
    return render(request, "grids/form.html", {"nav_active": "grids", "form": form, "grid": grid},
                  status=400 if form.errors else 200)


@login_required
@require_GET
def people_options(request, pk):
    """<option>s of the people who may be assigned here, matching ?q= (htmx search in the picker)."""
    grid = _grid(request, pk)
    if not selectors.can_manage(request.user, grid):
        raise DjangoPermissionDenied
    people = selectors.people_for_assignment(request.user, grid, q=request.GET.get("q", ""), limit=100)
    return render(request, "grids/_person_options.html", {"people": people})


def _assignments_response(request, grid, *, form=None, notice=None, error=None, status=200):
    if request.htmx:
        ctx = _detail_context(request, grid, assign_notice=notice, assign_error=error)
        if form is not None:
            ctx["assign_form"] = form
            ctx["open_assign"] = True
        return render(request, "grids/_assignments.html", ctx, status=status)
    if notice:
        messages.success(request, notice)
    if error:
        messages.error(request, error)
    if form is not None:
        return render(request, "grids/detail.html", _detail_context(request, grid, assign_form=form, open_assign=True), status=status)
    return redirect(reverse("grids:detail", args=[grid.pk]) + "#assignments")


@login_required
@require_POST
def assignment_add(request, pk):
    grid = _grid(request, pk)
    if not selectors.can_manage(request.user, grid):
        raise DjangoPermissionDenied
    form = AssignForm(request.POST, user=request.user, grid=grid)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            role = services.assign_person(grid=grid, person=cd["person"], tag=cd["tag"], by=request.user,
                                          since=cd.get("since"), reason=cd.get("reason") or "")
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _assignments_response(request, grid, notice=_("%(name)s is now %(role)s here.") % {
                "name": role.person.name, "role": role.get_tag_display()})
    # htmx swaps only 2xx answers by default, so the form with its errors comes back as 200 there.
    return _assignments_response(request, grid, form=form, status=200 if request.htmx else 400)


@login_required
@require_POST
def assignment_end(request, pk, role_pk):
    grid = _grid(request, pk)
    if not selectors.can_manage(request.user, grid):
        raise DjangoPermissionDenied
    try:
        role = selectors.get_assignment(grid, role_pk)
    except NotFound:
        raise Http404 from None
    try:
        services.end_assignment(grid=grid, role=role, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _assignments_response(request, grid, error=exc.message)
    return _assignments_response(request, grid, notice=_("Assignment ended: %(name)s, %(role)s") % {
        "name": role.person.name, "role": role.get_tag_display()})
