"""Scheduler handlers of the rhythm (registered from RhythmConfig.ready()).

Each alliance has at most one pending job per kind, keyed by its period
("rhythm:prompts:<alliance>:<YYYY-MM>", "rhythm:review:<alliance>:<YYYY-Qn>"); a handler does its
period's work and schedules the next period. Two scheduler instances never run one job twice
(compare-and-set claim), and even a re-run sends nothing twice (unique Prompt per unit and month,
dedupe keys on the deliveries).
"""

from django_tasks import task

from tongxin.notify import scheduler
from tongxin.orgs.models import Alliance

from . import selectors, services


def _alliance(job) -> Alliance | None:
    return Alliance.objects.select_related("core_organization").filter(pk=job.payload.get("alliance")).first()


@scheduler.register(services.PROMPT_KIND)
def monthly_prompts(job):
    alliance = _alliance(job)
    if alliance is None:
        return
    s = selectors.settings_for(alliance)
    if s.prompts_enabled:
        services.generate_prompts(alliance=alliance, period=job.payload["period"], by=None)
    services.ensure_scheduled(alliance, settings=s, now=job.due_at)


@scheduler.register(services.REVIEW_KIND)
def quarterly_review(job):
    from tongxin.notify.services import notify

    alliance = _alliance(job)
    if alliance is None:
        return
    s = selectors.settings_for(alliance)
    if s.reviews_enabled:
        quarter = job.payload["period"]
        review = services.generate_review(alliance=alliance, quarter=quarter, by=None)
        recipients = list(s.review_recipients.filter(is_active=True))
        if recipients:
            notify(recipients=recipients, verb="rhythm.review", title=f"{alliance.name} {quarter} 季度调度报告已生成",
                   body="报告中的每个数字都来自已记录的工作，可在网页上查看明细或下载 PDF。", url=f"/rhythm/reviews/{review.pk}/",
                   target=review, organization=alliance.core_organization, channels=tuple(s.channels),
                   dedupe_key=f"review:{alliance.pk}:{quarter}")
    services.ensure_scheduled(alliance, settings=s, now=job.due_at)


@task()
def render_review_pdf_task(review_id: int) -> int:
    """Render and store a review's PDF from its snapshot; returns its size in bytes (0: review gone)."""
    from .models import Review

    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        return 0
    return services.ensure_pdf(review).pdf_size
