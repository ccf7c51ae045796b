"""Word search on a folded `search_text` column, served by a bigram index on PostgreSQL.

A search word in Chinese is usually two characters (路灯, 漏水) inside a sentence without spaces.
A B-tree cannot find a substring, and pg_trgm cannot either: it needs three characters and
word boundaries. Without help, a search in a dispatcher's inbox read every request of the
community (110,000 of a million: 160 ms when the word was rare).

`tongxin_bigrams(text)` returns the distinct two-character pieces of a text; a GIN index over
it (created by the migration of the app that owns the table, see `create_index_sql`) finds the
rows that hold every piece of the word. Pieces found apart do not make the word, so the LIKE
check stays and decides. On SQLite (small deployments) only the LIKE check runs.

The planner estimates a containment of several pieces as if they were independent, and they are
not (消防, 防隐, 隐患): it guessed 700 rows for 72,000 and sorted them all for a page of 20 (300 ms).
So the index is asked for one piece only, the rarest by the table's statistics (`pg_stats` of the
index): its estimate is an upper bound of the word's, and for a common word the planner keeps
reading the inbox in date order and stops after a page.

The Python `bigrams` must give, for any word without spaces, pieces that the SQL function also
gives for a text holding that word: a test compares them on random texts.
"""

from __future__ import annotations

import time

from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import Func, QuerySet, TextField

from .text import normalize_for_search

FUNCTION = "tongxin_bigrams"

# IMMUTABLE: a pure function of its argument, so PostgreSQL may index it. Pieces holding a space
# are left out (search words never hold one); everything else is kept, whatever the script.
CREATE_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{{}}')
    FROM (SELECT substr(t, i, 2) AS g FROM generate_series(1, char_length(t) - 1) AS i) AS pieces
    WHERE position(' ' IN g) = 0
$$
"""


def create_index_sql(table: str, name: str, column: str = "search_text") -> str:
    return f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" USING gin ({FUNCTION}("{column}"))'


def bigrams(word: str) -> list[str]:
    """The distinct two-character pieces of `word` (none for a single character)."""
    return sorted({word[i:i + 2] for i in range(len(word) - 1)})


class Bigrams(Func):
    function = FUNCTION
    output_field = ArrayField(TextField())


STATS_SECONDS = 600  # statistics change only when the table is analysed
_stats: dict[tuple[str, str], tuple[float, dict[str, float]]] = {}


def piece_frequencies(alias: str, index: str) -> dict[str, float]:
    """The share of rows holding each of the index's most common pieces (ANALYZE's sample)."""
    now = time.monotonic()
    cached = _stats.get((alias, index))
    if cached and cached[0] > now:
        return cached[1]
    with connections[alias].cursor() as cur:
        cur.execute("SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats WHERE tablename = %s", [index])
        row = cur.fetchone()
    freqs = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}  # freqs has 3 summary values more
    _stats[(alias, index)] = (now + STATS_SECONDS, freqs)
    return freqs


def rarest(pieces, freqs: dict[str, float]) -> str:
    """A piece outside the most common ones is rarer than all of them."""
    return min(pieces, key=lambda g: freqs.get(g, 0.0))


def filter_words(qs: QuerySet, q: str, *, field: str = "search_text", bigram_index: str = "") -> QuerySet:
    """Rows whose `field` holds every word of `q` (folded like the column: script, width, case).

    `bigram_index`: the name of the table's GIN index of `create_index_sql` on `field`; on
    PostgreSQL the rarest piece of the words is then looked up there first.
    """
    words = normalize_for_search(q).split()
    for word in words:
        qs = qs.filter(**{f"{field}__contains": word})
    pieces = {g for w in words for g in bigrams(w)}
    if bigram_index and pieces and connections[qs.db].vendor == "postgresql":
        piece = rarest(sorted(pieces), piece_frequencies(qs.db, bigram_index))
        qs = qs.alias(_search_bigrams=Bigrams(field)).filter(_search_bigrams__contains=[piece])
    return qs
