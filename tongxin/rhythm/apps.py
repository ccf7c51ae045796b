from django.apps import AppConfig


class RhythmConfig(AppConfig):
    name = "tongxin.rhythm"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "一月一提示 一季一调度"

    def ready(self):
        from . import tasks  # noqa: F401
