from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "tongxin.lists"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "三张清单与共建项目"

    def ready(self):
        from . import tasks  # noqa: F401  (registers the scheduler handlers)
