"""Routing fixtures: the orders world (`ow`) plus a generated history of handled requests.

The texts are made up from a few words per category that are NOT among the default keywords,
so that what the suggestion knows about them can only come from the learned model.
"""

import random

import pytest

from tongxin.orders.tests.conftest import dispatched, done, ow, submit  # noqa: F401  (re-exported fixtures)

PLACES = ["幸福里3号楼", "东门口", "菜市场旁边", "学校后街", "老干部活动中心外", "8栋和9栋之间", "公交站台边", "小区西北角"]
FILLERS = ["希望尽快处理", "麻烦派人看看", "已经好几天了", "居民意见很大", "请社区帮忙协调", "谢谢"]
WORDS = {
    "municipal": (["电线杆", "马路裂缝", "自来水发黄", "雨水篦子", "人行道砖", "消火栓"], ["歪斜了", "塌陷了", "松动了", "坏掉了"]),
    "sanitation": (["果皮纸屑", "化粪池", "餐厨剩饭", "建筑渣土", "落叶", "痰迹"], ["没人清理", "臭气熏天", "堆成小山", "到处都是"]),
    "parking": (["私家车", "轿车", "三轮车", "货车", "出租车", "摩托车"], ["堵住楼门口", "占了消防车道", "横在路中间", "天天停在草坪上"]),
}


def make_text(rng: random.Random, code: str) -> str:
    nouns, verbs = WORDS[code]
    return f"{rng.choice(PLACES)}{rng.choice(nouns)}{rng.choice(verbs)}，{rng.choice(FILLERS)}"


@pytest.fixture
def rw(ow):  # noqa: F811
    """The orders world with a second unit: the units of the generated history are unit A and community A's own team."""
    from tongxin.routing import selectors

    selectors.clear_cache()
    ow.unit_of = {"municipal": ow.unit_a, "sanitation": ow.community_a, "parking": ow.community_a}
    yield ow
    selectors.clear_cache()


@pytest.fixture
def history(rw):
    """history(per_class=12, codes=..., seed=0, noisy=False) adds handled requests (status done) and returns them."""
    from django.utils import timezone

    from tongxin.orders.models import ServiceRequest, Status

    counter = {"n": 0}

    def _make(per_class=12, codes=("municipal", "sanitation", "parking"), seed=0, noisy=False):
        rng = random.Random(seed)
        rows = []
        for code in codes:
            for _ in range(per_class):
                counter["n"] += 1
                label = rng.choice(codes) if noisy else code
                rows.append(ServiceRequest(
                    tracking_number=f"H{seed:02d}{counter['n']:05d}", access_key="k", alliance=rw.alliance, community=rw.community_a,
                    text=make_text(rng, code), category=rw.cat[label], assigned_unit=rw.unit_of[label], status=Status.DONE,
                    done_at=timezone.now()))
        return ServiceRequest.objects.bulk_create(rows)

    return _make
