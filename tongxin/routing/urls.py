from django.urls import path

from . import views

app_name = "routing"
urlpatterns = [
    path("", views.index, name="index"),
    path("retrain/", views.retrain, name="retrain"),
    path("try/", views.try_text, name="try"),
]
