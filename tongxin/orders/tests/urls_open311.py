"""The project URLs plus Open311, until the lead includes open311_urls in tongxin/urls.py."""

from django.urls import include, path

from tongxin.urls import urlpatterns as base

urlpatterns = [*base, path("open311/v2/", include("tongxin.orders.open311_urls"))]
