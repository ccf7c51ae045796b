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


def test_to_simplified_skips_only_what_opencc_would_not_change():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tongxin.core.text import _t2s, traditional_trigger

    assert traditional_trigger()  # the fast path is on with the pinned OpenCC
    alphabet = list("黨建區域聯盟張三國質量党建区域联盟张三国质量后發髮乾干了瞭著着台臺檯雲云面麵 ，。！？、\n,.!?abc123")

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=alphabet, max_size=40))
    def same_as_opencc(text):
        assert to_simplified(text) == _t2s.convert(text)

    same_as_opencc()
    long_letter = "小区东门路灯坏了三天，晚上很黑。" * 200 + "請盡快處理"
    assert to_simplified(long_letter) == _t2s.convert(long_letter)
