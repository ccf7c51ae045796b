from django.urls import path

from . import views

app_name = "dataio"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/confirm/", views.job_confirm, name="confirm"),
    path("templates/<str:kind>.xlsx", views.template_download, name="template"),
    path("exports/<str:kind>.xlsx", views.export, name="export"),
]
