"""`python manage.py run_scheduler [--once] [--interval 30]`: run due scheduled jobs and retries.

Safe to run on several machines at once (jobs are claimed with compare-and-set).
"""

import signal
import time

from django.core.management.base import BaseCommand

from tongxin.notify import scheduler


class Command(BaseCommand):
    help = "Run due scheduled jobs (deadlines, reminders) and notification retries."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit (for cron)")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes (default 30)")
        parser.add_argument("--limit", type=int, default=100, help="jobs per pass (default 100)")
        parser.add_argument("--worker", default="", help="name recorded in claimed_by (default host:pid)")

    def handle(self, *args, once=False, interval=30.0, limit=100, worker="", **options):
        worker = worker or scheduler.default_worker_name()
        stop = {"now": False}

        def _stop(*_):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        while True:
            result = scheduler.run_cycle(worker=worker, limit=limit)
            if result["ran"] or result["deliveries"] or result["released"] or once:
                self.stdout.write(f"ran {result['ran']} jobs, queued {result['deliveries']} deliveries, "
                                  f"released {result['released']} stale claims")
            if once or stop["now"]:
                return
            # Sleep in small steps so a signal stops the loop quickly.
            waited = 0.0
            while waited < interval and not stop["now"]:
                time.sleep(min(1.0, interval - waited))
                waited += 1.0
            if stop["now"]:
                return
