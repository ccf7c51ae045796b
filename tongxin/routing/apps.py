from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "tongxin.routing"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "智能分派"
