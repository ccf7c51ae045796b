"""Demo for the rhythm: default settings for the demo alliance (committee members get the monthly
summary and the quarterly review), the next runs scheduled, and this month's prompts sent, so the
demo liaison finds the prompt in the notification inbox. Quick: a few dozen queries."""

from django.db import transaction

from tongxin.accounts.models import User
from tongxin.core.demo import ALLIANCE_NAME
from tongxin.orgs.models import Alliance

from . import periods, selectors, services
from .models import Prompt


@transaction.atomic
def build_demo_rhythm() -> int:
    """Create the demo rows; returns how many top-level objects were made (0 when already there)."""
    alliance = Alliance.objects.filter(name=ALLIANCE_NAME).select_related("core_organization").first()
    admin = User.objects.filter(username="admin").first()
    if alliance is None or admin is None:
        return 0
    period = periods.month_of(periods.today())
    if Prompt.objects.filter(alliance=alliance, period=period).exists():
        return 0
    selectors.settings_for(alliance)
    services.save_settings(alliance=alliance, by=admin, reason="演示数据：默认设置", prompt_day=1, channels=["inbox"],
                           extra_recipients=[admin.pk], review_day=5, review_recipients=[admin.pk])
    stats = services.generate_prompts(alliance=alliance, period=period, by=admin)
    return 1 + stats["created"]
