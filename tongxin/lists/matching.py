"""Supply-demand matching (供需配对): the score of a (need, resource) pair, the top-k candidates of
every need, and the optimal capacity-respecting assignment of a pairing session.

Pure numpy/scipy over plain arrays (`Side`), so the pages, the API, the tests and the benchmark
(bench/bench_matching.py) run the same code. services.py builds the sides from the database.

Words. `words(text)` folds the text (NFKC width, pinyin annotations such as 养老(yǎng lǎo)
removed, traditional → simplified with OpenCC, lower case: tongxin.core.text), replaces every
character that is not a letter, digit or CJK ideograph by a space (stray symbols), cuts it with
rjieba and drops one-character pieces and stop words. So 「長者助餐(zhù cān)服務！」 and
「长者助餐服务」 give the same words and therefore the same scores.

Score, in [0, 1], a weighted sum of six parts a person can check (weights in WEIGHTS):
- text:      cosine of the TF-IDF vectors of the two word lists (sublinear tf, l2-normalised);
             the explanation lists the shared words
- category:  1 when both carry the same co-building area
- distance:  exp(-d / 3 km) when both have a map point, else 0 (explained as "no point")
- capacity:  min(1, resource capacity / need quantity)
- time:      the share of the need's wished-for hours that the resource is available (hourly grid
             over the week); 1 when the need names no time
- record:    the unit's past record, min(1, (2 × completed projects + finished requests) / 10)

Candidates. A resource is a candidate for a need when they share at least one word. In large
lists (more than LARGE_CORPUS documents) words found in more than MAX_DF of all documents are
ignored: they are in nearly every text and would make every pair a candidate.

Assignment. Each pair (i, j) on the top-k candidate graph carries x_ij units; maximise
Σ score_ij · x_ij with Σ_j x_ij ≤ quantity_i and Σ_i x_ij ≤ capacity_j, x ≥ 0. This is a
transportation problem (a min-cost flow); its constraint matrix is the incidence matrix of a
bipartite graph, totally unimodular, so the simplex vertex HiGHS returns is integral and optimal
over integer assignments too. tests/test_matching_optimal.py checks it against brute force.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from tongxin.core.text import normalize_for_search

WEIGHTS = {"text": 0.45, "category": 0.15, "distance": 0.15, "capacity": 0.10, "time": 0.05, "record": 0.10}
DISTANCE_SCALE_KM = 3.0
LARGE_CORPUS = 2000
MAX_DF = 0.02
MIN_SCORE = 0.05  # pairs scoring below this are not proposed in a pairing session
WEEKDAYS_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
STOPWORDS = frozenset("""
我们 你们 他们 她们 它们 自己 这个 那个 这些 那些 什么 怎么 如何 可以 能够 需要 希望 帮助 帮忙 一些 一下 一个
没有 还是 或者 以及 而且 并且 但是 因为 所以 如果 虽然 已经 正在 进行 开展 提供 相关 有关 其他 其它 等等 目前 现在
每周 每天 每月 左右 为了 对于 关于 通过 根据 大家 有人 问题 情况 工作 方面 方式 可能 应该 非常 比较 特别 一直
""".split())
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")


def _cutter():
    global _CUT
    if _CUT is None:
        try:
            import rjieba

            _CUT = rjieba.cut
        except ImportError:  # pragma: no cover
            import jieba

            _CUT = lambda text: list(jieba.cut(text))  # noqa: E731
    return _CUT


_CUT = None


def words(text: str | None) -> list[str]:
    """The matching words of a text (see the module docstring); [] for empty or symbol-only text."""
    norm = _NOT_WORD.sub(" ", normalize_for_search(text or ""))
    cut = _cutter()
    out = []
    for chunk in norm.split():
        for w in cut(chunk):
            w = w.strip()
            if len(w) >= 2 and w not in STOPWORDS and not w.isdigit():
                out.append(w)
    return out


# --- time windows --------------------------------------------------------------------------------

def hours_mask(windows) -> int:
    """The week's hours (7 × 24 bits, Monday 00:00 first) touched by the windows."""
    mask = 0
    for w in windows or []:
        day = int(w["weekday"])
        sh, sm = (int(x) for x in str(w["start"]).split(":"))
        eh, em = (int(x) for x in str(w["end"]).split(":"))
        start, end = sh * 60 + sm, eh * 60 + em
        for h in range(24):
            if start < (h + 1) * 60 and end > h * 60:
                mask |= 1 << (day * 24 + h)
    return mask


def _mask_words(masks: list[int]) -> np.ndarray:
    out = np.zeros((len(masks), 3), dtype=np.uint64)
    for i, m in enumerate(masks):
        for k in range(3):
            out[i, k] = (m >> (64 * k)) & 0xFFFFFFFFFFFFFFFF
    return out


def describe_windows(windows) -> str:
    """「周一至周五 11:00–13:00、周六 09:00–12:00」: days sharing the same hours are grouped, runs of 3+ days joined."""
    by_time: dict = {}
    for w in windows or []:
        by_time.setdefault((w["start"], w["end"]), []).append(int(w["weekday"]))
    parts = []
    for (start, end), days in sorted(by_time.items(), key=lambda kv: (min(kv[1]), kv[0])):
        days = sorted(set(days))
        runs, run = [], [days[0]]
        for d in days[1:]:
            if d == run[-1] + 1:
                run.append(d)
            else:
                runs.append(run)
                run = [d]
        runs.append(run)
        names = "、".join(f"{WEEKDAYS_ZH[r[0]]}至{WEEKDAYS_ZH[r[-1]]}" if len(r) >= 3 else "、".join(WEEKDAYS_ZH[d] for d in r) for r in runs)
        parts.append(f"{names} {start}–{end}")
    return "；".join(parts)


# --- the two sides -------------------------------------------------------------------------------

@dataclass
class Side:
    """One side of the matching (needs or resources) as arrays; `docs` are space-joined words."""

    ids: list
    docs: list[str]
    area: np.ndarray            # int, -1 = none
    lng: np.ndarray             # float, nan = no point
    lat: np.ndarray
    amount: np.ndarray          # need quantity or resource capacity (int)
    hours: np.ndarray           # (n, 3) uint64 masks; all zero = no time named
    record: np.ndarray = field(default=None)  # resources only: past-record part in [0, 1]
    coslat: np.ndarray = field(default=None)  # cos(latitude), for the distance
    wanted: np.ndarray = field(default=None)  # hours named (popcount of `hours`)
    record_counts: list = field(default=None)  # resources only: (projects, requests) per row, for explanations

    @classmethod
    def build(cls, *, ids, docs, area=None, lng=None, lat=None, amount=None, windows=None, record_counts=None) -> Side:
        n = len(ids)
        area = np.array([(-1 if a is None else int(a)) for a in (area if area is not None else [None] * n)], dtype=np.int64)
        lng = np.array([(np.nan if v is None else float(v)) for v in (lng if lng is not None else [None] * n)], dtype=np.float32)
        lat = np.array([(np.nan if v is None else float(v)) for v in (lat if lat is not None else [None] * n)], dtype=np.float32)
        amount = np.array(amount if amount is not None else [1] * n, dtype=np.float32)
        hours = _mask_words([hours_mask(w) for w in (windows if windows is not None else [[]] * n)])
        record = None
        if record_counts is not None:
            rc = np.array(record_counts, dtype=np.float64).reshape(n, 2)
            record = np.minimum(1.0, (2 * rc[:, 0] + rc[:, 1]) / 10.0).astype(np.float32)
        return cls(ids=list(ids), docs=list(docs), area=area, lng=lng, lat=lat, amount=amount, hours=hours,
                   record=record if record is not None else np.zeros(n, dtype=np.float32), record_counts=record_counts,
                   coslat=np.cos(np.radians(lat)), wanted=_popcount(hours))

    def __len__(self):
        return len(self.ids)


def _popcount(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a).sum(axis=-1).astype(np.float32)


def vectorise(needs: Side, resources: Side):
    """TF-IDF matrices of both sides over one vocabulary fitted on both (as scikit-learn's TfidfVectorizer
    with sublinear_tf, smooth idf and l2 norm, written out in numpy because it is 5× faster on split words)."""
    docs = needs.docs + resources.docs
    n_docs = len(docs)
    vocab: dict[str, int] = {}
    ids: list[int] = []
    lengths = np.empty(n_docs, dtype=np.int64)
    for d, doc in enumerate(docs):
        toks = doc.split()
        lengths[d] = len(toks)
        ids.extend(vocab.setdefault(t, len(vocab)) for t in toks)
    if not vocab:
        empty = sp.csr_matrix((n_docs, 0), dtype=np.float32)
        return empty[: len(needs)], empty[len(needs):]
    rows = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    X = sp.csr_matrix((np.ones(len(ids), dtype=np.float32), (rows, np.asarray(ids, dtype=np.int64))), shape=(n_docs, len(vocab)))
    X.sum_duplicates()  # term counts
    df = np.bincount(X.indices, minlength=len(vocab))
    idf = (np.log((1 + n_docs) / (1 + df)) + 1).astype(np.float32)
    if n_docs > LARGE_CORPUS:
        idf[df > MAX_DF * n_docs] = 0.0  # in nearly every text: not a reason to pair
    X.data = (1 + np.log(X.data)) * idf[X.indices]
    norms = np.sqrt(np.bincount(np.repeat(np.arange(n_docs), np.diff(X.indptr)), weights=X.data.astype(np.float64) ** 2, minlength=n_docs))
    X.data /= np.repeat(np.maximum(norms, 1e-12), np.diff(X.indptr)).astype(np.float32)
    X.eliminate_zeros()
    return X[: len(needs)], X[len(needs):]


def pair_parts(needs: Side, resources: Side, rows: np.ndarray, cols: np.ndarray, text: np.ndarray, *, with_time: bool = True) -> dict[str, np.ndarray]:
    """The six parts for the pairs (rows[i], cols[i]), vectorised (with_time=False leaves "time" at 1).

    Distance: equirectangular approximation (error under 0.1 % within a city), so no trigonometry per pair.
    """
    na, ra = needs.area[rows], resources.area[cols]
    same_area = ((na >= 0) & (na == ra)).astype(np.float32)
    dlat = (resources.lat[cols] - needs.lat[rows]) * np.float32(111.195)
    dlng = (resources.lng[cols] - needs.lng[rows]) * (np.float32(111.195) * needs.coslat[rows])
    km = np.sqrt(dlat * dlat + dlng * dlng)
    distance = np.exp(-km / np.float32(DISTANCE_SCALE_KM))
    distance[np.isnan(distance)] = 0.0
    capacity = np.minimum(np.float32(1.0), resources.amount[cols] / needs.amount[rows])
    time = np.ones(len(rows), dtype=np.float32)
    parts = {"text": text.astype(np.float32), "category": same_area, "distance": distance,
             "capacity": capacity, "time": time, "record": resources.record[cols], "km": km}
    if with_time:
        add_time(needs, resources, rows, cols, parts)
    return parts


def add_time(needs: Side, resources: Side, rows, cols, parts, where=None) -> None:
    """Fill parts["time"] for the pairs (or the subset `where`) whose need names a time."""
    timed = needs.wanted[rows] > 0
    if where is not None:
        timed &= where
    if timed.any():
        r, c = rows[timed], cols[timed]
        parts["time"][timed] = _popcount(needs.hours[r] & resources.hours[c]) / needs.wanted[r]


def total(parts: dict[str, np.ndarray]) -> np.ndarray:
    return sum(WEIGHTS[k] * parts[k] for k in WEIGHTS)


def candidate_graph(needs: Side, resources: Side, *, with_time: bool = True):
    """(rows, cols, parts, score, indptr) of every pair that shares at least one word."""
    Xn, Xr = vectorise(needs, resources)
    S = (Xn @ Xr.T).tocsr()
    S.eliminate_zeros()
    rows = np.repeat(np.arange(S.shape[0], dtype=np.int64), np.diff(S.indptr))
    cols = S.indices.astype(np.int64)
    parts = pair_parts(needs, resources, rows, cols, S.data, with_time=with_time)
    return rows, cols, parts, total(parts), S.indptr


def _rank(rows, score, indptr):
    """Sort the pairs by need, best score first; returns (order, rank within the need)."""
    order = np.argsort(rows + (1.0 - score.astype(np.float64)) * 0.5)  # rows are grouped; score in [0, 1]
    return order, np.arange(len(order)) - indptr[rows[order]]


def top_k(needs: Side, resources: Side, k: int = 5):
    """The k best candidates of every need: (rows, cols, parts, score), sorted by need then score (best first).

    Exact, in two stages: every part but time first (time=1 is an upper bound, time=0 a lower bound);
    only the pairs whose upper bound reaches their need's k-th best lower bound get the time part computed.
    """
    rows, cols, parts, upper, indptr = candidate_graph(needs, resources, with_time=False)
    if len(rows) == 0:
        return rows, cols, parts, upper
    lower = upper - WEIGHTS["time"]
    order, rank = _rank(rows, lower, indptr)
    kth = np.full(len(needs), -np.inf, dtype=np.float64)
    pos = np.flatnonzero(rank == np.minimum(k, np.diff(indptr)[rows[order]]) - 1)
    kth[rows[order[pos]]] = lower[order[pos]]
    alive = upper >= kth[rows] - 1e-6
    rows, cols = rows[alive], cols[alive]
    parts = {key: v[alive] for key, v in parts.items()}
    add_time(needs, resources, rows, cols, parts)
    score = total(parts)
    counts = np.bincount(rows, minlength=len(needs))
    sub_indptr = np.concatenate([[0], np.cumsum(counts)])
    order, rank = _rank(rows, score, sub_indptr)
    keep = order[rank < k]
    return rows[keep], cols[keep], {key: v[keep] for key, v in parts.items()}, score[keep]


def explain(need_doc: str, resource_doc: str, parts: dict, i: int, *, need_amount: int, resource_amount: int,
            area_name: str | None = None, record_counts=None, resource_windows=None, need_windows=None) -> dict:
    """What a person reads next to a candidate: each part with its value and contribution."""
    shared = sorted(set(need_doc.split()) & set(resource_doc.split()))
    km = parts["km"][i]
    out = {
        "score": round(float(sum(WEIGHTS[k] * parts[k][i] for k in WEIGHTS)), 4),
        "parts": {k: {"value": round(float(parts[k][i]), 3), "weight": WEIGHTS[k],
                      "points": round(100 * WEIGHTS[k] * float(parts[k][i]), 1)} for k in WEIGHTS},
        "shared_words": shared,
        "area": area_name if parts["category"][i] > 0 else None,
        "distance_km": None if math.isnan(km) else round(float(km), 2),
        "capacity": int(resource_amount), "quantity": int(need_amount),
        "time_fit": round(float(parts["time"][i]), 3),
        "available": describe_windows(resource_windows) if resource_windows is not None else "",
        "wanted": describe_windows(need_windows) if need_windows else "",
        "record": {"projects": int(record_counts[0]), "requests": int(record_counts[1])} if record_counts is not None else None,
    }
    return out


def explanation_lines(e: dict) -> list[str]:
    """The explanation in Chinese sentences (pages and API)."""
    lines = []
    lines.append(f"共同词语：{'、'.join(e['shared_words'])}" if e.get("shared_words") else "没有共同词语")
    lines.append(f"同属共建领域：{e['area']}" if e.get("area") else "共建领域不同或未填")
    lines.append(f"距离约 {e['distance_km']} 公里" if e.get("distance_km") is not None else "缺少地图位置，不计距离")
    lines.append(f"容量 {e['capacity']}，需求数量 {e['quantity']}")
    if e.get("wanted"):
        lines.append(f"时间吻合 {round(100 * e['time_fit'])}%（需要：{e['wanted']}；可用：{e.get('available') or '无'}）")
    elif e.get("available"):
        lines.append(f"可用时间：{e['available']}")
    if e.get("record") is not None:
        lines.append(f"既往记录：完成共建项目 {e['record']['projects']} 个，办结工单 {e['record']['requests']} 件")
    return lines


# --- the optimal assignment ----------------------------------------------------------------------

def assign(rows: np.ndarray, cols: np.ndarray, score: np.ndarray, quantity: np.ndarray, capacity: np.ndarray):
    """Units x per candidate edge maximising Σ score·x under the need quantities and resource capacities.

    Returns (x as int array aligned with the edges, total score). Edges with score ≤ 0 never get units.
    """
    from scipy.optimize import linprog

    m = len(rows)
    if m == 0:
        return np.zeros(0, dtype=np.int64), 0.0
    n_needs, n_res = len(quantity), len(capacity)
    e = np.arange(m)
    A = sp.vstack([
        sp.csr_matrix((np.ones(m), (rows, e)), shape=(n_needs, m)),
        sp.csr_matrix((np.ones(m), (cols, e)), shape=(n_res, m)),
    ]).tocsr()
    b = np.concatenate([quantity, capacity]).astype(np.float64)
    c = -np.asarray(score, dtype=np.float64)
    c[c > 0] = 0.0  # a pair that scores nothing is never worth a unit
    # Interior point with crossover ends on a vertex (integral here) and is ~30× faster than the dual simplex
    # on the 10,000 × 10,000 benchmark; should crossover ever leave a fractional point, the dual simplex decides.
    res = linprog(c, A_ub=A, b_ub=b, bounds=(0, None), method="highs-ipm")
    if res.status != 0 or not np.allclose(res.x, np.rint(res.x), atol=1e-6):
        res = linprog(c, A_ub=A, b_ub=b, bounds=(0, None), method="highs-ds")
    if res.status != 0:  # pragma: no cover - a bounded feasible LP (x = 0 is feasible)
        raise RuntimeError(f"assignment failed: {res.message}")
    x = np.rint(res.x).astype(np.int64)
    assert np.allclose(x, res.x, atol=1e-6), "the transportation LP vertex must be integral"
    return x, float(np.dot(np.asarray(score, dtype=np.float64), x))


def greedy(rows, cols, score, quantity, capacity):
    """The greedy baseline (best pair first): for the benchmark's comparison only."""
    q, c = quantity.astype(np.int64).copy(), capacity.astype(np.int64).copy()
    x = np.zeros(len(rows), dtype=np.int64)
    for idx in np.argsort(-score, kind="stable"):
        if score[idx] <= 0:
            break
        u = min(q[rows[idx]], c[cols[idx]])
        if u > 0:
            x[idx] = u
            q[rows[idx]] -= u
            c[cols[idx]] -= u
    return x, float(np.dot(score, x))
