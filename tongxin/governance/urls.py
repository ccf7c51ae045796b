from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("mine/", views.mine, name="mine"),
    path("areas/", views.areas, name="areas"),
    path("segments/", views.segments, name="segments"),
    path("segments/new/", views.segment_new, name="segment_new"),
    path("segments/geojson/", views.segments_geojson, name="segments_geojson"),
    path("segments/<int:pk>/release/", views.segment_release, name="segment_release"),
    path("obligations/<int:pk>/fulfil/", views.fulfil, name="fulfil"),
    path("obligations/<int:pk>/remove/", views.obligation_remove, name="obligation_remove"),
    path("fulfilments/<int:pk>/file/", views.fulfilment_file, name="fulfilment_file"),
    path("photos/<int:pk>/", views.fulfilment_photo, name="fulfilment_photo"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/activate/", views.activate, name="activate"),
    path("<int:pk>/terminate/", views.terminate, name="terminate"),
    path("<int:pk>/scan/", views.scan, name="scan"),
    path("<int:pk>/parties/", views.add_party, name="add_party"),
    path("<int:pk>/parties/<int:org_pk>/remove/", views.remove_party, name="remove_party"),
    path("<int:pk>/obligations/new/", views.obligation_new, name="obligation_new"),
]
