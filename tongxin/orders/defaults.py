"""The default category set shipped with every alliance (editable afterwards).

Time limits follow common hotline practice (DOMAIN.md, 接诉即办): sign within a working day
for most things, sooner where people are at risk; finish within a few working days, longer for
disputes and employment. Each alliance changes them to suit itself.
"""

# (code, name, accept within working hours, finish within working days, keywords)
DEFAULT_CATEGORIES = [
    ("street_order", "街面秩序", 8, 3, "占道 摆摊 流动摊贩 乱摆 小广告 乱贴 乱涂 违建 违章 噪音 扰民 占用 门前"),
    ("sanitation", "环境卫生", 8, 2, "垃圾 卫生 清扫 保洁 异味 臭味 发臭 污水 堆放 杂物 粪便 垃圾桶 脏 灰尘 苍蝇 老鼠"),
    ("municipal", "市政设施", 24, 5, "路灯 井盖 下水道 管道 路面 坑洼 破损 积水 水管 漏水 停电 停水 暖气 供暖 护栏 台阶 窨井"),
    ("greening", "园林绿化", 24, 5, "树木 树枝 绿化 草坪 花坛 修剪 倒伏 枯死 绿地 树叶 杂草"),
    ("property", "物业管理", 24, 5, "物业 门禁 楼道 保安 电梯 物业费 业主 单元门 维修 消防通道 楼顶"),
    ("elderly_care", "助老助残", 8, 3, "老人 独居 残疾 助老 轮椅 送餐 陪护 高龄 空巢 残障 助残 老年 行动不便 看病"),
    ("employment", "就业服务", 24, 10, "就业 找工作 招聘 失业 培训 技能 岗位 工作 求职 创业"),
    ("parking", "停车管理", 24, 5, "停车 车位 乱停 充电桩 电动车 非机动车 停车场 堵车 挡路"),
    ("dispute", "邻里纠纷", 24, 10, "纠纷 矛盾 吵架 邻居 调解 邻里 争吵 漏水到"),
    ("culture_sports", "文体活动", 48, 10, "活动 文艺 健身 体育 书法 合唱 广场舞 图书 阅读 场地 器材 讲座"),
    ("other", "其他", 24, 5, ""),
]
