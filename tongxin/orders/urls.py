from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.submit, name="new"),
    path("place/", views.place, name="place"),
    path("mine/", views.mine, name="mine"),
    path("track/", views.track_lookup, name="track_lookup"),
    path("t/<str:number>/", views.track, name="track"),
    path("go/<str:number>/", views.go, name="go"),
    path("t/<str:number>/<str:action>/", views.resident_action, name="resident_action"),
    path("inbox/", views.inbox, name="inbox"),
    path("unit/", views.unit_inbox, name="unit_inbox"),
    path("wall/", views.wall, name="wall"),
    path("wishes/", views.wishes, name="wishes"),
    path("practical/", views.practical, name="practical"),
    path("figures/", views.figures, name="figures"),
    path("categories/", views.categories, name="categories"),
    path("categories/new/", views.category_edit, name="category_new"),
    path("categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/active/", views.category_active, name="category_active"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
]
