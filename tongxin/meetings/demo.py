"""Demo data for this app on top of core.demo and orders.demo, made through the services:
a monthly working-meeting series whose last past meeting was held (attendance, minutes, two
decisions, two action items for the liaison's unit, one of them overdue), and an upcoming
quarterly joint meeting with agenda items proposed by the liaison."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongxin.accounts.models import User
from tongxin.orgs.models import Alliance

from . import services
from .models import Meeting, MeetingSeries, MeetingStatus


@transaction.atomic
def build_demo_meetings() -> int:
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "liaison"])}
    if len(users) < 2 or MeetingSeries.objects.exists():
        return 0
    admin, liaison = users["admin"], users["liaison"]
    street = admin.role_assignments.first().organization
    alliance = Alliance.objects.filter(core_organization=street).order_by("id").first()
    if alliance is None:
        return 0
    unit = liaison.role_assignments.first().organization
    today = timezone.localdate()
    series = services.create_series(
        by=admin, alliance=alliance, kind="monthly", title="联盟月度工作例会", rrule="FREQ=MONTHLY;BYDAY=1TU;COUNT=8",
        starts_on=today - dt.timedelta(days=62), start_time=dt.time(9, 30), duration_minutes=90, location="街道党群服务中心二楼会议室",
        agenda_days=3,
    )
    past = series.meetings.filter(starts_at__lt=timezone.now()).order_by("-starts_at")
    held = past.first()
    if held is not None:
        for inv in held.invitations.select_related("user").order_by("id")[:6]:
            services.check_in(by=admin, invitation=inv)
        for inv in held.invitations.filter(checked_in_at__isnull=True).order_by("id")[:1]:
            services.mark_absent(by=admin, invitation=inv, reason="外出参加区里培训")
        services.record_minutes(by=admin, meeting=held, text=(
            "一、轮值主席单位通报上月联盟工作开展情况。\n"
            "二、各成员单位汇报“双报到”和认领项目进展。\n"
            "三、议定下月重点工作：楼道堆物整治、老年人助餐点共建。"))
        d1 = services.add_decision(by=admin, meeting=held, text="开展老旧小区楼道堆物集中整治")
        d2 = services.add_decision(by=admin, meeting=held, text="共建一处老年人助餐点")
        services.assign_action(by=admin, decision=d1, title="组织志愿者清理三号院楼道堆物", owner=unit,
                               due_on=today - dt.timedelta(days=5), note="联系社区网格员一同入户")
        services.assign_action(by=admin, decision=d2, title="提交助餐点场地和人员方案", owner=unit,
                               due_on=today + dt.timedelta(days=20))
    start = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=21), dt.time(14, 30)))
    quarterly = services.schedule_meeting(by=admin, alliance=alliance, kind="quarterly", title=f"{today.year}年第四季度联席会议",
                                          starts_at=start, duration_minutes=120, location="街道党群服务中心报告厅", agenda_days=7)
    services.propose_agenda_item(by=admin, meeting=quarterly, title="通报本季度联盟工作和“三张清单”完成情况")
    a = services.propose_agenda_item(by=liaison, meeting=quarterly, title="医院义诊进社区常态化安排",
                                     description="每月第二个周六在社区党群服务中心开展义诊，需要社区提供场地。")
    services.decide_agenda_item(by=admin, item=a, accept=True)
    services.propose_agenda_item(by=liaison, meeting=quarterly, title="错时停车：开放单位停车场给周边居民夜间使用")
    return 2 + Meeting.objects.filter(series=series, status=MeetingStatus.HELD).count()
