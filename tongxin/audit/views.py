from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from tongxin.core.errors import NotFound

from .selectors import history_of, resolve_target


@login_required
def history(request, kind, pk):
    try:
        obj = resolve_target(request.user, kind, pk)
    except NotFound:
        raise Http404 from None
    return render(request, "audit/history.html", {"object": obj, "kind": kind, **history_of(obj)})
