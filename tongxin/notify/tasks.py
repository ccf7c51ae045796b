"""Background tasks (django_tasks API: database backend by default, rq when configured).

Run a worker with `python manage.py db_worker` (database backend) or `python manage.py rqworker`
(rq backend), next to `python manage.py run_scheduler`.
"""

from django_tasks import task


@task()
def deliver_notification(notification_id: int) -> str:
    from .services import attempt_delivery

    return attempt_delivery(notification_id)
