from django.urls import path

from tongxin.core.placeholder import placeholder

app_name = "grids"
urlpatterns = [path("", placeholder, name="map")]
