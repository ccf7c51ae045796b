from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tongxin.orders"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "工单"

    def ready(self):
        from . import memo, tasks  # noqa: F401  (tasks registers the scheduler handlers)

        memo.connect()
