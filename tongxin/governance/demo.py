"""Demo agreements on top of core.demo and orders.demo, made through the services: the alliance
covenant (ending soon), two co-building agreements with their responsibility lists (one
obligation overdue), fulfilment records, and the road in front of 山西饭店 (门前三包), which the
orders demo already names as the unit keeping the street in front of its door.

Dates are relative to today, so the demo looks the same whenever it is built.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongxin.accounts.models import User
from tongxin.orgs.models import Alliance, Organization
from tongxin.orgs.services import ensure_cobuilding_areas

from . import services
from .models import Agreement

# The street in front of 山西饭店, in 宁化府 community's first grid (core.demo grids: 宁化府 spans
# lng 112.532–112.550, lat 37.839–37.857): about 105 m of road, matched with a 30 m buffer.
SHANXI_HOTEL_ROAD = {"type": "LineString", "coordinates": [[112.5335, 37.8470], [112.5347, 37.8470]]}


def _org(name):
    return Organization.objects.get(name=name)


def _fulfil_past(ob, by, today, note, *, skip_last: bool = False):
    dues = [d for d in ob.dues.order_by("due_on") if d.due_on < today]
    if skip_last and dues:
        dues = dues[:-1]
    for d in dues:
        done = max(d.due_on - dt.timedelta(days=2), ob.agreement.starts_on)
        services.record_fulfilment(obligation=ob, by=by, note=note, done_on=done, due=d)


@transaction.atomic
def build_demo_governance() -> int:
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "liaison"])}
    alliance = Alliance.objects.order_by("id").first()
    if len(users) < 2 or alliance is None or Agreement.objects.exists():
        return 0
    admin, liaison = users["admin"], users["liaison"]
    today = timezone.localdate()
    areas = {a.code: a for a in ensure_cobuilding_areas(alliance)}
    hotel, school = _org("山西饭店"), _org("柳巷小学")
    ninghua, liuxiang = _org("宁化府社区党委"), _org("柳巷社区党委")
    hospital = _org("太原市第二人民医院")

    # 1. The covenant (结盟书), signed by every member; its term ends within the next two months.
    start = today - dt.timedelta(days=330)
    covenant = services.create_agreement(
        by=admin, alliance=alliance, kind="covenant", title=f"{alliance.name}结盟书", number="柳党联〔2026〕1号",
        starts_on=start, ends_on=today + dt.timedelta(days=36), signed_on=start,
        summary="成员单位在不改变原有隶属关系的前提下，共订盟约：党员联管、活动联抓、资源联用、服务联办，定期参加联席会议。")
    meet = services.add_obligation(agreement=covenant, by=admin, title="每季度参加一次联合党委联席会议", debtor=hotel,
                                   recurrence="quarterly", area=areas["party"])
    patrol = services.add_obligation(agreement=covenant, by=admin, title="抽调一人参加“回头看”监督巡查队", debtor=hospital,
                                     due_on=start + dt.timedelta(days=60), area=areas["governance"])
    services.activate(agreement=covenant, by=admin)
    _fulfil_past(meet, liaison, today, "按时参加联席会议，汇报本季度共建情况")
    services.record_fulfilment(obligation=patrol, by=admin, note="已派保卫科一名同志加入巡查队", done_on=start + dt.timedelta(days=45))

    # 2. 宁化府社区 × 山西饭店: the co-building agreement behind the 门前三包 road.
    start = today - dt.timedelta(days=300)
    coop = services.create_agreement(
        by=admin, alliance=alliance, kind="cobuilding", title="宁化府社区与山西饭店共驻共建协议书", organization=ninghua,
        parties=[ninghua, hotel], starts_on=start, ends_on=start + dt.timedelta(days=730), signed_on=start - dt.timedelta(days=3),
        summary="围绕“环境联抓、公益联办”，饭店认领门前道路，社区为饭店在职党员提供双报到岗位。")
    sweep = services.add_obligation(agreement=coop, by=admin, title="门前三包：每月清扫门前 100 米道路并劝导占道经营", debtor=hotel,
                                    recurrence="monthly", area=areas["environment"])
    meal = services.add_obligation(agreement=coop, by=admin, title="为社区困难老人提供爱心午餐", debtor=hotel, recurrence="yearly",
                                   area=areas["welfare"])
    posts = services.add_obligation(agreement=coop, by=admin, title="为饭店在职党员提供双报到服务岗位", debtor=ninghua,
                                    due_on=start + dt.timedelta(days=90), area=areas["party"])
    services.activate(agreement=coop, by=admin)
    _fulfil_past(sweep, liaison, today, "组织职工清扫门前道路，劝离占道摊点")
    _fulfil_past(meal, liaison, today, "重阳节为 30 位困难老人送去爱心午餐")
    services.record_fulfilment(obligation=posts, by=admin, note="设立文明劝导、助老送餐两个岗位，8 名党员认领", done_on=start + dt.timedelta(days=80))
    services.create_segment(by=admin, alliance=alliance, unit=hotel, name="山西饭店门前道路", geometry=SHANXI_HOTEL_ROAD, buffer_m=30,
                            agreement=coop)

    # 3. 柳巷社区 × 柳巷小学: one obligation is overdue.
    start = today - dt.timedelta(days=240)
    school_ag = services.create_agreement(
        by=admin, alliance=alliance, kind="cobuilding", title="柳巷社区与柳巷小学共驻共建协议书", organization=liuxiang,
        parties=[liuxiang, school], starts_on=start, ends_on=start + dt.timedelta(days=365), signed_on=start,
        summary="学校寒暑假向社区开放操场，社区组织志愿者参与护学岗。")
    field = services.add_obligation(agreement=school_ag, by=admin, title="暑假向社区青少年开放操场", debtor=school,
                                    due_on=start + dt.timedelta(days=150), area=areas["activities"])
    services.add_obligation(agreement=school_ag, by=admin, title="开展一次“安全教育进社区”活动", debtor=school,
                            due_on=today - dt.timedelta(days=20), area=areas["governance"])
    services.add_obligation(agreement=school_ag, by=admin, title="组织志愿者参与上下学护学岗", debtor=liuxiang, recurrence="monthly",
                            area=areas["welfare"])
    services.activate(agreement=school_ag, by=admin)
    services.record_fulfilment(obligation=field, by=admin, note="7 月至 8 月每天下午开放操场，约 300 人次", done_on=start + dt.timedelta(days=140))
    for ob in school_ag.obligations.filter(recurrence="monthly"):
        _fulfil_past(ob, admin, today, "护学岗每天早晚各 2 人")
    return 3
