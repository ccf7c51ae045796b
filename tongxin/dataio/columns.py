"""The file format: the columns of each template, in Chinese, and the Chinese labels of codes.

The headers and the code labels are the data format of the spreadsheet (what people type in
the cells), so they are fixed Chinese text, independent of the interface language.
"""

from dataclasses import dataclass

from tongxin.orgs.models import OrgKind
from tongxin.people.models import MemberStatus, RoleTag


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    help: str = ""
    example: str = ""
    width: int = 14


ORG_COLUMNS = (
    Column("name", "名称", True, "组织全称，最多 120 个字", "阳光社区第三党支部", 28),
    Column("short_name", "简称", False, "可不填", "三支部"),
    Column("kind", "类型", True, "填写下方“组织类型”之一", "党支部"),
    Column("parent", "上级组织", True, "已有组织或本表中另一行的名称（重名时填组织代码）", "阳光社区党委", 24),
    Column("code", "统一社会信用代码/组织代码", False, "单位填统一社会信用代码，党组织填组织代码", "", 26),
    Column("original_affiliation", "原隶属党组织", False, "驻区单位原来的党组织隶属关系，加入联盟后不变", "", 20),
    Column("address", "地址", False, "", "幸福路 88 号", 24),
    Column("contact_name", "联系人", False, "", "王芳"),
    Column("description", "说明", False, "", "", 24),
)

PEOPLE_COLUMNS = (
    Column("name", "姓名", True, "最多 40 个字", "王小明", 10),
    Column("sex", "性别", False, "男 / 女；填了身份证号可不填", "男", 6),
    Column("phone", "手机号", False, "11 位大陆手机号", "13800138000", 14),
    Column("id_number", "身份证号", False, "18 位，校验位必须正确", "11010519491231002X", 22),
    Column("organization", "所属组织", True, "保存此人记录的组织：社区或单位，须在您的权限范围内", "阳光社区党委", 22),
    Column("community", "所在社区", False, "居住的社区党委名称", "阳光社区党委", 18),
    Column("tags", "角色标签", False, "用顿号或逗号分隔：" + "、".join([
        "党员", "居民", "志愿者", "志愿服务队队长", "联络员", "网格员", "网格长", "路长", "巷长", "楼长", "店长"]), "居民、志愿者", 18),
    Column("grid", "所在网格", False, "网格员、网格长和路长、巷长、楼长、店长必填：所在社区的网格名称或网格编码", "", 16),
    Column("branch", "所在支部", False, "党员必填：所在党支部名称", "阳光社区第三党支部", 22),
    Column("joined_on", "入党日期", False, "如 2001-07-01", "2001-07-01", 12),
    Column("full_member_on", "转正日期", False, "预备党员不填", "2002-07-01", 12),
    Column("status", "党员状态", False, "正式党员 / 预备党员 / 流动党员 / 失联党员 / 已转出；不填为正式党员", "正式党员", 12),
    Column("work_unit", "工作单位", False, "在职党员的工作单位（组织名称）", "", 20),
    Column("address", "居住地址", False, "", "幸福路 88 号 3 幢 201 室", 26),
    Column("ethnicity", "民族", False, "", "汉族", 8),
    Column("education", "学历", False, "", "大学本科", 10),
    Column("note", "备注", False, "", "", 20),
)

COLUMNS = {"organizations": ORG_COLUMNS, "people": PEOPLE_COLUMNS}
SHEET_TITLES = {"organizations": "组织", "people": "人员"}
HEADER_ALIASES = {  # other spellings people type; mapped onto the template's header
    "统一社会信用代码": "统一社会信用代码/组织代码",
    "组织代码": "统一社会信用代码/组织代码",
    "身份证": "身份证号",
    "手机": "手机号",
    "手机号码": "手机号",
    "联系电话": "手机号",
    "住址": "居住地址",
}

ORG_KIND_LABELS = {
    OrgKind.STREET_COMMITTEE: "街道党工委",
    OrgKind.COMMUNITY_COMMITTEE: "社区党委",
    OrgKind.JOINT_COMMITTEE: "联合党委",
    OrgKind.GENERAL_BRANCH: "党总支",
    OrgKind.BRANCH: "党支部",
    OrgKind.JOINT_BRANCH: "联合党支部",
    OrgKind.PARTY_GROUP: "党小组",
    OrgKind.AGENCY: "机关",
    OrgKind.PUBLIC_INSTITUTION: "事业单位",
    OrgKind.STATE_ENTERPRISE: "国有企业",
    OrgKind.PRIVATE_ENTERPRISE: "非公企业",
    OrgKind.SCHOOL: "学校",
    OrgKind.HOSPITAL: "医院",
    OrgKind.SOCIAL_ORGANIZATION: "社会组织",
    OrgKind.INDIVIDUAL_BUSINESS: "个体工商户",
    OrgKind.PROPERTY_COMPANY: "物业公司",
    OrgKind.OWNERS_COMMITTEE: "业主委员会",
    OrgKind.CLUB: "社团",
    OrgKind.VOLUNTEER_TEAM: "志愿服务队",
}
ORG_KIND_ALIASES = {"民营企业": OrgKind.PRIVATE_ENTERPRISE, "私营企业": OrgKind.PRIVATE_ENTERPRISE, "国企": OrgKind.STATE_ENTERPRISE,
                    "党委": OrgKind.COMMUNITY_COMMITTEE, "总支": OrgKind.GENERAL_BRANCH, "支部": OrgKind.BRANCH,
                    "社会团体": OrgKind.CLUB, "协会": OrgKind.SOCIAL_ORGANIZATION}

ROLE_TAG_LABELS = {
    RoleTag.PARTY_MEMBER: "党员",
    RoleTag.RESIDENT: "居民",
    RoleTag.VOLUNTEER: "志愿者",
    RoleTag.TEAM_LEAD: "志愿服务队队长",
    RoleTag.GRID_WORKER: "网格员",
    RoleTag.GRID_HEAD: "网格长",
    RoleTag.ROAD_HEAD: "路长",
    RoleTag.LANE_HEAD: "巷长",
    RoleTag.BUILDING_HEAD: "楼长",
    RoleTag.SHOP_HEAD: "店长",
    RoleTag.LIAISON: "联络员",
}
MEMBER_STATUS_LABELS = {
    MemberStatus.FULL: "正式党员",
    MemberStatus.PROBATIONARY: "预备党员",
    MemberStatus.MOBILE: "流动党员",
    MemberStatus.LOST_CONTACT: "失联党员",
    MemberStatus.TRANSFERRED_OUT: "已转出",
}
SEX_LABELS = {"M": "男", "F": "女"}


def _reverse(labels: dict, aliases: dict | None = None) -> dict[str, str]:
    out = {str(v): str(k) for k, v in labels.items()}
    out.update({str(k): str(k) for k in labels})  # the code itself is accepted too
    out.update({k: str(v) for k, v in (aliases or {}).items()})
    return out


ORG_KIND_BY_LABEL = _reverse(ORG_KIND_LABELS, ORG_KIND_ALIASES)
ROLE_TAG_BY_LABEL = _reverse(ROLE_TAG_LABELS, {"志愿服务者": RoleTag.VOLUNTEER, "队长": RoleTag.TEAM_LEAD})
MEMBER_STATUS_BY_LABEL = _reverse(MEMBER_STATUS_LABELS, {"正式": MemberStatus.FULL, "预备": MemberStatus.PROBATIONARY,
                                                         "流动": MemberStatus.MOBILE, "失联": MemberStatus.LOST_CONTACT,
                                                         "转出": MemberStatus.TRANSFERRED_OUT})
SEX_BY_LABEL = {"男": "M", "女": "F", "M": "M", "F": "F", "男性": "M", "女性": "F"}
