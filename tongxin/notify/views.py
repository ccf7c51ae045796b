"""Inbox and group-robot pages. Thin: a selector or a service, then a template or fragment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongxin.core.errors import DomainError, NotFound

from . import selectors, services
from .forms import WebhookForm

PER_PAGE = 30


def _changed(response: HttpResponse) -> HttpResponse:
    """Tell the navbar badge (hx-trigger="notify-changed from:body") to refresh."""
    response["HX-Trigger"] = "notify-changed"
    return response


def _notification(request, pk):
    try:
        return selectors.get_notification(request.user, pk)
    except NotFound:
        raise Http404 from None


@login_required
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.inbox(request.user, unread_only=unread_only), PER_PAGE).get_page(request.GET.get("page"))
    ctx = {"nav_active": "notifications", "page": page, "unread_only": unread_only,
           "unread": selectors.unread_count(request.user),
           "can_manage_webhooks": selectors.can_manage_webhooks(request.user)}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "notify/_inbox_list.html", ctx)
    return render(request, "notify/inbox.html", ctx)


@login_required
@require_POST
def email(request):
    try:
        services.set_email(user=request.user, email=request.POST.get("email", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved: e-mail notifications go to %(email)s.") % {"email": request.user.email}
                         if request.user.email else _("Saved: no e-mail notifications."))
    return redirect("notify:inbox")


@login_required
def badge(request):
    return render(request, "notify/_badge.html", {"unread": selectors.unread_count(request.user)})


@login_required
@require_POST
def read(request, pk):
    n = services.mark_read(notification=_notification(request, pk), by=request.user)
    if request.htmx:
        return _changed(render(request, "notify/_item.html", {"n": n}))
    return redirect("notify:inbox")


@login_required
@require_POST
def read_all(request):
    count = services.mark_all_read(by=request.user)
    if request.htmx:
        page = Paginator(selectors.inbox(request.user), PER_PAGE).get_page(1)
        return _changed(render(request, "notify/_inbox_list.html", {"page": page, "unread": 0}))
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return redirect("notify:inbox")


@login_required
def open_notification(request, pk):
    """Mark as read and follow the notification's link (only links inside this site)."""
    n = services.mark_read(notification=_notification(request, pk), by=request.user)
    if n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts={request.get_host()}):
        return redirect(n.url)
    return redirect("notify:inbox")


# --- group robots ----------------------------------------------------------------------------

def _ensure_manager(request):
    if not selectors.can_manage_webhooks(request.user):
        raise Http404


def _hook(request, pk):
    try:
        return selectors.get_webhook(request.user, pk)
    except NotFound:
        raise Http404 from None


def _row(request, hook, **extra):
    return render(request, "notify/_webhook_row.html",
                  {"hook": hook, "last_test": selectors.last_test(hook), **extra})


@login_required
def webhook_list(request):
    _ensure_manager(request)
    user = request.user
    form = WebhookForm(request.POST or None, organizations=selectors.webhook_organizations(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_webhook(by=user, organization=data["organization"], kind=data["kind"], name=data["name"],
                                    url=data["url"], secret=data["secret"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Chat robot added. Send a test message to check it."))
            return redirect("notify:webhooks")
    hooks = list(selectors.webhooks(user))
    for hook in hooks:
        hook.last_test = selectors.last_test(hook)
    return render(request, "notify/webhooks.html", {"nav_active": "notifications", "hooks": hooks, "form": form})


@login_required
@require_POST
def webhook_test(request, pk):
    hook = _hook(request, pk)
    try:
        services.send_test_message(by=request.user, webhook=hook)
    except DomainError as exc:
        return _row(request, hook, error=exc.message)
    if request.htmx:
        return _row(request, hook, tested=True)
    messages.info(request, _("Test message queued."))
    return redirect("notify:webhooks")


@login_required
@require_POST
def webhook_toggle(request, pk):
    hook = _hook(request, pk)
    services.update_webhook(by=request.user, webhook=hook, active=not hook.active,
                            reason=request.POST.get("reason", ""))
    if request.htmx:
        return _row(request, hook)
    return redirect("notify:webhooks")


@login_required
@require_POST
def webhook_delete(request, pk):
    hook = _hook(request, pk)
    services.delete_webhook(by=request.user, webhook=hook, reason=request.POST.get("reason", ""))
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("Chat robot deleted."))
    return redirect("notify:webhooks")
