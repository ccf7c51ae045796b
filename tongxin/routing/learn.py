"""The text classifier behind learned routing, without Django models (the command and the
benchmark use it on CSV files; services use it on the alliance's history).

Text handling (the same for training and for prediction, so segmented and raw text meet):
NFKC width folding, pinyin annotations removed, traditional folded to simplified (OpenCC, as
tongxin.core.text does), lower case, spreadsheet artefacts (``_x000D_``) and every symbol,
punctuation mark and space removed, digit runs collapsed to one ``0``. The folded string is
then cut into words with rjieba.

Features: TF-IDF of character 1-3-grams of the folded string, unioned with TF-IDF of words and
word pairs (sublinear tf). Classifier: a linear SVM (LinearSVC, balanced class weights).
The confidence shown to the dispatcher is a softmax of the SVM scores, with a temperature
fitted on the held-out rows (so 0.8 means roughly "right four times in five").
"""

from __future__ import annotations

import io
import math
import os
import pickle
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tongxin.core.text import _PINYIN_NOTE, to_simplified

_ARTEFACT = re.compile(r"_x000[da]_", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=1)
def _traditional_trigger() -> frozenset | None:
    """Characters whose presence can make OpenCC t2s change a text (None: unknown, always convert).

    OpenCC's pure-Python converter is slow (about 1 ms per 300 characters); most texts are
    already simplified, and a text with none of these characters comes out unchanged.
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


def fold(text: str | None) -> str:
    """Width, pinyin notes, script and case folded; symbols, punctuation and spaces removed."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text)
    t = _ARTEFACT.sub(" ", t)
    t = _PINYIN_NOTE.sub("", t)
    trigger = _traditional_trigger()
    if trigger is None or not trigger.isdisjoint(t):
        t = to_simplified(t)
    t = _NON_WORD.sub("", t.lower())
    return _DIGITS.sub("0", t)


@lru_cache(maxsize=1)
def _cut():
    try:
        import rjieba

        return rjieba.cut
    except ImportError:  # pragma: no cover
        import jieba

        return lambda s: list(jieba.cut(s))


def words(folded: str) -> list[str]:
    return [w for w in _cut()(folded) if w.strip()]


def _split_words(doc: str) -> list[str]:
    """Word analyser for the vectoriser: the document is already a space-separated word list."""
    return doc.split()


@dataclass
class Prediction:
    label: object
    confidence: float
    words: list[str]
    ranking: list[tuple[object, float]]


class TextClassifier:
    """Character n-grams + words → LinearSVC. `fit(texts, labels)`, `predict(text)`."""

    def __init__(self, *, char_ngrams=(1, 3), word_ngrams=(1, 2), min_df=1, c=0.5, max_features=400_000):
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.min_df = min_df
        self.c = c
        self.max_features = max_features
        self.temperature = 3.0

    @staticmethod
    def prepare(texts) -> tuple[list[str], list[str]]:
        folded = [fold(t) for t in texts]
        return folded, [" ".join(words(f)) for f in folded]

    def _vectorizers(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        chars = TfidfVectorizer(analyzer="char", ngram_range=self.char_ngrams, sublinear_tf=True, min_df=self.min_df,
                                max_features=self.max_features, dtype=np.float32)
        word = TfidfVectorizer(analyzer=_split_words, sublinear_tf=True, min_df=self.min_df,
                               max_features=self.max_features, dtype=np.float32)
        return chars, word

    def _matrix(self, folded, segmented, fit=False):
        from scipy.sparse import hstack

        if fit:
            a = self.chars.fit_transform(folded)
            b = self.word.fit_transform([self._with_pairs(s) for s in segmented])
        else:
            a = self.chars.transform(folded)
            b = self.word.transform([self._with_pairs(s) for s in segmented])
        return hstack([a, b], format="csr")

    def _with_pairs(self, seg: str) -> str:
        ws = seg.split()
        if self.word_ngrams[1] >= 2:
            ws = ws + [f"{a}_{b}" for a, b in zip(ws, ws[1:], strict=False)]
        return " ".join(ws)

    def fit(self, texts, labels, *, prepared=None):
        from sklearn.svm import LinearSVC

        folded, segmented = prepared or self.prepare(texts)
        self.chars, self.word = self._vectorizers()
        x = self._matrix(folded, segmented, fit=True)
        self.svm = LinearSVC(C=self.c, class_weight="balanced")
        self.svm.fit(x, list(labels))
        self.classes_ = list(self.svm.classes_)
        self.coef_ = np.asarray(self.svm.coef_, dtype=np.float32)
        self.intercept_ = np.asarray(self.svm.intercept_, dtype=np.float32)
        if len(self.classes_) == 2:  # binary LinearSVC keeps one row: score of class 1
            self.coef_ = np.vstack([-self.coef_, self.coef_])
            self.intercept_ = np.concatenate([-self.intercept_, self.intercept_])
        self.svm = None  # the coefficients are all we need; keeps the pickle small
        return self

    def scores(self, texts=None, *, prepared=None) -> np.ndarray:
        folded, segmented = prepared or self.prepare(texts)
        x = self._matrix(folded, segmented)
        return np.asarray(x @ self.coef_.T) + self.intercept_

    def predict_many(self, texts=None, *, prepared=None) -> list:
        s = self.scores(texts, prepared=prepared)
        return [self.classes_[i] for i in s.argmax(axis=1)]

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        z = scores * self.temperature
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def fit_temperature(self, scores: np.ndarray, truth: list) -> float:
        """The softmax temperature with the lowest log-loss on held-out rows (kept at 3 when none)."""
        index = {c: i for i, c in enumerate(self.classes_)}
        rows = [(i, index[t]) for i, t in enumerate(truth) if t in index]
        if not rows:
            return self.temperature
        best, best_loss = self.temperature, math.inf
        for temp in (0.5, 1, 1.5, 2, 3, 4, 6, 8, 12):
            z = scores * temp
            z = z - z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            loss = -float(np.mean([logp[i, j] for i, j in rows]))
            if loss < best_loss:
                best, best_loss = temp, loss
        self.temperature = best
        return best

    def predict(self, text: str) -> Prediction:
        folded = fold(text)
        seg = words(folded)
        s = self.scores(prepared=([folded], [" ".join(seg)]))
        p = self.probabilities(s)[0]
        order = np.argsort(-p)
        top = int(order[0])
        return Prediction(label=self.classes_[top], confidence=float(p[top]), words=self._evidence(seg, top),
                          ranking=[(self.classes_[int(i)], float(p[int(i)])) for i in order[:3]])

    def _evidence(self, seg: list[str], cls: int, k: int = 3) -> list[str]:
        """The input's words that push hardest towards class `cls` (for the reason shown)."""
        offset = len(self.chars.vocabulary_)
        vocab = self.word.vocabulary_
        seen, out = set(), []
        for w in seg:
            if w in seen or len(w) < 2:
                continue
            seen.add(w)
            col = vocab.get(w)
            if col is not None:
                out.append((float(self.coef_[cls, offset + col]), w))
        out.sort(reverse=True)
        return [w for weight, w in out[:k] if weight > 0]

    def dumps(self) -> bytes:
        buf = io.BytesIO()
        pickle.dump(self, buf, protocol=pickle.HIGHEST_PROTOCOL)
        return buf.getvalue()

    @staticmethod
    def loads(blob: bytes) -> TextClassifier:
        return pickle.loads(bytes(blob))  # noqa: S301 - our own rows, written by services.train


# --- measuring ----------------------------------------------------------------------------------

def per_class(truth: list, predicted: list) -> list[dict]:
    """[{label, precision, recall, f1, support}] over every label in truth or predictions."""
    labels = sorted(set(truth) | set(predicted), key=str)
    tp, fp, fn = Counter(), Counter(), Counter()
    for t, p in zip(truth, predicted, strict=True):
        if t == p:
            tp[t] += 1
        else:
            fp[p] += 1
            fn[t] += 1
    rows = []
    for lab in labels:
        prec = tp[lab] / (tp[lab] + fp[lab]) if tp[lab] + fp[lab] else 0.0
        rec = tp[lab] / (tp[lab] + fn[lab]) if tp[lab] + fn[lab] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows.append({"label": lab, "precision": prec, "recall": rec, "f1": f1, "support": tp[lab] + fn[lab]})
    return rows


def macro_f1(truth: list, predicted: list) -> float:
    """Macro-F1 over the labels present in the truth (a label only ever predicted counts as a false positive)."""
    present = set(truth)
    rows = [r for r in per_class(truth, predicted) if r["label"] in present]
    return sum(r["f1"] for r in rows) / len(rows) if rows else 0.0


def accuracy(truth: list, predicted: list) -> float:
    return sum(1 for t, p in zip(truth, predicted, strict=True) if t == p) / len(truth) if truth else 0.0


def stratified_folds(labels: list, k: int, seed: int = 0) -> list[int]:
    """A fold number per row, each label spread round-robin over the folds (after a seeded shuffle)."""
    rng = np.random.default_rng(seed)
    fold_of = [0] * len(labels)
    by_label: dict = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    start = 0
    for lab in sorted(by_label, key=str):
        idx = by_label[lab]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            fold_of[i] = (start + j) % k
        start += len(idx)
    return fold_of
