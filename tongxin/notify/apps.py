from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "tongxin.notify"
    default_auto_field = "django.db.models.BigAutoField"
