"""Chinese text helpers: traditional and simplified are one language to search."""

import os
import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_t2s = OpenCC("t2s")
# Pinyin annotations in scraped text, e.g. 質(zhì)量 -> 質量.
_PINYIN_NOTE = re.compile(r"[（(][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü\s]{1,12}[)）]")


@lru_cache(maxsize=1)
def traditional_trigger() -> frozenset | None:
    """Characters whose presence can make OpenCC t2s change a text (None: unknown, always convert).

    OpenCC's pure-Python converter costs about 1 ms per 300 characters; most texts are already
    simplified, and a text with none of these characters comes out unchanged.
    """
    try:
        import opencc

        folder = os.path.join(os.path.dirname(opencc.__file__), "dictionary")
        chars: set[str] = set()
        phrases = []
        for name in ("TSCharacters.txt", "TSPhrases.txt"):
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                for line in fh:
                    key, _, value = line.rstrip("\n").partition("\t")
                    first = value.split()[0] if value.split() else key
                    if not key or first == key:
                        continue
                    if len(key) == 1:
                        chars.add(key)
                    else:
                        phrases.append((key, first))
        for key, first in phrases:
            if chars.isdisjoint(key):
                if len(first) == len(key):
                    chars.update(a for a, b in zip(key, first, strict=True) if a != b)
                else:
                    chars.update(key)
        return frozenset(chars)
    except (ImportError, OSError):  # pragma: no cover - another OpenCC build: convert everything
        return None


@lru_cache(maxsize=65536)
def _convert(text: str) -> str:
    return _t2s.convert(text)


def to_simplified(text: str) -> str:
    """Traditional characters folded to simplified (OpenCC t2s), fast for text that has none.

    OpenCC converts the pieces between its own separators independently, so only the pieces
    holding a character it would change are converted: identical output, and a long letter with
    one traditional word costs little.
    """
    trigger = traditional_trigger()
    if trigger is None:
        return _convert(text)
    if trigger.isdisjoint(text):
        return text
    pieces = _t2s.split_chars_re.split(text)
    return "".join(p if i % 2 or trigger.isdisjoint(p) else _convert(p) for i, p in enumerate(pieces))


def normalize_for_search(text: str | None) -> str:
    """Fold width, case and script so 黨建 and 党建 compare equal."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _PINYIN_NOTE.sub("", text)
    return to_simplified(text).lower().strip()


def search_blob(*parts: str | None) -> str:
    return " ".join(normalize_for_search(p) for p in parts if p)
