from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "tongxin.governance"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "共建协议"

    def ready(self):
        from . import tasks  # noqa: F401  (registers the scheduler handlers)
