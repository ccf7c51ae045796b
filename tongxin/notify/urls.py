from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("email/", views.email, name="email"),
    path("read-all/", views.read_all, name="read_all"),
    path("<int:pk>/read/", views.read, name="read"),
    path("<int:pk>/open/", views.open_notification, name="open"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
    path("webhooks/<int:pk>/toggle/", views.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
]
