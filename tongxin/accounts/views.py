from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tongxin.core.errors import DomainError

from . import services
from .models import ApiToken


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
        "new_key": new_key,
    })


@login_required
@require_POST
def revoke_token(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token=token, by=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, "令牌已吊销")
    return redirect("accounts:tokens")
