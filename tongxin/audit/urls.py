from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [path("<str:kind>/<int:pk>/", views.history, name="history")]
