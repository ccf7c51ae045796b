"""The routing page for the alliance admin: the model in use per target, history, held-out
scores, the training history, a "retrain now" button and a form to try a text."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from tongxin.core.errors import DomainError, NotFound

from . import selectors, services


def _alliance(request):
    raw = (request.POST.get("alliance") or request.GET.get("alliance") or "").strip()
    try:
        return selectors.get_alliance(request.user, int(raw) if raw.isdigit() else None)
    except NotFound:
        raise Http404 from None


def _context(request, alliance, **extra):
    return {"nav_active": "routing", "alliances": selectors.managed_alliances(request.user), **selectors.status(alliance), **extra}


@login_required
def index(request):
    alliance = _alliance(request)
    return render(request, "routing/index.html", _context(request, alliance))


@login_required
@require_POST
def retrain(request):
    alliance = _alliance(request)
    error, queued = "", False
    try:
        services.request_retrain(by=request.user, alliance=alliance)
        queued = True
    except DomainError as exc:
        error = exc.message
    ctx = _context(request, alliance, error=error, queued=queued)
    if request.htmx:
        return render(request, "routing/_status.html", ctx)
    return render(request, "routing/index.html", ctx, status=400 if error else 200)


@login_required
@require_POST
def try_text(request):
    alliance = _alliance(request)
    text = (request.POST.get("text") or "").strip()
    ctx = {"alliance": alliance, "text": text}
    if len(text) < 2:
        ctx["error"] = "请输入至少 2 个字的诉求描述"
    else:
        from tongxin.orders.services import active_categories
        from tongxin.orders.suggest import score_categories

        ctx["learned"] = selectors.predict(alliance=alliance, text=text)
        scored = score_categories(text, active_categories(alliance))
        ctx["rules"] = {"category": scored[0][1], "hits": scored[0][2]} if scored else None
    if request.htmx:
        return render(request, "routing/_try.html", ctx, status=200)
    return render(request, "routing/index.html", _context(request, alliance, tried=ctx), status=400 if ctx.get("error") else 200)
