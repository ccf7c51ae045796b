"""Pages of the service loop. Thin: parse input, call a selector or a service, render.

Public (no login): the submit form, the tracking page (with the rating form when the visitor
holds the request's key), the results wall and the micro-wish wall.
"""

import re
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import DomainError, NotFound
from tongxin.orgs.models import Organization

from . import selectors, services, workflow
from .api import allowed_for
from .models import Category, Channel, Kind, ServiceRequest, Status

PER_PAGE = 20  # phone-first: a screenful or two; also keeps the inbox page fast with a million requests
SEARCH_COUNT_CAP = 600


class CappedPaginator(Paginator):
    """Counts at most SEARCH_COUNT_CAP rows: counting a whole history (a million requests) took
    longer than finding the first page, and nobody pages through more than 30 pages of an inbox,
    they filter or search. The pager shows "30+". The count ignores the order, so the database
    may count the first matches it finds in any order (a common search word: 40 → 6 ms)."""

    @cached_property
    def count(self):
        return self.object_list.order_by().values("pk")[:SEARCH_COUNT_CAP].count()

    @property
    def capped(self) -> bool:
        return self.count >= SEARCH_COUNT_CAP


class LookaheadPaginator(Paginator):
    """For word searches: no count at all. A page reads one row more than it shows, and that row
    says whether there is a next page; the pager shows "2 / 3+". Counting the matches of a common
    word cost more than finding its first page, and a searcher looks at the first pages only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seen, self._more = 0, False

    @property
    def count(self):
        return self._seen

    @property
    def capped(self) -> bool:
        return self._more

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom:bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(_("That page contains no results"))
        self._seen, self._more = bottom + len(rows), len(rows) > self.per_page
        return self._get_page(rows[:self.per_page], number, self)

    def get_page(self, number):
        try:
            return self.page(number)
        except (PageNotAnInteger, EmptyPage):
            return self.page(1)


def _paginator(qs, *, search: bool):
    return (LookaheadPaginator if search else CappedPaginator)(qs, PER_PAGE)


def _int(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _org(pk):
    return Organization.objects.filter(pk=pk, archived_at__isnull=True).first() if pk else None


def _request(request, pk) -> ServiceRequest:
    try:
        return selectors.get_request(request.user, pk)
    except NotFound:
        raise Http404 from None


def index(request):
    user = request.user
    if user.is_authenticated and has_perm(user, P.DISPATCH_ORDERS):
        return redirect("orders:inbox")
    if user.is_authenticated and has_perm(user, P.HANDLE_ORDERS):
        return redirect("orders:unit_inbox")
    return redirect("orders:new")


# --- intake ------------------------------------------------------------------------------------

def submit(request):
    user = request.user
    kind = request.POST.get("kind") or request.GET.get("kind") or Kind.SERVICE
    kind = kind if kind in Kind.values else Kind.SERVICE
    staff = user.is_authenticated and has_perm(user, P.ENTER_ORDERS)
    if kind in (Kind.GRID_REPORT, Kind.PRACTICAL) and not staff:
        kind = Kind.SERVICE  # staff kinds: a resident gets the request form, not a form that is refused on submit
    person = getattr(user, "person", None) if user.is_authenticated else None
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST.dict()
        channel = values.get("channel") or (Channel.PATROL if kind == Kind.GRID_REPORT else Channel.PHONE)
        if not staff:
            channel = Channel.WEB
        try:
            req = services.submit_request(
                by=user, kind=kind, text=values.get("text", ""), title=values.get("title", ""),
                community=_org(_int(values.get("community"))),
                category=Category.objects.filter(pk=_int(values.get("category"))).first() if _int(values.get("category")) else None,
                lng=values.get("lng") or None, lat=values.get("lat") or None, address=values.get("address", ""),
                contact_name=values.get("contact_name", ""), contact_phone=values.get("contact_phone", ""),
                photos=request.FILES.getlist("photos"), idempotency_key=values.get("idempotency_key", ""), channel=channel,
            )
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            if req.entered_by_id:  # staff entered it for someone: on to the work page, not the resident's link
                messages.success(request, _("Entered as %(number)s. Tell the resident this number: it looks up the progress "
                                            "on the request page.") % {"number": req.tracking_number})
                return redirect("orders:detail", pk=req.pk)
            messages.success(request, _("Received. Your tracking number is %(number)s.") % {"number": req.tracking_number})
            url = reverse("orders:track", args=[req.tracking_number])
            return redirect(f"{url}?k={req.access_key}")
    communities = selectors.public_communities()
    alliance = services.alliance_for(person.community) if person and person.community_id else None
    ctx = {
        "nav_active": "orders", "kind": kind, "kinds": Kind.choices if staff else [(k, label) for k, label in Kind.choices if k in (Kind.SERVICE, Kind.WISH)],
        "staff": staff, "errors": errors, "values": values, "communities": communities,
        "categories": selectors.categories_for(alliance) if alliance else Category.objects.none(),
        "person": person, "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex,
        "channels": [(c, label) for c, label in Channel.choices if c in (Channel.PHONE, Channel.VISIT, Channel.PATROL, Channel.WEB)],
        "default_community": person.community_id if person else None,
        "map_center": selectors.map_center(person.community if person and person.community_id else communities.first()),
        "MAP_TILE_URL": getattr(settings, "MAP_TILE_URL", ""),
    }
    return render(request, "orders/submit.html", ctx, status=400 if errors else 200)


def place(request):
    """The grid and community at a point picked on the submit form's map (public: names only)."""
    try:
        return JsonResponse(selectors.place_at(request.GET.get("lng"), request.GET.get("lat")))
    except DomainError as exc:
        return JsonResponse({"detail": exc.message, "field": exc.field}, status=400)


def track(request, number):
    try:
        req = selectors.get_by_tracking(number)
    except NotFound:
        raise Http404 from None
    key = request.GET.get("k", "") or request.POST.get("k", "")
    is_resident = workflow.is_resident(request.user, req, key)
    ctx = {
        "req": req, "key": key if is_resident else "", "is_resident": is_resident,
        "timeline": selectors.timeline(req, public_only=True),
        "can_rate": is_resident and req.status == Status.DONE,
        "can_cancel": is_resident and "cancel" in allowed_for(req, request.user, key),
        "proof": selectors.photos(req, stages=["proof"]) if req.status in selectors.DONE_STATUSES else [],
        "can_view_detail": request.user.is_authenticated and selectors.visible_requests(request.user).filter(pk=req.pk).exists(),
        "stars": range(1, 6),
    }
    return render(request, "orders/track.html", ctx)


@login_required
def go(request, number):
    """The link of a notification written with its request, before the request had an id (the
    dispatchers' "new request"): that request's work page, if the user may see it."""
    try:
        return redirect("orders:detail", pk=selectors.visible_id_by_tracking(request.user, number))
    except NotFound:
        raise Http404 from None


def track_lookup(request):
    number = (request.GET.get("number") or "").strip().upper()
    if number:
        try:
            return redirect("orders:track", number=selectors.get_by_tracking(number).tracking_number)
        except NotFound as exc:
            messages.error(request, exc.message)  # back to the form, not to a bare 404, with the number to correct
            return redirect(reverse("orders:new") + "?" + urlencode({"number": number[:20]}))
    return redirect("orders:new")


@require_POST
def resident_action(request, number, action):
    """Rate, thank or cancel from the tracking page (the key in the link identifies the resident)."""
    try:
        req = selectors.get_by_tracking(number)
    except NotFound:
        raise Http404 from None
    key = request.POST.get("k", "")
    try:
        if action == "rate":
            services.rate(req=req, by=request.user, key=key, rating=request.POST.get("rating"), comment=request.POST.get("comment", ""))
            if req.status == Status.REOPENED:
                messages.success(request, _("Thank you. The request is reopened: the unit will handle it again."))
            elif req.kind != Kind.WISH and req.rating is not None and req.rating <= services.UNSATISFIED:
                messages.success(request, _("Thank you. Your rating has been passed on to the street for follow-up."))
            else:
                messages.success(request, _("Thank you for your rating."))
        elif action == "cancel":
            services.cancel(req=req, by=request.user, key=key, reason=request.POST.get("reason", ""))
            messages.success(request, _("The request was cancelled."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    url = reverse("orders:track", args=[req.tracking_number])
    return redirect(f"{url}?k={key}" if key else url)


@login_required
def mine(request):
    qs = selectors.my_requests(request.user)
    return render(request, "orders/mine.html", {"nav_active": "orders", "page": Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))})


# --- dispatcher and unit ------------------------------------------------------------------------

STATUS_FILTERS = {
    "": None, "all": [], "waiting": selectors.INBOX_STATUSES, "working": selectors.UNIT_STATUSES,
    "done": [Status.DONE], "rated": [Status.RATED], "published": [Status.PUBLISHED],
    "wishes": [Status.SUBMITTED, Status.OPEN], "closed": [Status.CANCELLED, Status.MERGED],
    "escalated": selectors.ESCALATED_STATUSES,
}


def _suggested_unit(req):
    pk = (req.suggestion or {}).get("unit_id")
    return Organization.objects.filter(pk=pk).first() if pk else None


@login_required
def inbox(request):
    user = request.user
    if not has_perm(user, P.DISPATCH_ORDERS):
        raise Http404
    status_key = request.GET.get("status", "")
    status_key = status_key if status_key in STATUS_FILTERS else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""
    category = Category.objects.filter(pk=_int(request.GET.get("category"))).first() if _int(request.GET.get("category")) else None
    q = request.GET.get("q", "").strip()
    qs = selectors.dispatcher_inbox(user, status=STATUS_FILTERS[status_key], kind=kind, category=category, q=q,
                                    escalated=status_key == "escalated")
    page = _paginator(qs, search=bool(q)).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    unit_ids = {(r.suggestion or {}).get("unit_id") for r in rows} - {None}
    suggested = Organization.objects.in_bulk(unit_ids) if unit_ids else {}
    for req in rows:
        req.suggested_unit = suggested.get((req.suggestion or {}).get("unit_id"))
    page.object_list = rows
    params = request.GET.copy()
    params.pop("page", None)
    ctx = {"nav_active": "orders", "page": page, "status_key": status_key, "kind": kind, "category": category, "q": q,
           "can_manage_categories": has_perm(user, P.MANAGE_CATEGORIES),
           "querystring": params.urlencode(), "kinds": Kind.choices,
           "categories": Category.objects.filter(active=True).order_by("alliance", "sort"),
           "status_filters": [("", _("Waiting for dispatch")), ("working", _("In hand")), ("done", _("Done, not rated")),
                              ("rated", _("Rated")), ("published", _("Published")), ("closed", _("Cancelled or merged")),
                              ("escalated", _("Escalated")),
                              ("all", _("All"))]}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "orders/_inbox_results.html", ctx)
    return render(request, "orders/inbox.html", ctx)


@login_required
def unit_inbox(request):
    user = request.user
    status_key = request.GET.get("status", "")
    status = {"": None, "done": selectors.DONE_STATUSES, "all": []}.get(status_key)
    q = request.GET.get("q", "").strip()
    page = _paginator(selectors.unit_inbox(user, status=status, q=q), search=bool(q)).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "orders/unit_inbox.html", {"nav_active": "orders", "page": page, "status_key": status_key, "q": q,
                                                      "querystring": params.urlencode()})


def _detail_context(request, req, **extra):
    user = request.user
    actions = allowed_for(req, user)
    units = []
    if "dispatch" in actions and req.alliance_id:
        from tongxin.orgs.models import AllianceMembership

        members = AllianceMembership.objects.filter(alliance_id=req.alliance_id, left_on__isnull=True).select_related("organization")
        units = [m.organization for m in members if m.organization.archived_at is None and m.organization.kind not in (
            "street_committee", "joint_committee")]
        units = sorted({u.pk: u for u in [req.community, *units]}.values(), key=lambda u: (u.pk != req.community_id, u.path))
    staff = selectors.works_on(user, req)
    ctx = {
        "nav_active": "orders", "req": req, "actions": actions, "timeline": selectors.timeline(req, public_only=not staff),
        "staff": staff,
        "photos": selectors.photos(req), "can_reveal": services.can_reveal(user, req),
        "suggested_unit": _suggested_unit(req), "units": units,
        "categories": selectors.categories_for(req.alliance) if req.alliance_id else [],
        "is_dispatcher": workflow.is_dispatcher(user, req), "stars": range(1, 6),
        "can_view_history": has_perm(user, P.VIEW_AUDIT, req.community),
    }
    ctx.update(extra)
    return ctx


@login_required
def detail(request, pk):
    req = _request(request, pk)
    return render(request, "orders/detail.html", _detail_context(request, req))


@login_required
@require_POST
def act(request, pk, action):
    user = request.user
    if action == "claim":
        req = ServiceRequest.objects.filter(pk=pk, kind=Kind.WISH).select_related("community", "assigned_unit").first()
        if req is None:
            raise Http404
    else:
        req = _request(request, pk)
    p = request.POST
    try:
        if action == "dispatch":
            services.dispatch(req=req, by=user, unit=_org(_int(p.get("unit"))),
                              category=Category.objects.filter(pk=_int(p.get("category"))).first() if _int(p.get("category")) else None,
                              note=p.get("note", ""), use_suggestion=p.get("use_suggestion") == "1")
        elif action == "inquire":
            services.inquire(req=req, by=user, note=p.get("note", ""))
        elif action == "post":
            services.post_wish(req=req, by=user, note=p.get("note", ""))
        elif action == "claim":
            unit = _org(_int(p.get("unit")))
            services.claim_wish(req=req, by=user, unit=unit, note=p.get("note", ""))
        elif action == "accept":
            services.accept(req=req, by=user, note=p.get("note", ""))
        elif action == "decline":
            services.decline(req=req, by=user, reason=p.get("reason", ""))
        elif action == "progress":
            services.update_progress(req=req, by=user, note=p.get("note", ""), photos=request.FILES.getlist("photos"))
        elif action == "complete":
            services.complete(req=req, by=user, result=p.get("result", ""), photos=request.FILES.getlist("photos"))
        elif action == "rate":
            services.rate(req=req, by=user, rating=p.get("rating"), comment=p.get("comment", ""))
        elif action == "publish":
            services.publish(req=req, by=user, public_text=p.get("public_text", ""))
        elif action == "cancel":
            services.cancel(req=req, by=user, reason=p.get("reason", ""))
        elif action == "merge":
            into = selectors.visible_requests(user).filter(tracking_number=(p.get("into") or "").strip().upper()).first()
            if into is None:
                raise DomainError("请填写要合并到的工单编号（须在您的权限范围内）", field="into")
            services.merge(req=req, into=into, by=user, note=p.get("note", ""))
        else:
            raise Http404
    except DomainError as exc:
        if request.htmx:
            return render(request, "orders/_row_error.html", {"req": req, "error": exc.message}, status=200)
        messages.error(request, exc.message)
    else:
        # A unit that declines (or merges away) may no longer see the request: go where the work is.
        visible = selectors.visible_requests(user).filter(pk=req.pk).exists()
        if request.htmx:
            req.refresh_from_db()
            return render(request, "orders/_row_done.html", {"req": req, "action": action, "visible": visible})
        messages.success(request, _("Saved: %(action)s.") % {"action": workflow.ACTION_LABELS.get(action, action)})
        if not visible:
            return redirect("orders:unit_inbox" if has_perm(user, P.HANDLE_ORDERS) else "home")
    if action == "claim":
        return redirect("orders:wishes")
    return redirect("orders:detail", pk=req.pk)


@login_required
@require_POST
def reveal(request, pk):
    req = _request(request, pk)
    try:
        phone = services.reveal_contact(req=req, by=request.user, purpose=request.POST.get("purpose", ""))
    except DomainError as exc:
        return HttpResponse(f'<span class="text-danger">{exc.message}</span>')
    return render(request, "orders/_revealed.html", {"phone": phone})


# --- public walls and figures --------------------------------------------------------------------

def wall(request):
    community = _org(_int(request.GET.get("community")))
    rows = selectors.wall(community=community, limit=30)
    from tongxin.lists.selectors import completed_projects  # completed co-building projects beside the requests

    return render(request, "orders/wall.html", {"nav_active": "wall", "rows": rows, "community": community,
                                                "communities": selectors.public_communities(),
                                                "projects": completed_projects(community=community, limit=6)})


def practical(request):
    """The public list of practical tasks for the masses: promised, by whom, by when, how far."""
    user = request.user
    community = _org(_int(request.GET.get("community")))
    state = request.GET.get("state", "open")
    state = state if state in selectors.PRACTICAL_STATES else "open"
    page = Paginator(selectors.practical_tasks(community=community, state=state), PER_PAGE).get_page(request.GET.get("page"))
    for t in page.object_list:
        t.public_title = services.redact(t.display_title if t.title else t.text, names=[t.contact_name], doors=False)
        t.public_result = services.redact(t.result_text, names=[t.contact_name], doors=False) if t.result_text else ""
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "orders/practical.html", {
        "nav_active": "practical", "page": page, "community": community, "communities": selectors.public_communities(),
        "state": state, "states": [("open", _("In hand")), ("done", _("Done"))], "querystring": params.urlencode(),
        "can_add": user.is_authenticated and has_perm(user, P.ENTER_ORDERS)})


def wishes(request):
    user = request.user
    community = _org(_int(request.GET.get("community")))
    rows = list(selectors.wish_wall(community=community))
    for r in rows:
        r.public_text_safe = services.redact(r.text, names=[r.contact_name])
    can_claim = user.is_authenticated and has_perm(user, P.CLAIM_WISHES)
    my_units = []
    if user.is_authenticated and has_perm(user, P.HANDLE_ORDERS):
        from tongxin.accounts.scope import roles_of

        my_units = [a.organization for a in roles_of(user) if a.role == "liaison"]
    return render(request, "orders/wishes.html", {"nav_active": "wishes", "rows": rows, "can_claim": can_claim,
                                                  "my_units": my_units, "community": community,
                                                  "communities": selectors.public_communities()})


@login_required
def figures(request):
    if not selectors.can_view_figures(request.user):
        raise Http404
    by = "community" if request.GET.get("by") == "community" else "unit"
    months = selectors.figure_months()
    month = (request.GET.get("month") or "").strip() or months[0]
    bad_month = ""
    try:
        since, until = selectors.figure_period(month=month)
    except DomainError:
        bad_month, month = month[:20], months[0]
        since, until = selectors.figure_period(month=month)
    if month not in months and month != selectors.FIGURE_LAST_MONTHS:
        months = sorted({*months, month}, reverse=True)  # an older month asked for by link stays selectable
    rows = selectors.figures(request.user, by=by, since=since, until=until)
    return render(request, "orders/figures.html", {"nav_active": "orders", "rows": rows, "by": by, "month": month,
                                                   "months": months, "last_months": selectors.FIGURE_LAST_MONTHS,
                                                   "bad_month": bad_month,
                                                   "can_manage_categories": has_perm(request.user, P.MANAGE_CATEGORIES),
                                                   "definitions": selectors.figure_definitions(by)})


# --- categories (alliance admin) -----------------------------------------------------------------

def _managed_alliances(user):
    from tongxin.orgs.models import Alliance

    return [a for a in Alliance.objects.select_related("core_organization").order_by("id")
            if has_perm(user, P.MANAGE_CATEGORIES, a.core_organization)]


def _category_units(alliance):
    from tongxin.orgs.models import AllianceMembership

    members = AllianceMembership.objects.filter(alliance=alliance, left_on__isnull=True).select_related("organization")
    return sorted((m.organization for m in members if services.takes_orders(m.organization, alliance)), key=lambda o: o.path)


@login_required
def categories(request):
    """Per-alliance categories with their keywords, time limits and default unit; only alliance admins."""
    alliances = _managed_alliances(request.user)
    if not alliances:
        raise Http404
    rows = Category.objects.filter(alliance__in=alliances).select_related("alliance", "default_unit").order_by("alliance", "-active", "sort", "id")
    return render(request, "orders/categories.html", {"nav_active": "orders", "rows": rows, "alliances": alliances})


def _category_data(post, alliance) -> dict:
    unit_pk = _int(post.get("default_unit"))
    unit = Organization.objects.filter(pk=unit_pk).first() if unit_pk else None
    if unit_pk and unit is None:
        raise DomainError("所选的默认承办单位不存在", field="default_unit")
    sort = _int(post.get("sort"))
    data = {
        "name": post.get("name", ""), "code": post.get("code", ""), "description": post.get("description", "").strip()[:200],
        "accept_hours": post.get("accept_hours", ""), "finish_days": post.get("finish_days", ""),
        "keywords": " ".join(re.split(r"[\s,，;；、]+", post.get("keywords", "")))[:2000].strip(), "default_unit": unit,
        "active": post.get("active") == "1",
    }
    if sort is not None:
        data["sort"] = min(sort, 32000)
    return data


@login_required
def category_edit(request, pk=None):
    user = request.user
    alliances = _managed_alliances(user)
    if not alliances:
        raise Http404
    category = None
    if pk is not None:
        category = Category.objects.filter(pk=pk, alliance__in=alliances).select_related("alliance", "default_unit").first()
        if category is None:
            raise Http404
        alliance = category.alliance
    else:
        alliance = next((a for a in alliances if a.pk == _int(request.POST.get("alliance") or request.GET.get("alliance"))), alliances[0])
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST.dict()
        try:
            saved = services.save_category(alliance=alliance, by=user, category=category,
                                           reason=values.get("reason", ""), **_category_data(request.POST, alliance))
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            messages.success(request, _("Category “%(name)s” saved.") % {"name": saved.name})
            return redirect("orders:categories")
    elif category is not None:
        values = {"name": category.name, "code": category.code, "description": category.description,
                  "accept_hours": category.accept_hours, "finish_days": category.finish_days, "keywords": category.keywords,
                  "default_unit": category.default_unit_id or "", "sort": category.sort, "active": "1" if category.active else ""}
    else:
        values = {"accept_hours": 24, "finish_days": 5, "active": "1", "sort": 100}
    values["default_unit"] = str(values.get("default_unit") or "")
    ctx = {"nav_active": "orders", "category": category, "alliance": alliance, "alliances": alliances,
           "units": _category_units(alliance), "values": values, "errors": errors}
    return render(request, "orders/category_form.html", ctx, status=400 if errors else 200)


@login_required
@require_POST
def category_active(request, pk):
    """Deactivate (or activate again) in one click; a deactivated category is no longer offered or suggested."""
    category = Category.objects.filter(pk=pk, alliance__in=_managed_alliances(request.user)).first()
    if category is None:
        raise Http404
    active = request.POST.get("active") == "1"
    try:
        services.save_category(alliance=category.alliance, by=request.user, category=category, active=active,
                               reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        msg = _("Category “%(name)s” is active again.") if active else _("Category “%(name)s” deactivated.")
        messages.success(request, msg % {"name": category.name})
    return redirect("orders:categories")
