"""Chinese text helpers: traditional and simplified are one language to search."""

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_t2s = OpenCC("t2s")
# Pinyin annotations in scraped text, e.g. 質(zhì)量 -> 質量.
_PINYIN_NOTE = re.compile(r"[（(][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü\s]{1,12}[)）]")


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    return _t2s.convert(text)


def normalize_for_search(text: str | None) -> str:
    """Fold width, case and script so 黨建 and 党建 compare equal."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _PINYIN_NOTE.sub("", text)
    return to_simplified(text).lower().strip()


def search_blob(*parts: str | None) -> str:
    return " ".join(normalize_for_search(p) for p in parts if p)
