"""Open311 GeoReport v2. Include at "open311/v2/" in tongxin/urls.py."""

from django.urls import path, re_path

from . import open311

# Any extension reaches the view, which answers an unsupported one (services.csv) with the
# standard error body; the catch-all at the end does the same for unknown addresses.
FMT = r"\.(?P<fmt>\w+)$"

app_name = "open311"
urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + FMT, open311.service_list, name="services"),
    re_path(r"^services/(?P<code>[\w\-]+)" + FMT, open311.service_definition, name="service"),
    re_path(r"^requests" + FMT, open311.requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[\w\-]+)" + FMT, open311.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[\w\-]+)" + FMT, open311.token_detail, name="token"),
    path("", open311.discovery, name="index"),
    re_path(r"^(?P<rest>.+)$", open311.not_found),
]
