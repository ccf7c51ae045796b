import pytest

from tongxin.routing.demo import build_demo_routing
from tongxin.routing.models import RoutingModel, TrainingRun

pytestmark = pytest.mark.django_db


def test_demo_trains_only_with_enough_history(rw, history):
    history(per_class=5)
    assert build_demo_routing() == 0 and not TrainingRun.objects.exists()
    history(per_class=8, seed=1)
    assert build_demo_routing() == 2
    assert RoutingModel.objects.filter(active=True).count() == 2
    assert build_demo_routing() == 0  # idempotent
