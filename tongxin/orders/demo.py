"""A few demo requests on top of core.demo (logins dispatcher, liaison, resident, member), made
through the services so they carry the same events as real use."""

from django.db import transaction

from tongxin.accounts.models import User
from tongxin.orders import memo, services
from tongxin.orders.models import Category, Kind, ServiceRequest
from tongxin.orgs.models import Organization

# Default responsible units of a few categories (the alliance admin edits them on /orders/categories/).
# 山西饭店 keeps the street in front of its door (门前三包), so street-order problems go to it first.
DEFAULT_UNITS = {"street_order": "山西饭店", "municipal": "国网迎泽供电中心", "property": "宁化府小区业主委员会"}

TEXTS = [
    ("小区东门路灯坏了三天，晚上很黑", "publish"),
    ("楼道里堆满纸箱杂物，有消防隐患", "done"),
    ("家里独居老人行动不便，希望有人帮忙买菜", "accepted"),
    ("路边有流动摊贩占道经营，影响通行", "dispatched"),
    ("小区里树枝快压到电线了，需要修剪", "submitted"),
    ("楼上邻居装修噪音太大，晚上十点还在施工", "submitted"),
]


@transaction.atomic
def build_demo_orders() -> int:
    users = {u.username: u for u in User.objects.filter(username__in=["dispatcher", "liaison", "resident", "member"])}
    if len(users) < 4 or ServiceRequest.objects.exists():
        return 0
    for code, unit_name in DEFAULT_UNITS.items():
        unit = Organization.objects.filter(name=unit_name).first()
        if unit is not None:
            Category.objects.filter(code=code, default_unit__isnull=True).update(default_unit=unit)
    memo.clear()
    resident, dispatcher, liaison, member = users["resident"], users["dispatcher"], users["liaison"], users["member"]
    unit = liaison.role_assignments.first().organization
    n = 0
    for text, until in TEXTS:
        req = services.submit_request(by=resident, text=text)
        n += 1
        if until == "submitted":
            continue
        services.dispatch(req=req, by=dispatcher, unit=unit, use_suggestion=True)
        if until == "dispatched":
            continue
        services.accept(req=req, by=liaison)
        if until == "accepted":
            continue
        services.update_progress(req=req, by=liaison, note="已安排人员到现场查看")
        services.complete(req=req, by=liaison, result="已处理完毕，现场已恢复正常")
        if until == "done":
            continue
        services.rate(req=req, by=resident, rating=5, comment="处理得很及时，谢谢")
        services.publish(req=req, by=dispatcher)
    wish = services.submit_request(by=resident, kind=Kind.WISH, text="希望有人教我用智能手机在网上挂号")
    services.post_wish(req=wish, by=dispatcher)
    wish2 = services.submit_request(by=resident, kind=Kind.WISH, text="孩子想要几本课外读物")
    services.post_wish(req=wish2, by=dispatcher)
    services.claim_wish(req=wish2, by=member)
    # Two practical tasks for the masses (我为群众办实事) on their public list: one in hand, one done.
    community = dispatcher.role_assignments.first().organization
    for title, text, done in (
        ("为老旧楼栋加装楼道扶手", "为6栋、7栋的老人在楼道加装扶手，年底前完成", False),
        ("社区便民理发日", "每月第一个周六在社区活动室为老人免费理发", True),
    ):
        task = services.submit_request(by=dispatcher, kind=Kind.PRACTICAL, title=title, text=text, community=community,
                                       channel="visit")
        services.dispatch(req=task, by=dispatcher, unit=unit, use_suggestion=True)
        services.accept(req=task, by=liaison)
        if done:
            services.complete(req=task, by=liaison, result="已连续开展三期，为 60 多位老人理发")
    return n + 4
