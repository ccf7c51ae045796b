"""Category and unit suggestion, explained, so the dispatcher's routine decision is one click.

Category from the text: the text is folded to simplified Chinese (tongxin.core.text), cut into
words with rjieba, and each active category of the alliance scores one point per keyword found
(as a word, or inside the text for keywords of two or more characters), plus one more for a
keyword that is a whole word. The highest score wins; ties go to the category listed first.
The keywords are per category and editable by the alliance.

Unit from the place and the category: the grid (picked, or found from the map point) gives the
community; the category's default responsible unit is proposed when it has one, otherwise the
community itself (its own team) handles it.
"""

from functools import lru_cache

from tongxin.core.text import normalize_for_search
from tongxin.orgs.models import OrgKind

from .models import Category


@lru_cache(maxsize=1)
def _cutter():
    try:
        import rjieba

        return rjieba.cut
    except ImportError:  # pragma: no cover - jieba is the slower fallback
        import jieba

        return lambda text: list(jieba.cut(text))


def tokens(text: str) -> list[str]:
    norm = normalize_for_search(text)
    return [t for t in (w.strip() for w in _cutter()(norm)) if t]


def score_categories(text: str, categories) -> list[tuple[int, Category, list[str]]]:
    norm = normalize_for_search(text)
    words = set(tokens(text))
    scored = []
    for cat in categories:
        hits, score = [], 0
        for kw in cat.keyword_list:
            if kw in words:
                hits.append(kw)
                score += 2
            elif len(kw) >= 2 and kw in norm:
                hits.append(kw)
                score += 1
        if score:
            scored.append((score, cat, hits))
    scored.sort(key=lambda s: (-s[0], s[1].sort, s[1].pk))
    return scored


def community_of(org):
    """The community committee at or above `org` (None when there is none)."""
    node = org
    while node is not None:
        if node.kind == OrgKind.COMMUNITY_COMMITTEE:
            return node
        node = node.parent
    return None


def suggest(*, text: str, alliance, community=None, grid=None, lng: float | None = None, lat: float | None = None,
            exclude_units=()) -> dict:
    """{"category": Category|None, "unit": Organization|None, "reasons": [str, ...]} (reasons in Chinese).

    Category: the keyword rules, joined by the learned model (tongxin.routing) once the alliance
    has enough history. Unit: an adopted road segment (门前三包, tongxin.governance) covering the
    point first, then the unit the learned model is sure of, then the category's default unit,
    then the community itself. Units in `exclude_units` (ids: those that declined the request)
    are passed over, so a declined request is not suggested to the same unit again.
    """
    reasons: list[str] = []
    category = learned = None
    if alliance is not None:
        from .services import active_categories

        cats = active_categories(alliance)
        scored = score_categories(text, cats)
        learned = _learned(alliance, text)
        if learned is not None and learned.get("category") is not None and (
                not scored or learned["confidence"] >= LEARNED_OVERRIDES_RULES):
            category = learned["category"]
            reasons.append(learned["reason"])
        elif scored:
            score, category, hits = scored[0]
            reasons.append(f"描述中出现“{'”“'.join(hits[:5])}”，建议归入“{category.name}”")
        else:
            category = next((c for c in cats if c.code == "other"), None)
            if category is not None:
                reasons.append(f"描述中没有找到分类关键词，暂归入“{category.name}”")
    if grid is not None:
        com = community_of(grid.organization)
        if com is not None:
            reasons.append(f"位置在“{grid.name}”，属于{com.name}")
            community = community or com
    excluded = set(exclude_units)
    usable = lambda org: org is not None and org.pk not in excluded and org.kind != OrgKind.JOINT_COMMITTEE  # noqa: E731
    unit = None
    adopted = _adopter(alliance, lng, lat)
    if adopted is not None and usable(adopted[0]):
        unit, segment = adopted
        reasons.append(f"位置在{unit.name}认领的门前三包路段“{segment}”内")
    elif learned is not None and usable(learned.get("unit")) and (learned.get("unit_confidence") or 0) >= LEARNED_OVERRIDES_RULES:
        unit = learned["unit"]
        reasons.append(f"类似诉求多由{unit.name}办理（智能分派模型，把握 {learned['unit_confidence']:.0%}）")
    elif (category is not None and category.default_unit_id and category.default_unit.archived_at is None
          and usable(category.default_unit)):
        unit = category.default_unit
        reasons.append(f"“{category.name}”的默认承办单位是{unit.name}")
    elif usable(community):
        unit = community
        reasons.append(f"由{community.name}自行办理" if excluded else f"该分类没有默认承办单位，由{community.name}自行办理")
    return {"category": category, "unit": unit, "reasons": reasons}


# A learned category replaces the keyword rules' pick only when the model is this sure.
LEARNED_OVERRIDES_RULES = 0.6


def _learned(alliance, text: str) -> dict | None:
    from tongxin.routing.selectors import predict

    return predict(alliance=alliance, text=text)


def _adopter(alliance, lng, lat):
    if alliance is None or lng is None or lat is None:
        return None
    from tongxin.governance.selectors import adopter_at

    return adopter_at(alliance=alliance, lng=lng, lat=lat)


def as_json(s: dict) -> dict:
    return {
        "category_id": s["category"].pk if s["category"] else None,
        "category": s["category"].name if s["category"] else "",
        "unit_id": s["unit"].pk if s["unit"] else None,
        "unit": s["unit"].name if s["unit"] else "",
        "reasons": s["reasons"],
    }
