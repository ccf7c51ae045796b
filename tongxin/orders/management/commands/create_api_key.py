"""python manage.py create_api_key --name NAME [--org ORG] — prints the key as its last line.

ORG is an organisation id or exact name; it may be left out when there is one alliance (the
alliance's core organisation is used). The key works for /api/v1/ (Bearer or X-Api-Key) and as
the Open311 api_key.
"""

from django.core.management.base import BaseCommand, CommandError

from tongxin.accounts.models import User
from tongxin.core.errors import DomainError
from tongxin.orders import services
from tongxin.orgs.models import Alliance, Organization


class Command(BaseCommand):
    help = "Create an integration API key (Open311 and REST) and print it on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="name of the system that will use the key")
        parser.add_argument("--org", default="", help="organisation id or exact name (optional with one alliance)")

    def handle(self, *args, name, org, **options):
        if org:
            qs = Organization.objects.filter(pk=int(org)) if org.isdigit() else Organization.objects.filter(name=org)
            organization = qs.filter(archived_at__isnull=True).first()
            if organization is None:
                raise CommandError(f"组织“{org}”不存在")
        else:
            alliances = list(Alliance.objects.select_related("core_organization")[:2])
            if len(alliances) != 1:
                raise CommandError("有多个联盟（或还没有联盟），请用 --org 指定组织")
            organization = alliances[0].core_organization
        system = User.objects.filter(username="system", is_superuser=True).first() or User.objects.create(
            username="system", is_superuser=True, is_active=False)
        try:
            client, key = services.create_integration(name=name, organization=organization, by=system)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"接入系统：{client.name}（{organization.name}）")
        self.stdout.write("密钥只显示这一次，请妥善保存：")
        self.stdout.write(key)
