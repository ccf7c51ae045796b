from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "tongxin.meetings"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "联席会议"

    def ready(self):
        from . import tasks  # noqa: F401  (registers the scheduler handlers)
