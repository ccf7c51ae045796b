"""Pages of the rhythm: prompts (list, one prompt, preview), settings, quarterly reviews (page, PDF, records)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from tongxin.accounts import permissions as P
from tongxin.accounts.models import User
from tongxin.accounts.scope import has_perm
from tongxin.core.errors import DomainError, NotFound
from tongxin.core.forms import BootstrapForm
from tongxin.orgs.models import Alliance, Organization

from . import periods, selectors, services
from .models import CHANNEL_CHOICES, Prompt


def _alliances_managed(user) -> list[Alliance]:
    return [a for a in Alliance.objects.select_related("core_organization").order_by("id")
            if has_perm(user, P.MANAGE_RHYTHM, a.core_organization)]


def _pick(alliances: list[Alliance], request) -> Alliance | None:
    wanted = request.GET.get("alliance") or request.POST.get("alliance")
    for a in alliances:
        if str(a.pk) == wanted:
            return a
    return alliances[0] if alliances else None


@login_required
def index(request):
    user = request.user
    managed = _alliances_managed(user)
    reviewable = selectors.review_alliances(user)
    prompts = selectors.visible_prompts(user)
    if not managed and not reviewable and not prompts.exists():
        return render(request, "rhythm/index.html", {"nav_active": "rhythm", "nothing": True})
    alliance = _pick(managed or reviewable, request)
    this_month = periods.month_of(periods.today())
    ctx = {
        "nav_active": "rhythm", "alliance": alliance, "can_manage": bool(managed), "this_month": this_month,
        "recent_prompts": list(prompts[:8]), "prompt_total": prompts.count(),
        "reviews": list(selectors.visible_reviews(user).filter(alliance=alliance)[:8]) if alliance else [],
        "settings_obj": selectors.settings_for(alliance) if managed and alliance else None,
        "last_quarter": periods.previous_quarter(periods.today()),
        "this_quarter": periods.quarter_of(periods.today()),
    }
    if managed and alliance:
        ctx["month_stats"] = {"sent": Prompt.objects.filter(alliance=alliance, period=this_month).count(),
                              "units": len(selectors.member_units(alliance))}
    return render(request, "rhythm/index.html", ctx)


# --- prompts ----------------------------------------------------------------------------------------

@login_required
def prompt_list(request):
    qs = selectors.visible_prompts(request.user)
    period = (request.GET.get("period") or "").strip()
    if period:
        qs = qs.filter(period=period)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "rhythm/prompt_list.html", {"nav_active": "rhythm", "page": page, "period": period,
                                                        "querystring": f"period={period}&" if period else ""})


@login_required
def prompt_detail(request, pk):
    prompt = selectors.visible_prompts(request.user).filter(pk=pk).first()
    if prompt is None:
        raise Http404
    from tongxin.notify.models import Notification

    deliveries = (Notification.objects.filter(dedupe_key=prompt.dedupe_key).select_related("recipient")
                  .order_by("recipient_id", "channel"))
    return render(request, "rhythm/prompt_detail.html", {"nav_active": "rhythm", "prompt": prompt, "deliveries": deliveries,
                                                          "sections": prompt.items.get("sections", [])})


@login_required
def prompt_preview(request, unit_id):
    unit = Organization.objects.filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    period = request.GET.get("period") or periods.month_of(periods.today())
    try:
        preview = services.preview_prompt(unit=unit, period=period, by=request.user)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return render(request, "rhythm/prompt_preview.html", {"nav_active": "rhythm", "error": exc.message, "unit": unit},
                      status=exc.status_code)
    return render(request, "rhythm/prompt_preview.html", {"nav_active": "rhythm", "preview": preview, "unit": unit})


@login_required
@require_POST
def prompts_generate(request):
    alliance = _pick(_alliances_managed(request.user), request)
    if alliance is None:
        messages.error(request, "只有联盟管理员可以生成月度提示")
        return redirect("rhythm:index")
    period = request.POST.get("period") or periods.month_of(periods.today())
    try:
        stats = services.generate_prompts(alliance=alliance, period=period, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Prompts for %(period)s: %(created)s sent, %(already)s already sent, %(empty)s units with nothing open.")
                         % stats)
    return redirect(f"{reverse('rhythm:prompts')}?period={period}")


# --- settings ---------------------------------------------------------------------------------------

class SettingsForm(BootstrapForm):
    prompts_enabled = forms.BooleanField(label=gettext_lazy("Send monthly prompts"), required=False)
    prompt_day = forms.IntegerField(label=gettext_lazy("Prompt day of month"), min_value=1, max_value=28)
    prompt_time = forms.TimeField(label=gettext_lazy("Prompt time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    channels = forms.MultipleChoiceField(label=gettext_lazy("Channels"), choices=CHANNEL_CHOICES, widget=forms.CheckboxSelectMultiple)
    extra_recipients = forms.ModelMultipleChoiceField(label=gettext_lazy("Extra recipients (a monthly summary)"), required=False,
                                                      queryset=User.objects.none(), widget=forms.SelectMultiple(attrs={"size": 6}))
    reviews_enabled = forms.BooleanField(label=gettext_lazy("Generate quarterly reviews"), required=False)
    review_day = forms.IntegerField(label=gettext_lazy("Review day (of the month after the quarter)"), min_value=1, max_value=28)
    review_time = forms.TimeField(label=gettext_lazy("Review time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    review_recipients = forms.ModelMultipleChoiceField(label=gettext_lazy("Review recipients"), required=False,
                                                       queryset=User.objects.none(), widget=forms.SelectMultiple(attrs={"size": 6}))
    reason = forms.CharField(label=gettext_lazy("Reason for the change"), required=False, max_length=200)

    def __init__(self, *args, alliance: Alliance, **kwargs):
        super().__init__(*args, **kwargs)
        staff = (User.objects.filter(is_active=True, role_assignments__organization__path__startswith=alliance.core_organization.path)
                 .exclude(role_assignments__role="resident").distinct().order_by("username"))
        self.fields["extra_recipients"].queryset = staff
        self.fields["review_recipients"].queryset = staff


@login_required
def settings_page(request):
    alliance = _pick(_alliances_managed(request.user), request)
    if alliance is None:
        raise Http404
    obj = selectors.settings_for(alliance)
    initial = {"prompts_enabled": obj.prompts_enabled, "prompt_day": obj.prompt_day, "prompt_time": obj.prompt_time,
               "channels": obj.channels, "extra_recipients": list(obj.extra_recipients.all()), "reviews_enabled": obj.reviews_enabled,
               "review_day": obj.review_day, "review_time": obj.review_time, "review_recipients": list(obj.review_recipients.all())}
    form = SettingsForm(request.POST or None, initial=initial, alliance=alliance)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            services.save_settings(alliance=alliance, by=request.user, reason=reason, **data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Rhythm settings saved; the next runs are rescheduled."))
            return redirect("rhythm:settings")
    from tongxin.notify.models import ScheduledJob

    jobs = ScheduledJob.objects.filter(kind__in=[services.PROMPT_KIND, services.REVIEW_KIND], payload__alliance=alliance.pk,
                                       status="pending").order_by("due_at")
    return render(request, "rhythm/settings.html", {"nav_active": "rhythm", "form": form, "alliance": alliance, "jobs": jobs},
                  status=400 if form.errors else 200)


# --- reviews ------------------------------------------------------------------------------------------

ORDER_COLUMNS = [("dispatched", gettext_lazy("Dispatched")), ("responded", gettext_lazy("Accepted in time")),
                 ("resolved", pgettext_lazy("rhythm", "Resolved")), ("satisfied", gettext_lazy("Satisfied")),
                 ("on_time", gettext_lazy("Done on time")), ("overdue_requests", gettext_lazy("Overdue"))]
RATE_COLUMNS = [("response_rate", gettext_lazy("Response rate")), ("resolution_rate", gettext_lazy("Resolution rate")),
                ("satisfaction_rate", gettext_lazy("Satisfaction rate")), ("on_time_rate", gettext_lazy("On-time rate"))]


def _pct(value):
    return "—" if value is None else f"{value * 100:.1f}%"


ACTION_COLUMNS = [("opened", gettext_lazy("Opened")), ("closed", pgettext_lazy("rhythm", "Closed")),
                  ("open_at_end", gettext_lazy("Open at quarter end")), ("overdue", gettext_lazy("Overdue"))]


def review_context(review, figures: dict) -> dict:
    """Rows ready for the page and the PDF: counts with the link to their records, rates as text."""
    base = reverse("rhythm:review_records", args=[review.pk]) if review.pk else ""

    def link(source, figure, unit_id=None):
        return f"{base}?source={source}&figure={figure}" + (f"&unit={unit_id}" if unit_id else "") if base else ""

    def row(data, unit_id=None):
        o, a = data.get("orders", {}), data.get("actions", {})
        return {"counts": [(key, o.get(key, 0), link("orders", key, unit_id)) for key, _ in ORDER_COLUMNS],
                "rates": [(key, _pct(o.get(key))) for key, _ in RATE_COLUMNS],
                "actions": [(key, a.get(key, 0), link("actions", key, unit_id)) for key, _ in ACTION_COLUMNS],
                "obligations": data.get("obligations") or {"open": 0, "overdue": 0},
                "projects": data.get("projects") or {}}

    units = [{**u, **row(u, u["id"])} for u in figures.get("units", [])]
    totals = figures.get("totals") or {}
    return {
        "review": review, "figures": figures, "units": units, "projects": figures.get("projects", []),
        "order_columns": ORDER_COLUMNS, "rate_columns": RATE_COLUMNS, "action_columns": ACTION_COLUMNS,
        "totals": row(totals) if totals.get("orders") else None,
        "definitions": figures.get("definitions", {}),
    }


@login_required
def review_list(request):
    user = request.user
    alliances = selectors.review_alliances(user)
    if not alliances:
        raise Http404
    alliance = _pick(alliances, request)
    reviews = selectors.visible_reviews(user).filter(alliance=alliance)
    can_generate = has_perm(user, P.MANAGE_RHYTHM, alliance.core_organization)
    today = periods.today()
    quarters = []
    q = periods.quarter_of(today)
    for _i in range(6):
        quarters.append(q)
        q = periods.previous_quarter(periods.quarter_bounds(q)[0])
    return render(request, "rhythm/review_list.html", {"nav_active": "rhythm", "alliance": alliance, "page": Paginator(reviews, 20)
                                                        .get_page(request.GET.get("page")), "can_generate": can_generate,
                                                        "quarters": quarters, "default_quarter": periods.previous_quarter(today),
                                                        "querystring": ""})


@login_required
@require_POST
def review_generate(request):
    alliance = _pick(_alliances_managed(request.user), request)
    if alliance is None:
        messages.error(request, "只有联盟管理员可以生成季度调度报告")
        return redirect("rhythm:index")
    try:
        review = services.generate_review(alliance=alliance, quarter=request.POST.get("quarter", ""), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("rhythm:reviews")
    messages.success(request, _("Review generated from the recorded work."))
    return redirect("rhythm:review", pk=review.pk)


def _review(request, pk):
    try:
        return selectors.get_review(request.user, pk)
    except NotFound:
        raise Http404 from None


@login_required
def review_detail(request, pk):
    review = _review(request, pk)
    figures = selectors.scoped_figures(request.user, review)
    ctx = review_context(review, figures)
    newer = selectors.visible_reviews(request.user).filter(alliance=review.alliance, quarter=review.quarter,
                                                           generated_at__gt=review.generated_at).first()
    ctx.update(nav_active="rhythm", newer=newer, whole=selectors.sees_whole_alliance(request.user, review.alliance))
    return render(request, "rhythm/review_detail.html", ctx)


@login_required
def review_pdf(request, pk):
    review = _review(request, pk)
    if not selectors.sees_whole_alliance(request.user, review.alliance):
        raise Http404  # the PDF is the whole alliance's; a scoped reader uses the page
    review = services.ensure_pdf(review)
    return FileResponse(review.pdf.open("rb"), as_attachment=True, filename=f"tongxin-review-{review.quarter}.pdf",
                        content_type="application/pdf")


@login_required
def review_records(request, pk):
    review = _review(request, pk)
    unit_id = request.GET.get("unit")
    unit_id = int(unit_id) if unit_id and unit_id.isdigit() else None
    figure, source = request.GET.get("figure", ""), request.GET.get("source", "orders")
    try:
        kind, qs = selectors.records_behind(request.user, review, source=source, figure=figure, unit_id=unit_id)
    except NotFound:
        raise Http404 from None
    unit = Organization.objects.filter(pk=unit_id).first() if unit_id else None
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    columns = ORDER_COLUMNS if kind == "orders" else ACTION_COLUMNS
    label = dict(columns).get(figure, figure)
    definition = selectors.REVIEW_DEFINITIONS.get(figure if kind == "orders" else "action_items", "")
    return render(request, "rhythm/review_records.html", {
        "nav_active": "rhythm", "review": review, "page": page, "unit": unit, "figure_label": label, "kind": kind,
        "definition": definition, "querystring": f"source={source}&figure={figure}&" + (f"unit={unit_id}&" if unit_id else ""),
    })
