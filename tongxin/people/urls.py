from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/archive/", views.person_archive, name="archive"),
    path("<int:pk>/reveal/<str:field>/", views.person_reveal, name="reveal"),
    path("<int:pk>/roles/", views.role_add, name="role_add"),
    path("<int:pk>/roles/<int:role_pk>/end/", views.role_end, name="role_end"),
    path("<int:pk>/party/", views.party_profile_edit, name="party"),
]
