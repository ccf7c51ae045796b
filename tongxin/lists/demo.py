"""Demo data for this app on top of core.demo and orders.demo, made through the services:
a few resources of member units, needs of the first community, two campaigns and two projects
(one completed brand project, shown on the results wall, and one in progress with milestones)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongxin.accounts.models import User
from tongxin.orgs.models import Alliance, AllianceMembership
from tongxin.orgs.services import ensure_cobuilding_areas

from . import services
from .models import Resource

SAT_MORNING = [{"weekday": 5, "start": "09:00", "end": "12:00"}]
WEEKDAY_NOON = [{"weekday": d, "start": "11:00", "end": "13:00"} for d in range(5)]
EVENINGS = [{"weekday": d, "start": "18:00", "end": "23:00"} for d in range(7)]


@transaction.atomic
def build_demo_lists() -> int:
    """Create the demo rows; returns how many top-level objects were made (0 when already there)."""
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "dispatcher", "liaison"])}
    alliance = Alliance.objects.order_by("id").first()
    if len(users) < 3 or alliance is None or Resource.objects.exists():
        return 0
    admin, dispatcher, liaison = users["admin"], users["dispatcher"], users["liaison"]
    areas = {a.code: a for a in ensure_cobuilding_areas(alliance)}
    own_unit = liaison.role_assignments.first().organization
    community = dispatcher.role_assignments.first().organization
    others = [m.organization for m in AllianceMembership.objects.filter(alliance=alliance, left_on__isnull=True, role="member_unit")
              .select_related("organization").order_by("id") if m.organization_id != own_unit.pk][:4]
    property_c = services.save_campaign(by=admin, alliance=alliance, name="区域化党建+红色物业", description="党建引领物业服务，解决小区停车、环境等难题",
                                        starts_on=dt.date(2026, 3, 1))
    jobs_c = services.save_campaign(by=admin, alliance=alliance, name="区域化党建+就业", description="驻区单位提供岗位和技能培训，服务居民就业",
                                    starts_on=dt.date(2026, 5, 1))
    n = 2
    r_meals = services.save_resource(by=liaison, unit=own_unit, kind="volunteer", title="爱心助餐志愿服务", capacity=20,
                                     description="单位党员志愿者为社区独居老人、高龄老人提供午餐助餐和送餐上门服务",
                                     availability=WEEKDAY_NOON, address=own_unit.address, area=areas["welfare"],
                                     contact_name="李经理", contact_phone="13803510001")
    services.save_resource(by=liaison, unit=own_unit, kind="venue", title="三楼多功能会议室", capacity=60,
                           description="可用于党课、居民议事会和培训活动，有投影和音响", availability=SAT_MORNING,
                           address=own_unit.address, area=areas["party"], conditions="提前三天预约，活动结束后恢复原状")
    n += 2
    if others:
        services.save_resource(by=admin, unit=others[0], kind="parking", title="夜间共享停车位", capacity=30,
                               description="单位停车场夜间向周边小区居民开放停车，缓解停车难", availability=EVENINGS,
                               area=areas["governance"], campaigns=[property_c], contact_phone="13803510002")
        n += 1
    if len(others) > 1:
        services.save_resource(by=admin, unit=others[1], kind="jobs", title="社区就业岗位", capacity=8,
                               description="提供保洁、保安、收银等就业岗位，优先录用社区困难家庭居民", availability=WEEKDAY_NOON,
                               campaigns=[jobs_c])
        services.save_resource(by=admin, unit=others[1], kind="training", title="电商直播技能培训", capacity=40,
                               description="免费电商直播与智能手机使用技能培训，帮助居民就业创业", availability=SAT_MORNING,
                               campaigns=[jobs_c])
        n += 2
    if len(others) > 2:
        services.save_resource(by=admin, unit=others[2], kind="professional", title="法律咨询与纠纷调解", capacity=10,
                               description="律师党员每月到社区提供法律咨询、邻里纠纷调解服务", availability=SAT_MORNING,
                               area=areas["governance"])
        n += 1
    need_meals = services.save_need(by=dispatcher, community=community, title="独居老人午餐助餐", quantity=15, urgency="high",
                                    description="社区有独居、高龄老人午餐无人照料，需要助餐送餐志愿服务", beneficiaries="独居高龄老人",
                                    area=areas["welfare"], wanted_windows=WEEKDAY_NOON)
    services.save_need(by=dispatcher, community=community, title="小区夜间停车难", quantity=25, description="老旧小区车位不足，居民晚上停车难",
                       beneficiaries="小区有车居民", area=areas["governance"], campaigns=[property_c])
    services.save_need(by=dispatcher, community=community, title="困难家庭就业帮扶", quantity=5, description="低保和困难家庭成员希望找到就业岗位",
                       beneficiaries="困难家庭", campaigns=[jobs_c])
    n += 3
    # A completed brand project (on the results wall) and one in progress with milestones.
    done = services.create_project(by=liaison, alliance=alliance, title="红色助餐·暖心食堂", lead_unit=own_unit, source="units",
                                   area=areas["welfare"], description="成员单位食堂为社区老人提供助餐服务，党员志愿者送餐上门")
    services.update_project(by=admin, project=done, brand=True, budget=50000, needs=[need_meals], resources=[r_meals],
                            participants=others[:1], campaigns=[])
    today = timezone.localdate()
    services.add_milestone(by=liaison, project=done, title="食堂改造完成", due_on=today - dt.timedelta(days=60))
    services.transition(by=admin, project=done, action="approve")
    services.transition(by=liaison, project=done, action="start")
    for m in done.milestones.all():
        services.complete_milestone(by=liaison, milestone=m, done_on=m.due_on)
    services.transition(by=liaison, project=done, action="complete", outcome="暖心食堂开业半年，每天为 45 位老人提供午餐，其中 12 位由党员志愿者送餐上门。",
                        beneficiaries=45, figures={"供餐人次": 5200, "党员志愿者": 18})
    going = services.create_project(by=admin, alliance=alliance, title="共享车位进小区", lead_unit=others[0] if others else own_unit,
                                    source="street", area=areas["governance"], description="驻区单位夜间开放停车场，缓解老旧小区停车难")
    services.update_project(by=admin, project=going, campaigns=[property_c], budget=8000)
    services.transition(by=admin, project=going, action="approve")
    services.transition(by=admin, project=going, action="start")
    services.add_milestone(by=admin, project=going, title="签订共享停车协议", due_on=today + dt.timedelta(days=14))
    services.add_milestone(by=admin, project=going, title="车位标识和门禁调试", due_on=today + dt.timedelta(days=30))
    return n + 2
