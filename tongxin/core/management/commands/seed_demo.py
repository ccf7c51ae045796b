from django.core.management.base import BaseCommand

from tongxin.accounts.models import Role
from tongxin.core.demo import DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = "Load the deterministic demo alliance (1+9+N) with people, grids and one login per role."

    def handle(self, *args, **options):
        result = build_demo()
        if result is None:
            self.stdout.write("演示数据已存在 (demo data already loaded).")
            accounts = None
        else:
            accounts = result["accounts"]
            self.stdout.write(self.style.SUCCESS(f"已创建演示联盟：{result['alliance'].name}"))
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）/ demo logins (password {DEMO_PASSWORD}):")
        rows = accounts or [
            ("admin", "alliance_admin", "柳巷街道党工委", ""), ("dispatcher", "dispatcher", "宁化府社区党委", ""),
            ("dispatcher2", "dispatcher", "柳巷社区党委", ""), ("liaison", "liaison", "山西饭店", ""),
            ("gridworker", "grid_worker", "宁化府社区党委", ""), ("member", "party_member", "宁化府社区第一党支部", ""),
            ("resident", "resident", "宁化府社区党委", ""),
        ]
        for username, role, org, _phone in rows:
            self.stdout.write(f"  {username:<12} {Role(role).label:<8} {org}")
