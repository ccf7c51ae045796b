"""Demo data for this app on top of core.demo and orders.demo, made through the services.

Three topics in 宁化府社区: one resolved into a project after a consultation meeting and a closed
vote (the parking case of seed 002), one at the property-level council with an open vote, one
still in online discussion.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongxin.accounts.models import User
from tongxin.orgs.models import Organization, OrgKind
from tongxin.orgs.services import ensure_cobuilding_areas


@transaction.atomic
def build_demo_deliberation() -> int:
    from . import services
    from .models import ResolutionKind, Stage, StakeholderKind, Topic

    users = {u.username: u for u in User.objects.filter(username__in=["dispatcher", "resident", "member", "gridworker", "liaison"])
             .select_related("person")}
    if len(users) < 5 or Topic.objects.exists():
        return 0
    resident, dispatcher, member, gridworker, liaison = (users[k] for k in ("resident", "dispatcher", "member", "gridworker", "liaison"))
    community = resident.person.community
    grid = resident.person.grid
    topic0 = None
    areas = {}
    from tongxin.orders.services import alliance_for

    alliance = alliance_for(community)
    if alliance is not None:
        areas = {a.code: a for a in ensure_cobuilding_areas(alliance)}
    voters = [resident, dispatcher, member, gridworker, liaison]

    # 1. The parking case: discussed, escalated, consulted, voted, resolved into a project.
    t1 = services.raise_topic(by=resident, title="后院停车难，周边商铺员工占用居民车位",
                              description="院里没有物业，周边商铺的员工白天晚上都把车停进来，居民下班回来没有车位，消防通道也常被堵。希望大家商量个办法。",
                              community=community, grid=grid, compound="宁化府11号院", building="3号楼", area=areas.get("governance"))
    topic0 = t1
    services.add_opinion(topic=t1, by=member, text="可以和旁边的山西饭店商量，晚上把单位停车场开放给居民，白天商铺员工停院外。")
    services.add_opinion(topic=t1, by=gridworker, text="网格里统计过，院内常住户有车的约 30 户，车位只有 18 个。")
    rude = services.add_opinion(topic=t1, by=liaison, text="3号楼那个开黑色轿车的天天乱停，电话都贴出来让大家打！")
    services.hide_opinion(opinion=rude, by=dispatcher, reason="针对个人并涉及他人联系方式")
    services.escalate(topic=t1, by=dispatcher, reason="网上讨论意见分歧，需要物业和商铺一起协商")
    services.escalate(topic=t1, by=dispatcher, reason="院落无物业，需社区协调驻区单位")
    property_co = Organization.objects.filter(kind=OrgKind.PROPERTY_COMPANY, path__startswith=community.path).first()
    unit = liaison.role_assignments.first().organization
    invitees = [{"kind": StakeholderKind.RESIDENT, "person": resident.person},
                {"kind": StakeholderKind.RESIDENT, "person": gridworker.person},
                {"kind": StakeholderKind.SHOP, "name": "益源庆老陈醋店"},
                {"kind": StakeholderKind.MEMBER_UNIT, "organization": unit}]
    if property_co is not None:
        invitees.append({"kind": StakeholderKind.PROPERTY_COMPANY, "organization": property_co})
    c = services.schedule_consultation(topic=t1, by=dispatcher, title="11号院停车问题议事协商会", place="宁化府社区党群服务中心",
                                       held_at=timezone.now() - dt.timedelta(hours=2), invitees=invitees)
    inv = list(c.invitees.all())
    services.record_consultation(
        consultation=c, by=dispatcher, summary="各方同意：山西饭店夜间（19:00—次日7:00）向居民开放停车场；商铺员工白天停院外划定车位；院内重新划线并保持消防通道畅通。方案交居民投票表决。",
        attendance={i.pk: True for i in inv},
        positions={i.pk: ("同意夜间开放单位停车场" if i.kind == StakeholderKind.MEMBER_UNIT else "支持") for i in inv})
    ballot = services.create_ballot(topic=t1, by=dispatcher, question="是否同意“夜间错时停车”方案？", options=["同意", "不同意", "弃权"],
                                    closes_at=timezone.now() + dt.timedelta(days=3), secret=True)
    options = {o.label: o for o in ballot.options.all()}
    for user, choice in zip(voters, ["同意", "同意", "同意", "不同意", "同意"], strict=True):
        services.cast_vote(ballot=ballot, by=user, option=options[choice])
    services.end_ballot_now(ballot=ballot, by=dispatcher, reason="协商会后投票，已形成多数意见")
    try:
        services.resolve_topic(topic=t1, by=dispatcher, kind=ResolutionKind.PROJECT,
                               decision="实施“夜间错时停车”共建项目：山西饭店夜间开放停车场，社区负责院内划线和消防通道管理。",
                               project={"title": "宁化府11号院错时停车共建项目", "lead_unit": unit, "area": areas.get("governance")})
    except Exception:  # noqa: BLE001 - the lists app may refuse in an older checkout; fall back to a request
        t1 = Topic.objects.get(pk=t1.pk)
        if t1.stage != Stage.RESOLVED:
            services.resolve_topic(topic=t1, by=dispatcher, kind=ResolutionKind.REQUEST,
                                   decision="由社区协调山西饭店夜间开放停车场，并在院内重新划线。")

    # 2. At the property-level council, with an open vote.
    t2 = services.raise_topic(by=gridworker, title="楼道堆放杂物，存在消防隐患", community=community, grid=grid, building="5号楼",
                              description="5号楼一至三层楼道长期堆放纸箱、旧家具，电动车在楼道充电，夜里很危险。", area=areas.get("environment"))
    services.add_opinion(topic=t2, by=resident, text="建议统一清理一次，之后每月检查。")
    services.escalate(topic=t2, by=dispatcher, reason="涉及物业管理责任")
    b2 = services.create_ballot(topic=t2, by=dispatcher, question="是否同意由物业统一清理并禁止楼道充电？", options=["同意", "不同意"],
                                closes_at=timezone.now() + dt.timedelta(days=5), secret=False)
    services.cast_vote(ballot=b2, by=resident, option=b2.options.get(label="同意"))
    services.cast_vote(ballot=b2, by=gridworker, option=b2.options.get(label="同意"))

    # 3. Still in online discussion.
    t3 = services.raise_topic(by=member, title="小区健身器材损坏，建议更换并增设儿童设施", community=community,
                              description="东侧小广场的健身器材有两件已经松动，孩子们也没有可以玩的地方。", area=areas.get("welfare"))
    services.add_opinion(topic=t3, by=resident, text="赞成，最好加一个遮阳棚。")
    return 3 if topic0 is not None else 0
