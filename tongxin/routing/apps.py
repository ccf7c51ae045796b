from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "tongxin.routing"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "智能分派"

    def ready(self):
        from django.db.models.signals import post_save

        from tongxin.orders.models import RequestEvent

        from . import tasks  # noqa: F401  (registers the scheduler handler)

        post_save.connect(_request_event_saved, sender=RequestEvent, dispatch_uid="routing.note_handled")


def _request_event_saved(sender, instance, created, **kwargs):
    """A request reached "done": maybe schedule a training (services.note_handled)."""
    if created and instance.to_status == "done" and not kwargs.get("raw"):
        from . import services

        services.note_handled(instance.request)
