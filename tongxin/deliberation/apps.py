from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    name = "tongxin.deliberation"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "党群议事"

    def ready(self):
        from . import tasks  # noqa: F401  (registers the scheduler handlers)
