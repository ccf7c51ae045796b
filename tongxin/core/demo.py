"""A deterministic demo alliance modelled on seed 002 (柳巷街道 "1+9+N" 党建联盟).

Everything is created through the services, so the demo exercises the same validation
and leaves the same event rows as real use.
"""

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction

from tongxin.accounts.models import Role, User
from tongxin.accounts.services import assign_role
from tongxin.core.validators import id_check_digit
from tongxin.grids.models import GridLevel
from tongxin.grids.services import create_grid
from tongxin.orgs import services as orgs
from tongxin.orgs.models import Alliance, OrgKind
from tongxin.people import services as people
from tongxin.people.models import MemberStatus, RoleTag

DEMO_PASSWORD = "tongxin2026"
ALLIANCE_NAME = "柳巷街道“1+9+N”党建联盟"

COMMUNITIES = ["宁化府", "柳巷", "桥头街", "校尉营", "钟楼街", "南华门", "靛花巷", "起凤街", "新民街"]

# (name, kind, community index, original affiliation, has own party org kind)
UNITS = [
    ("山西饭店", OrgKind.STATE_ENTERPRISE, 0, "迎泽区国资委党委", OrgKind.GENERAL_BRANCH),
    ("太原新时代志愿服务中心", OrgKind.SOCIAL_ORGANIZATION, 0, "太原市关工委", OrgKind.BRANCH),
    ("迎泽区税务局柳巷税务所", OrgKind.AGENCY, 1, "迎泽区税务局党委", OrgKind.BRANCH),
    ("柳巷小学", OrgKind.SCHOOL, 1, "迎泽区教育局党委", OrgKind.BRANCH),
    ("太原市第二人民医院", OrgKind.HOSPITAL, 2, "太原市卫健委党委", OrgKind.GENERAL_BRANCH),
    ("交通银行柳巷支行", OrgKind.STATE_ENTERPRISE, 2, "交通银行太原分行党委", OrgKind.BRANCH),
    ("华润万家钟楼店", OrgKind.PRIVATE_ENTERPRISE, 4, "迎泽区非公企业党委", OrgKind.BRANCH),
    ("钟楼街派出所", OrgKind.AGENCY, 4, "迎泽公安分局党委", OrgKind.BRANCH),
    ("康乐物业公司", OrgKind.PROPERTY_COMPANY, 0, "迎泽区物业行业党委", OrgKind.BRANCH),
    ("宁化府小区业主委员会", OrgKind.OWNERS_COMMITTEE, 0, "", None),
    ("益源庆老陈醋店", OrgKind.INDIVIDUAL_BUSINESS, 0, "", None),
    ("迎泽区图书馆", OrgKind.PUBLIC_INSTITUTION, 3, "迎泽区文旅局党组", OrgKind.BRANCH),
    ("太原五中", OrgKind.SCHOOL, 3, "太原市教育局党委", OrgKind.GENERAL_BRANCH),
    ("南华门社区卫生服务站", OrgKind.PUBLIC_INSTITUTION, 5, "迎泽区卫健局党委", OrgKind.BRANCH),
    ("晋商银行南华门支行", OrgKind.STATE_ENTERPRISE, 5, "晋商银行党委", OrgKind.BRANCH),
    ("靛花巷律师事务所", OrgKind.PRIVATE_ENTERPRISE, 6, "迎泽区律师行业党委", OrgKind.BRANCH),
    ("起凤街幼儿园", OrgKind.SCHOOL, 7, "迎泽区教育局党委", OrgKind.BRANCH),
    ("新民街农贸市场", OrgKind.PRIVATE_ENTERPRISE, 8, "迎泽区市场监管局党组", OrgKind.BRANCH),
    ("迎泽区市场监管所", OrgKind.AGENCY, 8, "迎泽区市场监管局党组", OrgKind.BRANCH),
    ("红星物业公司", OrgKind.PROPERTY_COMPANY, 6, "迎泽区物业行业党委", OrgKind.BRANCH),
    ("柳巷商会", OrgKind.SOCIAL_ORGANIZATION, 1, "迎泽区工商联党委", OrgKind.BRANCH),
    ("钟楼街书画社", OrgKind.CLUB, 4, "", None),
    ("桥头街老年合唱团", OrgKind.CLUB, 2, "", None),
    ("中国移动柳巷营业厅", OrgKind.STATE_ENTERPRISE, 1, "中国移动太原分公司党委", OrgKind.BRANCH),
    ("山西大医院门诊部", OrgKind.HOSPITAL, 7, "山西白求恩医院党委", OrgKind.BRANCH),
    ("迎泽区城管执法队", OrgKind.AGENCY, 3, "迎泽区城管局党组", OrgKind.BRANCH),
    ("校尉营小区业主委员会", OrgKind.OWNERS_COMMITTEE, 3, "", None),
    ("新民街便民超市", OrgKind.INDIVIDUAL_BUSINESS, 8, "", None),
    ("太原日报社", OrgKind.PUBLIC_INSTITUTION, 5, "太原日报社党委", OrgKind.GENERAL_BRANCH),
    ("国网迎泽供电中心", OrgKind.STATE_ENTERPRISE, 6, "国网太原供电公司党委", OrgKind.BRANCH),
    ("起凤街物业服务中心", OrgKind.PROPERTY_COMPANY, 7, "迎泽区物业行业党委", OrgKind.BRANCH),
    ("柳巷青年创业协会", OrgKind.SOCIAL_ORGANIZATION, 1, "迎泽区团委", OrgKind.BRANCH),
]

TEAMS = ["红色物业志愿服务队", "银龄党员志愿服务队", "矛盾调解小组", "文明城市创建队", "助老助残服务队", "青年突击队"]
DEPARTMENTS = [("组织部", "负责组织共建、成员单位联络与党员双报到"), ("宣传部", "负责晒单、宣传与成果展示"),
               ("服务部", "负责资源清单、需求清单和项目清单"), ("治理部", "负责网格治理、门前三包和问题整改")]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕红梅玉兰春梅德明淑珍凤英晓东丽华卫东国庆永红"

CENTER = (112.5590, 37.8660)  # lng, lat near 柳巷, Taiyuan
STEP = 0.006


def _rect(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


class DemoBuilder:
    def __init__(self, seed: int = 2026):
        self.rng = random.Random(seed)
        self.phone_seq = 0
        self.id_seq = 0
        self.used_names: set[str] = set()
        self.system = User.objects.filter(username="system").first() or User.objects.create(
            username="system", is_superuser=True, is_staff=False, is_active=False
        )
        self.system.set_unusable_password()
        self.system.save()

    def name(self) -> str:
        while True:
            n = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
            if n not in self.used_names:
                self.used_names.add(n)
                return n

    def phone(self) -> str:
        self.phone_seq += 1
        return f"139{self.phone_seq:08d}"

    def id_number(self, born: dt.date, sex: str) -> str:
        self.id_seq += 1
        seq = self.id_seq % 500 * 2 + (1 if sex == "M" else 0)
        first17 = f"140106{born:%Y%m%d}{seq:03d}"
        return first17 + id_check_digit(first17)

    def person(self, org, *, community=None, grid=None, tags=(), age=(25, 80)):
        sex = self.rng.choice("MF")
        born = dt.date(2026 - self.rng.randint(*age), self.rng.randint(1, 12), self.rng.randint(1, 28))
        return people.create_person(
            by=self.system, organization=org, name=self.name(), phone=self.phone(), id_number=self.id_number(born, sex),
            address=f"太原市迎泽区{(community or org).name[:3]}{self.rng.randint(1, 60)}号院{self.rng.randint(1, 12)}号楼",
            ethnicity="汉族", education=self.rng.choice(["高中", "大专", "本科", "硕士", "初中"]),
            community=community, grid=grid, tags=tags, reason="演示数据",
        )

    @transaction.atomic
    def build(self) -> dict:
        S = self.system
        street = orgs.create_organization(by=S, parent=None, name="柳巷街道党工委", kind=OrgKind.STREET_COMMITTEE,
                                          address="太原市迎泽区柳巷南路", original_affiliation="迎泽区委")
        joint = orgs.create_organization(by=S, parent=street, name="柳巷街道区域化党建协调委员会", kind=OrgKind.JOINT_COMMITTEE,
                                         description="非建制虚拟党组织：不改变成员单位原有党组织隶属关系和党员组织关系")
        alliance = orgs.create_alliance(by=S, core_organization=street, name=ALLIANCE_NAME, structure_label="1+9+N",
                                        founded_on=dt.date(2021, 7, 1),
                                        description="以街道党工委为中心、9个社区党委为基础、辖区N个共建单位参与。联建内容：党建联创、公益联办、活动联谊、治理联防、环境联抓。")
        # Grids: one street polygon, 3×3 communities, 3 grids each, 2 micro-grids per grid.
        x0, y0 = CENTER[0] - 4.5 * STEP, CENTER[1] - 4.5 * STEP
        street_grid = create_grid(by=S, name="柳巷街道", code="LX", level=GridLevel.STREET, organization=street,
                                  geometry=_rect(x0, y0, x0 + 9 * STEP, y0 + 9 * STEP))
        communities, branches, grids = [], {}, {}
        for i, cname in enumerate(COMMUNITIES):
            com = orgs.create_organization(by=S, parent=street, name=f"{cname}社区党委", kind=OrgKind.COMMUNITY_COMMITTEE,
                                           address=f"太原市迎泽区{cname}", original_affiliation="柳巷街道党工委")
            communities.append(com)
            orgs.add_member(alliance=alliance, organization=com, by=S, joined_on=dt.date(2021, 7, 1), role="community")
            branches[i] = [
                orgs.create_organization(by=S, parent=com, name=f"{cname}社区第一党支部", kind=OrgKind.BRANCH),
                orgs.create_organization(by=S, parent=com, name=f"{cname}社区离退休党支部", kind=OrgKind.BRANCH),
            ]
            cx, cy = x0 + (i % 3) * 3 * STEP, y0 + (i // 3) * 3 * STEP
            cgrid = create_grid(by=S, name=f"{cname}社区", code=f"LX{i + 1:02d}", level=GridLevel.COMMUNITY, organization=com,
                                parent=street_grid, geometry=_rect(cx, cy, cx + 3 * STEP, cy + 3 * STEP))
            grids[i] = []
            for g in range(3):
                gx = cx + g * STEP
                grid = create_grid(by=S, name=f"{cname}第{g + 1}网格", code=f"LX{i + 1:02d}{g + 1:02d}", level=GridLevel.GRID,
                                   organization=com, parent=cgrid, geometry=_rect(gx, cy, gx + STEP, cy + 3 * STEP))
                grids[i].append(grid)
                for b in range(2):
                    by0 = cy + b * 1.5 * STEP
                    create_grid(by=S, name=f"{cname}第{g + 1}网格{b + 1}号楼片", code=f"LX{i + 1:02d}{g + 1:02d}{b + 1:02d}",
                                level=GridLevel.MICRO, organization=com, parent=grid,
                                geometry=_rect(gx, by0, gx + STEP, by0 + 1.5 * STEP))
        orgs.add_member(alliance=alliance, organization=joint, by=S, joined_on=dt.date(2021, 7, 1), role="member_unit")
        # Member units, each stationed under its community, each with its own party organisation where it has one.
        units = []
        for name, kind, ci, affiliation, party_kind in UNITS:
            com = communities[ci]
            unit = orgs.create_organization(by=S, parent=com, name=name, kind=kind, original_affiliation=affiliation,
                                            address=f"太原市迎泽区{COMMUNITIES[ci]}{self.rng.randint(1, 99)}号")
            branch = None
            if party_kind:
                suffix = "党总支" if party_kind == OrgKind.GENERAL_BRANCH else "党支部"
                branch = orgs.create_organization(by=S, parent=unit, name=f"{name}{suffix}", kind=party_kind, original_affiliation=affiliation)
            liaison = self.person(unit, community=com, tags=(RoleTag.LIAISON,))
            if branch:
                people.set_party_profile(person=liaison, by=S, branch=branch, joined_on=dt.date(2005, 6, 1), full_member_on=dt.date(2006, 6, 1),
                                         status=MemberStatus.FULL, in_service=True, work_unit=unit, home_community=com)
            ms = orgs.add_member(alliance=alliance, organization=unit, by=S, joined_on=dt.date(2021, 7, 1) + dt.timedelta(days=30 * (len(units) % 12)),
                                 liaison=liaison)
            if len(units) < 6:
                orgs.update_membership(membership=ms, by=S, committee_member=liaison, committee_post="兼职委员")
            units.append((unit, branch, com, ci))
        for q, (unit, _b, _c, _i) in enumerate(units[:4]):
            start = dt.date(2026, 1 + 3 * q, 1)
            end = (dt.date(2026, 4 + 3 * q, 1) if q < 3 else dt.date(2027, 1, 1)) - dt.timedelta(days=1)
            orgs.set_duty_chair(alliance=alliance, organization=unit, starts_on=start, ends_on=end, by=S, note=f"2026年第{q + 1}季度轮值")
        # Volunteer teams under the street committee, with a party instructor each.
        teams = [orgs.create_organization(by=S, parent=street, name=t, kind=OrgKind.VOLUNTEER_TEAM) for t in TEAMS]
        # Party members: in each community's branches, some in-service members of units reporting home.
        members = []
        for i, com in enumerate(communities):
            for k in range(24):
                grid = grids[i][k % 3]
                p = self.person(com, community=com, grid=grid, tags=(RoleTag.RESIDENT,))
                status = self.rng.choices(list(MemberStatus.values), weights=[80, 8, 6, 3, 3])[0]
                joined = dt.date(self.rng.randint(1975, 2024), self.rng.randint(1, 12), 1)
                full = None if status == MemberStatus.PROBATIONARY else joined + dt.timedelta(days=366)
                if status == MemberStatus.PROBATIONARY:
                    joined = dt.date(2026, self.rng.randint(1, 10), 1)
                people.set_party_profile(person=p, by=S, branch=branches[i][k % 2], joined_on=joined, full_member_on=full, status=status,
                                         home_community=com, is_central_household=(k % 8 == 0))
                members.append(p)
        for unit, branch, _com, ci in units:
            if branch is None:
                continue
            for _ in range(5):
                p = self.person(unit, community=communities[(ci + self.rng.randint(0, 2)) % 9], age=(24, 58))
                people.set_party_profile(person=p, by=S, branch=branch, joined_on=dt.date(self.rng.randint(1995, 2022), 7, 1),
                                         full_member_on=None, status=MemberStatus.FULL, in_service=True, work_unit=unit,
                                         home_community=p.community)
                members.append(p)
        # Volunteers: residents and members in teams.
        for n, p in enumerate(members[::2]):
            people.add_role(person=p, tag=RoleTag.VOLUNTEER, by=S, organization=teams[n % len(teams)])
        for i, com in enumerate(communities):
            for _ in range(10):
                p = self.person(com, community=com, grid=grids[i][self.rng.randint(0, 2)], tags=(RoleTag.RESIDENT,))
                people.add_role(person=p, tag=RoleTag.VOLUNTEER, by=S, organization=teams[self.rng.randint(0, len(teams) - 1)])
        for t, team in enumerate(teams):
            lead = members[t * 7]
            people.add_role(person=lead, tag=RoleTag.TEAM_LEAD, by=S, organization=team)
            orgs.update_organization(org=team, by=S, party_instructor=members[t * 7 + 3])
        # Grid workers and the five heads.
        heads = [RoleTag.GRID_HEAD, RoleTag.ROAD_HEAD, RoleTag.LANE_HEAD, RoleTag.BUILDING_HEAD, RoleTag.SHOP_HEAD]
        grid_workers = {}
        for i, com in enumerate(communities):
            for g, grid in enumerate(grids[i]):
                w = self.person(com, community=com, grid=grid, tags=(RoleTag.RESIDENT,), age=(25, 50))
                people.add_role(person=w, tag=RoleTag.GRID_WORKER, by=S, grid=grid)
                grid_workers[(i, g)] = w
                for h in heads:
                    p = self.person(com, community=com, grid=grid, tags=(RoleTag.RESIDENT,))
                    people.add_role(person=p, tag=h, by=S, grid=grid)
        for name, duty in DEPARTMENTS:
            orgs.save_department(alliance=alliance, by=S, name=name, head=members[len(name) * 11], responsibilities=duty)

        # Demo logins, one per role, each tied to a person record (so phone login works).
        accounts = []
        password_hash = make_password(DEMO_PASSWORD)  # hashing is deliberately slow: do it once

        def account(username, role, org, person):
            user = User.objects.create(username=username, password=password_hash, person=person)
            assign_role(user=user, role=role, organization=org, by=None, reason="演示账号")
            accounts.append((username, role, org.name, person.phone_masked))
            return user

        admin_person = self.person(street, community=communities[1], tags=(RoleTag.RESIDENT,))
        people.set_party_profile(person=admin_person, by=S, branch=branches[1][0], joined_on=dt.date(2001, 7, 1),
                                 full_member_on=dt.date(2002, 7, 1), status=MemberStatus.FULL)
        account("admin", Role.ALLIANCE_ADMIN, street, admin_person)
        account("dispatcher", Role.DISPATCHER, communities[0], self.person(communities[0], community=communities[0], tags=(RoleTag.RESIDENT,)))
        account("dispatcher2", Role.DISPATCHER, communities[1], self.person(communities[1], community=communities[1], tags=(RoleTag.RESIDENT,)))
        account("liaison", Role.LIAISON, units[0][0], units[0][0].alliance_memberships.first().liaison)
        account("gridworker", Role.GRID_WORKER, communities[0], grid_workers[(0, 0)])
        account("member", Role.PARTY_MEMBER, branches[0][0], members[0])
        account("resident", Role.RESIDENT, communities[0], self.person(communities[0], community=communities[0], grid=grids[0][1], tags=(RoleTag.RESIDENT,)))
        return {"alliance": alliance, "accounts": accounts}


def build_demo(seed: int = 2026) -> dict | None:
    if Alliance.objects.filter(name=ALLIANCE_NAME).exists():
        return None
    result = DemoBuilder(seed).build()
    from tongxin.orders.demo import build_demo_orders
    from tongxin.orders.services import seed_categories

    seed_categories(alliance=result["alliance"])
    result["orders"] = build_demo_orders()
    # Each app seeds its own part, in the order they depend on each other.
    from importlib import import_module

    for app in ("routing", "governance", "lists", "meetings", "deliberation", "rhythm"):
        result[app] = getattr(import_module(f"tongxin.{app}.demo"), f"build_demo_{app}")()
    return result
