from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "tongxin.notify"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import digest  # noqa: F401  (registers the "notify.digest" scheduler handler)
