from django.urls import path

from . import views

app_name = "lists"
urlpatterns = [
    path("", views.index, name="index"),
    path("resources/new/", views.resource_edit, name="resource_new"),
    path("resources/<int:pk>/", views.resource_detail, name="resource"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resource_edit"),
    path("resources/<int:pk>/status/", views.resource_status, name="resource_status"),
    path("resources/<int:pk>/reveal/", views.resource_reveal, name="resource_reveal"),
    path("needs/new/", views.need_edit, name="need_new"),
    path("needs/propose/", views.needs_propose, name="needs_propose"),
    path("needs/<int:pk>/", views.need_detail, name="need"),
    path("needs/<int:pk>/edit/", views.need_edit, name="need_edit"),
    path("needs/<int:pk>/match/", views.need_match, name="need_match"),
    path("needs/<int:pk>/act/<str:action>/", views.need_act, name="need_act"),
    path("projects/new/", views.project_edit, name="project_new"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/act/<str:action>/", views.project_act, name="project_act"),
    path("projects/<int:pk>/milestones/", views.project_milestone, name="project_milestone"),
    path("projects/<int:pk>/photos/", views.project_photos, name="project_photos"),
    path("milestones/<int:pk>/done/", views.milestone_done, name="milestone_done"),
    path("pairing/", views.pairing, name="pairing"),
    path("pairing/<int:pk>/", views.session_detail, name="session"),
    path("pairs/<int:pk>/<str:action>/", views.pair_act, name="pair_act"),
    path("campaigns/new/", views.campaign_edit, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
]
