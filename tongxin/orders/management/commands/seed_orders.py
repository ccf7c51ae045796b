"""Default categories for every alliance, and with --demo a few requests along the loop."""

from django.core.management.base import BaseCommand

from tongxin.orders import services
from tongxin.orgs.models import Alliance


class Command(BaseCommand):
    help = "Create the default order categories for every alliance (and demo requests with --demo)."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="also create a few demo requests (needs seed_demo)")

    def handle(self, *args, **options):
        for alliance in Alliance.objects.all():
            created = services.seed_categories(alliance=alliance)
            self.stdout.write(f"{alliance.name}: {len(created)} categories created")
        if options["demo"]:
            from tongxin.orders.demo import build_demo_orders

            n = build_demo_orders()
            self.stdout.write(f"{n} demo requests created")
