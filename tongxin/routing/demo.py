"""Demo data for this app on top of core.demo and orders.demo, made through the services.

The routing model learns only from an alliance's own handled requests: when the demo has enough
of them (services.MIN_HISTORY, with enough per class) a model is trained; otherwise none is made
and the keyword rules serve, as on a real first day. Either way seed_demo stays quick.
"""


def build_demo_routing() -> int:
    """Train the demo alliance's models when its history allows; returns how many models were activated."""
    from tongxin.orgs.models import Alliance

    from . import services
    from .models import Outcome, RoutingModel, Target, Trigger

    made = 0
    for alliance in Alliance.objects.select_related("core_organization").order_by("id"):
        if RoutingModel.objects.filter(alliance=alliance).exists():
            continue
        if not services.enough(services.label_counts(alliance, Target.CATEGORY))[0]:
            continue
        runs = services.train(alliance=alliance, trigger=Trigger.DEMO)
        made += sum(1 for r in runs if r.outcome == Outcome.ACTIVATED)
    return made
