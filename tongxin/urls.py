from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.static import serve

from tongxin.api import api
from tongxin.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("", core_views.home, name="home"),
    path("api/v1/", api.urls),  # early: integrations post here at volume, and URL resolution is a linear walk
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("tongxin.accounts.urls")),
    path("orgs/", include("tongxin.orgs.urls")),
    path("people/", include("tongxin.people.urls")),
    path("grids/", include("tongxin.grids.urls")),
    path("data/", include("tongxin.dataio.urls")),
    path("history/", include("tongxin.audit.urls")),
    path("orders/", include("tongxin.orders.urls")),
    path("open311/v2/", include("tongxin.orders.open311_urls")),
    path("notifications/", include("tongxin.notify.urls")),
    path("lists/", include("tongxin.lists.urls")),
    path("routing/", include("tongxin.routing.urls")),
    path("agreements/", include("tongxin.governance.urls")),
    path("meetings/", include("tongxin.meetings.urls")),
    path("topics/", include("tongxin.deliberation.urls")),
    path("rhythm/", include("tongxin.rhythm.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
