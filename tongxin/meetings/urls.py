from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.meeting_new, name="new"),
    path("series/new/", views.series_new, name="series_new"),
    path("series/<int:pk>/", views.series_detail, name="series"),
    path("actions/", views.actions, name="actions"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("<int:pk>/invite.ics", views.ics, name="ics"),
    path("<int:pk>/checkin/<str:token>/", views.checkin, name="checkin"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    # Aliases other apps reverse (rhythm's monthly prompt): same views, same URLs.
    path("<int:pk>/", views.detail, name="meeting"),
    path("actions/<int:pk>/", views.action_detail, name="action_item"),
]
