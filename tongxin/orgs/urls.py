from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.org_list, name="list"),
    path("new/", views.org_create, name="create"),
    path("people-options/", views.person_options, name="person_options"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/move/", views.org_move, name="move"),
    path("<int:pk>/archive/", views.org_archive, name="archive"),
    path("<int:pk>/restore/", views.org_restore, name="restore"),
    path("<int:pk>/delete/", views.org_delete, name="delete"),
    path("alliances/", views.alliance_list, name="alliances"),
    path("alliances/new/", views.alliance_create, name="alliance_create"),
    path("alliances/<int:pk>/", views.alliance_detail, name="alliance"),
    path("alliances/<int:pk>/edit/", views.alliance_edit, name="alliance_edit"),
    path("alliances/<int:pk>/members/new/", views.member_add, name="member_add"),
    path("alliances/<int:pk>/members/<int:mid>/edit/", views.membership_edit, name="membership_edit"),
    path("alliances/<int:pk>/members/<int:mid>/end/", views.membership_end, name="membership_end"),
    path("alliances/<int:pk>/duty-chairs/new/", views.duty_chair_add, name="duty_chair_add"),
    path("alliances/<int:pk>/departments/new/", views.department_save, name="department_add"),
    path("alliances/<int:pk>/departments/<int:did>/edit/", views.department_save, name="department_edit"),
]
