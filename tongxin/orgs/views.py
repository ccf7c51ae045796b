"""Organisation and alliance pages. Thin: parse input, call a selector or a service, render;
service refusals land on the form, in Chinese."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Min
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tongxin.accounts import permissions as P
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import DomainError, NotFound
from tongxin.people.selectors import visible_person_ids

from . import selectors, services
from .forms import (
    AllianceForm,
    DepartmentForm,
    DutyChairForm,
    MemberAddForm,
    MembershipEndForm,
    MembershipForm,
    MoveForm,
    OrganizationForm,
    ReasonForm,
)
from .models import OrgKind

PER_PAGE = 50


# --- helpers ------------------------------------------------------------------------------


def _org(request, pk):
    try:
        return selectors.get_organization(request.user, pk)
    except NotFound:
        raise Http404 from None


def _alliance(request, pk):
    try:
        return selectors.get_alliance(request.user, pk)
    except NotFound:
        raise Http404 from None


def _ensure_manage(request, org):
    if not selectors.can_manage(request.user, org):
        raise DjangoPermissionDenied(_("You may view this organisation but not change it."))


def _ensure_manage_alliance(request, alliance):
    if not selectors.can_manage_alliance(request.user, alliance):
        raise DjangoPermissionDenied(_("You may view this alliance but not change it."))


def _is_partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request and not request.htmx.boosted


def _form_page(request, *, form, title, action, cancel, submit, nav="orgs", intro="", danger=False, obj=None):
    """A form as a full page, or (for htmx) just its card so it can open inline on a detail page."""
    ctx = {"nav_active": nav, "form": form, "title": title, "action": action, "cancel": cancel, "submit": submit,
           "intro": intro, "danger": danger, "object": obj}
    template = "orgs/_form.html" if _is_partial(request) else "orgs/form.html"
    return render(request, template, ctx)


def _done(request, url: str, message: str):
    messages.success(request, message)
    if request.htmx:
        response = HttpResponse("")
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _truthy(value) -> bool:
    return value in ("1", "on", "true", "True")


# --- organisations --------------------------------------------------------------------------


@login_required
def org_list(request):
    user = request.user
    if not has_perm(user, P.VIEW_ORGS):
        raise DjangoPermissionDenied(_("Your role cannot view organisations."))
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in OrgKind.values else ""
    archived = _truthy(request.GET.get("archived"))
    qs = selectors.organization_list(user, q=q, kind=kind, include_archived=archived)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    base = selectors.visible_organizations(user, include_archived=True).aggregate(d=Min("depth"))["d"] or 0
    flat = bool(q or kind)
    for org in page.object_list:
        org.indent = 0 if flat else max(0, org.depth - base)
    params = request.GET.copy()
    params.pop("page", None)
    ctx = {
        "nav_active": "orgs", "page": page, "q": q, "kind": kind, "archived": archived, "flat": flat,
        "querystring": params.urlencode(), "kind_choices": OrgKind.choices,
    }
    if _is_partial(request):
        return render(request, "orgs/_org_results.html", ctx)
    ctx["can_create"] = selectors.parent_choices(user).exists()
    return render(request, "orgs/org_list.html", ctx)


@login_required
def org_detail(request, pk):
    user = request.user
    org = _org(request, pk)
    memberships = list(org.alliance_memberships.select_related("alliance").order_by("left_on", "-joined_on"))
    visible_alliances = set(selectors.visible_alliances(user).filter(pk__in=[m.alliance_id for m in memberships]).values_list("pk", flat=True))
    for m in memberships:
        m.visible = m.alliance_id in visible_alliances
    ctx = {
        "nav_active": "orgs",
        "org": org,
        "ancestors": selectors.visible_ancestors(user, org),
        "children": selectors.children(user, org, include_archived=True),
        "people_count": selectors.people_count(user, org),
        "can_view_people": has_perm(user, P.VIEW_PEOPLE, org),
        "grids": selectors.grids_of(user, org),
        "memberships": memberships,
        "can_manage": selectors.can_manage(user, org),
    }
    return render(request, "orgs/org_detail.html", ctx)


@login_required
def org_create(request):
    user = request.user
    parent = None
    if request.GET.get("parent", "").isdigit():
        parent = selectors.parent_choices(user).filter(pk=int(request.GET["parent"])).first()
    if not selectors.parent_choices(user).exists() and not user.is_superuser:
        raise DjangoPermissionDenied(_("Your role cannot create organisations."))
    form = OrganizationForm(request.POST or None, user=user, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.create_organization(by=user, parent=form.cleaned_data.get("parent"),
                                               reason=form.cleaned_data["reason"], **form.service_data())
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:detail", args=[org.pk]), _("%(name)s was created.") % {"name": org.name})
    cancel = reverse("orgs:detail", args=[parent.pk]) if parent else reverse("orgs:list")
    return _form_page(request, form=form, title=_("New organisation"), action=request.get_full_path(), cancel=cancel,
                      submit=_("Create"))


@login_required
def org_edit(request, pk):
    org = _org(request, pk)
    _ensure_manage(request, org)
    form = OrganizationForm(request.POST or None, user=request.user, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(org=org, by=request.user, reason=form.cleaned_data["reason"], **form.service_data())
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:detail", args=[org.pk]), _("Changes saved."))
    return _form_page(request, form=form, title=_("Edit %(name)s") % {"name": org.name}, action=request.path,
                      cancel=reverse("orgs:detail", args=[org.pk]), submit=_("Save"), obj=org)


@login_required
def org_move(request, pk):
    org = _org(request, pk)
    _ensure_manage(request, org)
    form = MoveForm(request.POST or None, user=request.user, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.move_organization(org=org, new_parent=form.cleaned_data["parent"], by=request.user,
                                       reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:detail", args=[org.pk]), _("%(name)s was moved.") % {"name": org.name})
    return _form_page(request, form=form, title=_("Move %(name)s") % {"name": org.name}, action=request.path,
                      cancel=reverse("orgs:detail", args=[org.pk]), submit=_("Move"), obj=org,
                      intro=_("Everything below this organisation moves with it. Its original party affiliation stays as it is."))


@login_required
def org_archive(request, pk):
    org = _org(request, pk)
    _ensure_manage(request, org)
    form = ReasonForm(request.POST or None, reason_required=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.archive_organization(org=org, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:detail", args=[org.pk]), _("%(name)s was archived.") % {"name": org.name})
    return _form_page(request, form=form, title=_("Archive %(name)s") % {"name": org.name}, action=request.path,
                      cancel=reverse("orgs:detail", args=[org.pk]), submit=_("Archive"), obj=org, danger=True,
                      intro=_("An archived organisation is hidden from lists and ends its alliance memberships; its records and history are kept and it can be restored."))


@login_required
def org_restore(request, pk):
    org = _org(request, pk)
    _ensure_manage(request, org)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.restore_organization(org=org, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:detail", args=[org.pk]), _("%(name)s was restored.") % {"name": org.name})
    return _form_page(request, form=form, title=_("Restore %(name)s") % {"name": org.name}, action=request.path,
                      cancel=reverse("orgs:detail", args=[org.pk]), submit=_("Restore"), obj=org)


@login_required
def org_delete(request, pk):
    org = _org(request, pk)
    _ensure_manage(request, org)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        parent_id, name = org.parent_id, org.name
        try:
            services.delete_organization(org=org, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            url = reverse("orgs:detail", args=[parent_id]) if parent_id else reverse("orgs:list")
            return _done(request, url, _("%(name)s was deleted.") % {"name": name})
    return _form_page(request, form=form, title=_("Delete %(name)s") % {"name": org.name}, action=request.path,
                      cancel=reverse("orgs:detail", args=[org.pk]), submit=_("Delete for good"), obj=org, danger=True,
                      intro=_("Only an organisation entered by mistake, with no members, people or sub-organisations, can be deleted. Otherwise archive it."))


@login_required
def person_options(request):
    """`<option>`s for a person picker: the first matches of a name among the people the user may see."""
    user = request.user
    org = None
    if request.GET.get("organization", "").isdigit():
        org = selectors.visible_organizations(user).filter(pk=int(request.GET["organization"])).first()
    q = request.GET.get("q", "").strip()
    people = selectors.person_choices(user, q=q, organization=org)
    return render(request, "orgs/_person_options.html", {"people": people, "q": q})


# --- alliances ------------------------------------------------------------------------------


@login_required
def alliance_list(request):
    user = request.user
    return render(request, "orgs/alliance_list.html", {
        "nav_active": "alliances",
        "alliances": selectors.alliance_list(user),
        "can_create": selectors.can_create_alliance(user),
    })


@login_required
def alliance_detail(request, pk):
    user = request.user
    alliance = _alliance(request, pk)
    memberships = selectors.member_table(alliance)
    chairs = selectors.duty_chairs(alliance)
    depts = list(selectors.departments(alliance))
    person_ids = {m.liaison_id for m in memberships} | {m.committee_member_id for m in memberships} | {d.head_id for d in depts}
    visible_people = visible_person_ids(user, person_ids)
    visible_orgs = set(selectors.visible_organizations(user, include_archived=True).filter(
        pk__in={m.organization_id for m in memberships}).values_list("pk", flat=True))
    show_past = _truthy(request.GET.get("past"))
    ctx = {
        "nav_active": "alliances",
        "alliance": alliance,
        "active": [m for m in memberships if m.left_on is None],
        "past": [m for m in memberships if m.left_on is not None],
        "show_past": show_past,
        "chairs": chairs,
        "current_chair": next((t for t in chairs if t.is_current), None),
        "departments": depts,
        "visible_people": visible_people,
        "visible_orgs": visible_orgs,
        "can_manage": selectors.can_manage_alliance(user, alliance),
    }
    return render(request, "orgs/alliance_detail.html", ctx)


@login_required
def alliance_create(request):
    user = request.user
    if not selectors.can_create_alliance(user):
        raise DjangoPermissionDenied(_("Your role cannot create alliances."))
    form = AllianceForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            alliance = services.create_alliance(by=user, core_organization=d["core_organization"], name=d["name"],
                                                structure_label=d["structure_label"], founded_on=d["founded_on"],
                                                description=d["description"], reason=d["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:alliance", args=[alliance.pk]), _("%(name)s was created.") % {"name": alliance.name})
    return _form_page(request, form=form, title=_("New alliance"), action=request.path, cancel=reverse("orgs:alliances"),
                      submit=_("Create"), nav="alliances")


@login_required
def alliance_edit(request, pk):
    alliance = _alliance(request, pk)
    _ensure_manage_alliance(request, alliance)
    form = AllianceForm(request.POST or None, user=request.user, alliance=alliance)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        reason = d.pop("reason")
        try:
            services.update_alliance(alliance=alliance, by=request.user, reason=reason, **d)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:alliance", args=[alliance.pk]), _("Changes saved."))
    return _form_page(request, form=form, title=_("Edit %(name)s") % {"name": alliance.name}, action=request.path,
                      cancel=reverse("orgs:alliance", args=[alliance.pk]), submit=_("Save"), nav="alliances", obj=alliance)


@login_required
def member_add(request, pk):
    user = request.user
    alliance = _alliance(request, pk)
    _ensure_manage_alliance(request, alliance)
    form = MemberAddForm(request.POST or None, user=user, alliance=alliance)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            m = services.add_member(alliance=alliance, organization=d["organization"], by=user, joined_on=d["joined_on"],
                                    role=d["role"], liaison=d["liaison"], committee_member=d["committee_member"],
                                    committee_post=d["committee_post"], reason=d["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:alliance", args=[alliance.pk]),
                         _("%(name)s joined the alliance.") % {"name": m.organization.name})
    return _form_page(request, form=form, title=_("Add a member unit"), action=request.path,
                      cancel=reverse("orgs:alliance", args=[alliance.pk]), submit=_("Add the member unit"), nav="alliances", obj=alliance,
                      intro=_("Joining the alliance does not change the unit's original party affiliation."))


def _membership(request, alliance, mid):
    try:
        return selectors.get_membership(alliance, mid)
    except NotFound:
        raise Http404 from None


@login_required
def membership_edit(request, pk, mid):
    alliance = _alliance(request, pk)
    _ensure_manage_alliance(request, alliance)
    membership = _membership(request, alliance, mid)
    form = MembershipForm(request.POST or None, user=request.user, membership=membership)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        reason = d.pop("reason")
        try:
            services.update_membership(membership=membership, by=request.user, reason=reason, **d)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:alliance", args=[alliance.pk]), _("Changes saved."))
    return _form_page(request, form=form, title=_("%(name)s in the alliance") % {"name": membership.organization.name},
                      action=request.path, cancel=reverse("orgs:alliance", args=[alliance.pk]), submit=_("Save"),
                      nav="alliances", obj=alliance)


@login_required
def membership_end(request, pk, mid):
    alliance = _alliance(request, pk)
    _ensure_manage_alliance(request, alliance)
    membership = _membership(request, alliance, mid)
    form = MembershipEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_membership(membership=membership, by=request.user, left_on=form.cleaned_data["left_on"],
                                    reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:alliance", args=[alliance.pk]),
                         _("%(name)s left the alliance.") % {"name": membership.organization.name})
    return _form_page(request, form=form, title=_("%(name)s leaves the alliance") % {"name": membership.organization.name},
                      action=request.path, cancel=reverse("orgs:alliance", args=[alliance.pk]), submit=_("End membership"),
                      nav="alliances", obj=alliance, danger=True)


@login_required
def duty_chair_add(request, pk):
    alliance = _alliance(request, pk)
    _ensure_manage_alliance(request, alliance)
    form = DutyChairForm(request.POST or None, alliance=alliance)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.set_duty_chair(alliance=alliance, organization=d["organization"], starts_on=d["starts_on"], ends_on=d["ends_on"],
                                    by=request.user, note=d["note"], reason=d["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:alliance", args=[alliance.pk]), _("Duty chair term added."))
    return _form_page(request, form=form, title=_("Add a duty chair term"), action=request.path,
                      cancel=reverse("orgs:alliance", args=[alliance.pk]), submit=_("Add the term"), nav="alliances", obj=alliance)


@login_required
def department_save(request, pk, did=None):
    alliance = _alliance(request, pk)
    _ensure_manage_alliance(request, alliance)
    department = None
    if did is not None:
        try:
            department = selectors.get_department(alliance, did)
        except NotFound:
            raise Http404 from None
    form = DepartmentForm(request.POST or None, user=request.user, alliance=alliance, department=department)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.save_department(alliance=alliance, by=request.user, name=d["name"], head=d["head"],
                                     responsibilities=d["responsibilities"], department=department, reason=d["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _done(request, reverse("orgs:alliance", args=[alliance.pk]), _("Working department saved."))
    title = _("Edit %(name)s") % {"name": department.name} if department else _("Add a working department")
    return _form_page(request, form=form, title=title, action=request.path, cancel=reverse("orgs:alliance", args=[alliance.pk]),
                      submit=_("Save"), nav="alliances", obj=alliance)
