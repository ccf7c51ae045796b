from django.urls import path

from tongxin.core.placeholder import placeholder

app_name = "orgs"
urlpatterns = [
    path("alliances/", placeholder, name="alliances"),
    path("alliances/<int:pk>/", placeholder, name="alliance"),
    path("", placeholder, name="list"),
]
