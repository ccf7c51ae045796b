from django.urls import path

from tongxin.core.placeholder import placeholder

app_name = "dataio"
urlpatterns = [path("", placeholder, name="index")]
