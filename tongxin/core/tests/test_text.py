"""Search normalisation: traditional and simplified, full and half width, are one language."""

import pytest

from tongxin.core.text import normalize_for_search, search_blob, to_simplified


@pytest.mark.parametrize(
    ("text", "folded"),
    [("黨建", "党建"), ("張三", "张三"), ("區域化黨建聯盟", "区域化党建联盟"), ("党建", "党建"),
     ("ＡＢＣ１２３", "abc123"), ("  Tongxin 同心 ", "tongxin 同心"), ("質(zhì)量", "质量"), ("", ""), (None, "")],
)
def test_normalize_for_search(text, folded):
    assert normalize_for_search(text) == folded


def test_traditional_query_matches_simplified_text():
    assert normalize_for_search("黨建") in search_blob("柳巷街道党建联盟")
    assert normalize_for_search("党建") in search_blob("柳巷街道黨建聯盟")


def test_search_blob_joins_parts_and_skips_empty_ones():
    assert search_blob("張三", None, "", "黨員") == "张三 党员"
    assert to_simplified("國") == "国"
