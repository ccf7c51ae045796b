"""Scores: traditional/simplified, pinyin notes and stray symbols do not change them; each part is checkable."""

import numpy as np
import pytest

from tongxin.lists import matching

SIMPLIFIED = "社区养老服务站需要志愿者为独居老人助餐，周六上午"
TRADITIONAL = "社區養老(yǎng lǎo)服務站需要志願者★為獨居老人助餐！！周六上午"


def _sides(need_texts, res_texts, **kw):
    ns = matching.Side.build(ids=list(range(len(need_texts))), docs=[" ".join(matching.words(t)) for t in need_texts],
                             amount=kw.get("quantity"), area=kw.get("need_area"), lng=kw.get("need_lng"), lat=kw.get("need_lat"),
                             windows=kw.get("need_windows"))
    rs = matching.Side.build(ids=list(range(len(res_texts))), docs=[" ".join(matching.words(t)) for t in res_texts],
                             amount=kw.get("capacity"), area=kw.get("res_area"), lng=kw.get("res_lng"), lat=kw.get("res_lat"),
                             windows=kw.get("res_windows"), record_counts=kw.get("records", [(0, 0)] * len(res_texts)))
    return ns, rs


RESOURCES = ["养老服务志愿者队伍，助餐送餐", "停车位二十个，夜间开放", "法律咨询专业服务", "社区老人健康讲座培训"]


def test_words_fold_script_pinyin_and_symbols():
    assert matching.words(SIMPLIFIED) == matching.words(TRADITIONAL)
    assert matching.words("★★★ ！！！ ...") == []
    assert matching.words("") == []


def test_traditional_and_simplified_score_identically():
    a = matching.top_k(*_sides([SIMPLIFIED], RESOURCES), k=4)
    b = matching.top_k(*_sides([TRADITIONAL], RESOURCES), k=4)
    assert list(a[1]) == list(b[1])
    assert np.array_equal(a[3], b[3])
    assert a[1][0] == 0  # the elderly-care volunteers come first


def test_no_shared_word_is_no_candidate():
    rows, cols, parts, score = matching.top_k(*_sides(["停车难，需要车位"], ["法律咨询专业服务"]), k=5)
    assert len(rows) == 0


def test_parts_category_distance_capacity_time_record():
    ns, rs = _sides(["老人助餐服务"], ["老人助餐服务", "老人助餐服务"], quantity=[10], capacity=[5, 20],
                    need_area=[1], res_area=[1, 2], need_lng=[112.56], need_lat=[37.86], res_lng=[112.56, None], res_lat=[37.87, None],
                    need_windows=[[{"weekday": 5, "start": "09:00", "end": "11:00"}]],
                    res_windows=[[{"weekday": 5, "start": "10:00", "end": "12:00"}], [{"weekday": 5, "start": "08:00", "end": "12:00"}]],
                    records=[(1, 3), (0, 0)])
    rows, cols, parts, score = matching.top_k(ns, rs, k=2)
    by_col = {int(c): i for i, c in enumerate(cols)}
    a, b = by_col[0], by_col[1]
    assert parts["category"][a] == 1 and parts["category"][b] == 0
    assert 0.6 < parts["distance"][a] < 1 and parts["distance"][b] == 0  # ~1.1 km; no point -> 0
    assert parts["capacity"][a] == 0.5 and parts["capacity"][b] == 1.0
    assert parts["time"][a] == 0.5 and parts["time"][b] == 1.0  # 10-11 of 9-11 wanted; 8-12 covers it
    assert parts["record"][a] == pytest.approx(0.5) and parts["record"][b] == 0
    exp = matching.explain(ns.docs[0], rs.docs[0], parts, a, need_amount=10, resource_amount=5, area_name="公益联办",
                           record_counts=(1, 3))
    assert exp["shared_words"] == ["助餐", "服务", "老人"] and exp["area"] == "公益联办" and 1.0 < exp["distance_km"] < 1.2
    lines = matching.explanation_lines(exp)
    assert any("共同词语" in x for x in lines) and any("既往记录" in x for x in lines)
    assert exp["score"] == pytest.approx(sum(p["points"] for p in exp["parts"].values()) / 100, abs=1e-3)


def test_top_k_keeps_k_best_per_need_in_order():
    texts = [f"老人助餐服务{'志愿者' * i}" for i in range(8)]
    ns, rs = _sides(["老人助餐志愿者", "停车位"], texts + ["停车位 夜间"])
    rows, cols, parts, score = matching.top_k(ns, rs, k=3)
    assert list(rows) == [0, 0, 0, 1]
    assert score[0] >= score[1] >= score[2]


def test_two_stage_top_k_equals_scoring_every_candidate():
    rng = np.random.default_rng(7)
    vocab = [f"词{i:02d}" for i in range(40)]

    def side(n, res):
        docs = [" ".join(rng.choice(vocab, size=rng.integers(2, 6))) for _ in range(n)]
        wins = [[{"weekday": int(rng.integers(0, 7)), "start": "09:00", "end": f"{int(rng.integers(10, 18))}:00"}]
                if (res or rng.random() < 0.6) else [] for _ in range(n)]
        return matching.Side.build(ids=list(range(n)), docs=docs, area=list(rng.integers(0, 3, size=n)),
                                   lng=list(112.5 + rng.random(n) * 0.1), lat=list(37.8 + rng.random(n) * 0.1),
                                   amount=list(rng.integers(1, 9, size=n)), windows=wins,
                                   record_counts=[(1, 2)] * n if res else None)

    ns, rs = side(60, False), side(80, True)
    rows, cols, parts, score, indptr = matching.candidate_graph(ns, rs)
    order, rank = matching._rank(rows, score, indptr)
    full = order[rank < 4]
    got = matching.top_k(ns, rs, k=4)
    assert np.allclose(np.sort(score[full]), np.sort(got[3]))
    assert np.array_equal(np.bincount(rows[full], minlength=60), np.bincount(got[0], minlength=60))


def test_seed_style_text_with_pinyin_notes_folds_to_the_simplified_words():
    # As scraped in the seed articles (000, 004): traditional characters with pinyin notes after some of them.
    scraped = "堅(jiān)持學(xué)教引領(lǐng)，夯實(shí)治理基礎(chǔ)；為老黨員、流動(dòng)黨員開展“送書上門”"
    plain = "坚持学教引领，夯实治理基础；为老党员、流动党员开展“送书上门”"
    assert matching.words(scraped) == matching.words(plain) and "治理" in matching.words(plain)
