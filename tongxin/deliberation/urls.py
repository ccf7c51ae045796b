from django.urls import path

from . import views

app_name = "deliberation"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("p/<int:pk>/", views.public, name="public"),
    path("settings/<int:alliance_pk>/", views.settings_page, name="settings"),
    path("rolls/", views.rolls, name="rolls"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/opinion/", views.opinion, name="opinion"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    path("<int:pk>/ballot/", views.ballot_new, name="ballot_new"),
    path("<int:pk>/consultation/", views.consultation_new, name="consultation_new"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("opinions/<int:pk>/<str:action>/", views.opinion_act, name="opinion_act"),
    path("ballots/<int:pk>/vote/", views.vote, name="vote"),
    path("ballots/<int:pk>/end/", views.ballot_end, name="ballot_end"),
    path("consultations/<int:pk>/record/", views.consultation_record, name="consultation_record"),
]
