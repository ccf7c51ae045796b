"""Word search: the bigram pieces in Python and in PostgreSQL agree, and the filter keeps exact matches."""

import pytest
from django.db import connection

from tongxin.core.search import bigrams, filter_words, rarest

pg_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the bigram function and index exist on PostgreSQL only")


def test_bigrams_of_a_word():
    assert bigrams("路灯") == ["路灯"]
    assert bigrams("消防隐患") == ["消防", "防隐", "隐患"]
    assert bigrams("灯") == [] and bigrams("") == []
    assert bigrams("哈哈哈") == ["哈哈"]


def test_rarest_prefers_a_piece_outside_the_common_ones():
    freqs = {"消防": 0.07, "隐患": 0.05, "防隐": 0.04}
    assert rarest(["消防", "防隐", "隐患"], freqs) == "防隐"
    assert rarest(["消防", "东门"], freqs) == "东门"


@pg_only
def test_sql_pieces_cover_every_word_of_a_text(db):
    """What the index holds for a text must include every piece of any word found in it, or a
    search would miss rows that LIKE alone finds."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    alphabet = list("路灯坏了小区东门楼道消防隐患 ，。abcAB12\n\t　😀")

    @settings(max_examples=200, deadline=None)
    @given(st.text(alphabet=alphabet, max_size=30), st.data())
    def covers(text, data):
        with connection.cursor() as cur:
            cur.execute("SELECT tongxin_bigrams(%s)", [text])
            pieces = set(cur.fetchone()[0])
        assert pieces == {text[i:i + 2] for i in range(len(text) - 1) if " " not in text[i:i + 2]}
        for word in text.split():
            start = data.draw(st.integers(0, len(word)))
            part = word[start:start + data.draw(st.integers(0, 6))]
            assert set(bigrams(part)) <= pieces, (text, part)

    covers()


@pg_only
def test_the_search_asks_the_index_for_one_piece(db):
    from tongxin.orders.models import ServiceRequest
    from tongxin.orders.selectors import SEARCH_INDEX

    sql = str(filter_words(ServiceRequest.objects.all(), "消防隐患", bigram_index=SEARCH_INDEX).query)
    assert "tongxin_bigrams" in sql and "LIKE" in sql
    assert sql.count("tongxin_bigrams") == 1
    plain = str(filter_words(ServiceRequest.objects.all(), "灯").query)  # one character: no piece to look up
    assert "tongxin_bigrams" not in plain
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [SEARCH_INDEX])
        assert "gin (tongxin_bigrams(search_text))" in cur.fetchone()[0]
