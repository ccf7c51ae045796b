from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tongxin.orders"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "工单"

    def ready(self):
        from . import tasks  # noqa: F401  (registers the scheduler handlers)
