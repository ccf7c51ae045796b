from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tongxin.orders"
    default_auto_field = "django.db.models.BigAutoField"
