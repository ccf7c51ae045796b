from django.urls import path

from . import views

app_name = "grids"
urlpatterns = [
    path("", views.grid_map, name="map"),
    path("list/", views.grid_list, name="list"),
    path("geojson/", views.grid_geojson, name="geojson"),
    path("locate/", views.grid_locate, name="locate"),
    path("new/", views.grid_create, name="create"),
    path("<int:pk>/", views.grid_detail, name="detail"),
    path("<int:pk>/edit/", views.grid_edit, name="edit"),
    path("<int:pk>/people/", views.people_options, name="people_options"),
    path("<int:pk>/assignments/", views.assignment_add, name="assign"),
    path("<int:pk>/assignments/<int:role_pk>/end/", views.assignment_end, name="assignment_end"),
]
