"""Arm the next monthly prompt and quarterly review jobs of every alliance (idempotent).

Saving an alliance's rhythm settings arms them too, and each job arms the next one; run this once
after installing (or from cron) so an alliance whose settings were never opened is scheduled as well.
"""

from django.core.management.base import BaseCommand

from tongxin.orgs.models import Alliance
from tongxin.rhythm import services


class Command(BaseCommand):
    help = "Schedule the next monthly prompts and quarterly review of every alliance"

    def handle(self, *args, **options):
        n = 0
        for alliance in Alliance.objects.select_related("core_organization").order_by("id"):
            services.ensure_scheduled(alliance)
            n += 1
        self.stdout.write(f"{n} alliance(s) scheduled")
