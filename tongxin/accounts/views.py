from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongxin.core.errors import DomainError, NotFound

from . import permissions as P
from . import selectors, services
from .models import ApiToken, Role
from .scope import has_perm, roles_of


@login_required
def tokens(request):
    new_key = None
    if request.method == "POST":
        try:
            _, new_key = services.create_api_token(user=request.user, name=request.POST.get("name", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(request, "accounts/tokens.html", {
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
        "new_key": new_key, "can_create": has_perm(request.user, P.MANAGE_TOKENS),
    })


@login_required
@require_POST
def revoke_token(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token=token, by=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, "令牌已吊销")
    return redirect("accounts:tokens")


# ---- Accounts of the people in my scope (who may log in, with which role where) ----

def _manager_required(request):
    from .scope import has_perm

    if not has_perm(request.user, P.MANAGE_ORGS):
        raise Http404


def _role_form_context(request):
    from tongxin.orgs.selectors import manageable_organizations

    return {
        "role_choices": [(value, label) for value, label in Role.choices
                         if value != Role.ALLIANCE_ADMIN or request.user.is_superuser
                         or any(a.role == Role.ALLIANCE_ADMIN for a in roles_of(request.user))],
        "organizations": manageable_organizations(request.user).only("pk", "name", "depth")[:1000],
    }


@login_required
def users(request):
    _manager_required(request)
    q = request.GET.get("q", "")
    page = Paginator(selectors.manageable_users(request.user, q=q), 50).get_page(request.GET.get("page"))
    template = "accounts/_user_rows.html" if request.htmx else "accounts/users.html"
    return render(request, template, {"page": page, "q": q, "nav_active": "accounts"})


@login_required
def user_create(request):
    _manager_required(request)
    from tongxin.orgs.selectors import manageable_organizations
    from tongxin.people.selectors import visible_people

    error, values, person = None, {}, None
    if request.method == "POST":
        values = request.POST
        person = visible_people(request.user).filter(pk=request.POST.get("person") or 0).first()
        try:
            org = manageable_organizations(request.user).filter(pk=request.POST.get("organization") or 0).first()
            if org is None:
                raise DomainError("请选择角色所在的组织", field="organization")
            user, password = services.create_account(
                by=request.user, username=request.POST.get("username", ""), person=person,
                role=request.POST.get("role", ""), organization=org, reason=request.POST.get("reason", ""),
            )
        except DomainError as exc:
            error = exc
        else:
            request.session["tongxin_new_password"] = password
            messages.success(request, _("Account created. Give the temporary password to its owner."))
            return redirect("accounts:user", pk=user.pk)
    # A refused form keeps the chosen person, so the admin fixes one field and submits again.
    return render(request, "accounts/user_form.html", {"error": error, "values": values, "person": person, "nav_active": "accounts",
                                                        **_role_form_context(request)})


@login_required
def user_detail(request, pk):
    _manager_required(request)
    try:
        target = selectors.get_manageable_user(request.user, pk)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        reason = request.POST.get("reason", "")
        try:
            if action == "add_role":
                from tongxin.orgs.selectors import manageable_organizations

                org = manageable_organizations(request.user).filter(pk=request.POST.get("organization") or 0).first()
                if org is None:
                    raise DomainError("请选择角色所在的组织", field="organization")
                services.assign_role(user=target, role=request.POST.get("role", ""), organization=org, by=request.user, reason=reason)
                messages.success(request, _("Role added."))
            elif action == "remove_role":
                assignment = selectors.get_assignment(request.user, target, request.POST.get("assignment") or 0)
                services.remove_role(assignment=assignment, by=request.user, reason=reason)
                messages.success(request, _("Role removed."))
            elif action in ("activate", "deactivate"):
                services.set_active(user=target, by=request.user, active=action == "activate", reason=reason)
                messages.success(request, _("Account updated."))
            elif action == "reset_password":
                request.session["tongxin_new_password"] = services.reset_password(user=target, by=request.user, reason=reason)
            else:
                raise DomainError("未知操作")
        except (DomainError, NotFound) as exc:
            error = exc
        else:
            return redirect("accounts:user", pk=target.pk)
    target = selectors.get_manageable_user(request.user, pk)
    return render(request, "accounts/user_detail.html", {
        "target": target, "error": error, "nav_active": "accounts",
        "new_password": request.session.pop("tongxin_new_password", None), **_role_form_context(request),
    })
