"""People pages. Thin: parse input, call a selector or a service, render; refusals go on the form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tongxin.core.errors import DomainError, NotFound, PermissionDenied

from . import selectors, services
from .forms import ArchiveForm, PartyProfileForm, PersonForm, RoleForm
from .models import RoleTag

PER_PAGE = 50
REVEAL_FIELDS = {"phone": gettext_lazy("Phone"), "id_number": gettext_lazy("ID number"), "address": gettext_lazy("Home address")}


def _person(request, pk):
    try:
        return selectors.get_person(request.user, pk)
    except NotFound:
        raise Http404 from None


def _ensure_manage(request, person):
    if not selectors.can_manage(request.user, person):
        raise DjangoPermissionDenied(_("You may view this person but not change the record."))


def _badges(person) -> list[tuple[str, str]]:
    seen = {}
    for role in getattr(person, "active_roles", None) or [r for r in person.roles.all() if r.until is None]:
        seen.setdefault(role.tag, role.get_tag_display())
    return list(seen.items())


@login_required
def person_list(request):
    user = request.user
    q = request.GET.get("q", "").strip()
    tag = request.GET.get("tag", "")
    tag = tag if tag in RoleTag.values else ""
    archived = request.GET.get("archived") in ("1", "on", "true")
    organization = None
    if request.GET.get("organization", "").isdigit():
        organization = selectors.visible_people_org(user, int(request.GET["organization"]))
    qs = selectors.list_page_queryset(
        selectors.search_people(user, q=q, tag=tag, organization=organization, include_archived=archived)
    ).order_by("name", "id")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    for person in page.object_list:
        person.badges = _badges(person)
    params = request.GET.copy()
    params.pop("page", None)
    ctx = {
        "nav_active": "people",
        "page": page,
        "q": q,
        "tag": tag,
        "archived": archived,
        "organization": organization,
        "querystring": params.urlencode(),
        "tag_choices": RoleTag.choices,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "people/_results.html", ctx)
    ctx["organizations"] = selectors.filter_organizations(user)
    ctx["can_create"] = selectors.organizations_for_people(user).exists()
    return render(request, "people/list.html", ctx)


def _detail_context(request, person, **extra):
    user = request.user
    can_manage = selectors.can_manage(user, person)
    ctx = {
        "nav_active": "people",
        "person": person,
        "roles": selectors.person_roles(person),
        "profile": selectors.party_profile(person),
        "can_manage": can_manage,
        "can_reveal": selectors.can_reveal(user, person),
        "is_self": getattr(user, "person_id", None) == person.pk,
        "reveal_fields": [
            (key, label, getattr(person, f"{key}_masked")) for key, label in REVEAL_FIELDS.items()
        ],
    }
    if can_manage and person.archived_at is None:
        ctx.setdefault("role_form", RoleForm(user=user))
        ctx.setdefault("archive_form", ArchiveForm())
    ctx.update(extra)
    return ctx


@login_required
def person_detail(request, pk):
    person = _person(request, pk)
    return render(request, "people/detail.html", _detail_context(request, person))


@login_required
def person_create(request):
    user = request.user
    if not selectors.organizations_for_people(user).exists():
        raise DjangoPermissionDenied(_("Your role cannot register people."))
    form = PersonForm(request.POST or None, user=user)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            person = services.create_person(by=user, **data)
        except DomainError as exc:
            form.add_domain_error(exc, {"tags": "tags"})
            duplicate = getattr(exc, "existing", None)
        else:
            messages.success(request, _("%(name)s was registered.") % {"name": person.name})
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"nav_active": "people", "form": form, "person": None, "duplicate": duplicate,
                                                "education_options": _education()}, status=400 if form.errors else 200)


@login_required
def person_edit(request, pk):
    person = _person(request, pk)
    _ensure_manage(request, person)
    form = PersonForm(request.POST or None, user=request.user, person=person)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            services.update_person(person=person, by=request.user, **form.service_data())
        except DomainError as exc:
            form.add_domain_error(exc)
            duplicate = getattr(exc, "existing", None)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"nav_active": "people", "form": form, "person": person, "duplicate": duplicate,
                                                "education_options": _education()}, status=400 if form.errors else 200)


def _education():
    from .forms import EDUCATION_CHOICES

    return EDUCATION_CHOICES


@login_required
@require_POST
def person_archive(request, pk):
    person = _person(request, pk)
    _ensure_manage(request, person)
    form = ArchiveForm(request.POST)
    if form.is_valid():
        try:
            services.archive_person(person=person, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("The record was archived."))
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/detail.html", _detail_context(request, person, archive_form=form, open_archive=True), status=400)


@login_required
@require_POST
def person_reveal(request, pk, field):
    """The full value of one personal field, as a fragment; every call is logged by the service."""
    person = _person(request, pk)
    if field not in REVEAL_FIELDS:
        raise Http404
    try:
        value = services.reveal(person=person, field=field, by=request.user, purpose=request.POST.get("purpose", ""), channel="web")
    except PermissionDenied as exc:
        return HttpResponse(exc.message, status=403)
    response = render(request, "people/_revealed.html", {"value": value, "field": field})
    response["Cache-Control"] = "no-store"
    return response


def _roles_response(request, person, role_form=None, status=200, notice=None, error=None):
    if request.htmx:
        ctx = _detail_context(request, person, roles_notice=notice, roles_error=error)
        if role_form is not None:
            ctx["role_form"] = role_form
            ctx["open_role_form"] = True
        return render(request, "people/_roles.html", ctx, status=status)
    if notice:
        messages.success(request, notice)
    if error:
        messages.error(request, error)
    if role_form is not None:
        return render(request, "people/detail.html", _detail_context(request, person, role_form=role_form, open_role_form=True), status=status)
    return redirect("people:detail", pk=person.pk)


@login_required
@require_POST
def role_add(request, pk):
    person = _person(request, pk)
    _ensure_manage(request, person)
    form = RoleForm(request.POST, user=request.user)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services.add_role(person=person, tag=cd["tag"], by=request.user, organization=cd.get("organization"), grid=cd.get("grid"),
                              since=cd.get("since"), reason=cd.get("reason") or "")
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            return _roles_response(request, person, notice=_("Role added."))
    # htmx swaps only 2xx answers by default, so the form with its errors comes back as 200 there.
    return _roles_response(request, person, role_form=form, status=200 if request.htmx else 400)


@login_required
@require_POST
def role_end(request, pk, role_pk):
    person = _person(request, pk)
    _ensure_manage(request, person)
    try:
        role = selectors.get_role(person, role_pk)
    except NotFound:
        raise Http404 from None
    try:
        services.end_role(role=role, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _roles_response(request, person, error=exc.message)
    return _roles_response(request, person, notice=_("Role ended: %(role)s") % {"role": role.get_tag_display()})


@login_required
def party_profile_edit(request, pk):
    person = _person(request, pk)
    _ensure_manage(request, person)
    profile = selectors.party_profile(person)
    form = PartyProfileForm(request.POST or None, user=request.user, profile=profile, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_party_profile(person=person, by=request.user, **form.service_data())
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Party membership saved."))
            return redirect(reverse("people:detail", args=[person.pk]) + "#party")
    return render(request, "people/party_form.html", {"nav_active": "people", "form": form, "person": person, "profile": profile})
