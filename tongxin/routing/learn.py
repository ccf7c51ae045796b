"""The text classifier behind learned routing, without Django models (the command and the
benchmark use it on CSV files; services use it on the alliance's history).

Text handling (the same for training and for prediction, so segmented and raw text meet):
NFKC width folding, pinyin annotations removed, traditional folded to simplified (OpenCC, as
tongxin.core.text does), lower case, spreadsheet artefacts (``_x000D_``) and every symbol,
punctuation mark and space removed, digit runs collapsed to one ``0``. The folded string is
then cut into words with rjieba.

Features: TF-IDF of character 1-3-grams of the folded string, unioned with TF-IDF of words and
word pairs (sublinear tf), and with a third, down-weighted block for the head of the text (the first
30 folded characters: the subject line of a request, which comes first in ``title + text``).
Classifier: a linear SVM (LinearSVC, balanced class weights).
The confidence shown to the dispatcher is a softmax of the SVM scores, with a temperature
fitted on the held-out rows (so 0.8 means roughly "right four times in five").
"""

from __future__ import annotations

import io
import math
import pickle
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

import numpy as np

from tongxin.core.text import _PINYIN_NOTE, to_simplified

_ARTEFACT = re.compile(r"_x000[da]_", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")


def fold(text: str | None) -> str:
    """Width, pinyin notes, script and case folded; symbols, punctuation and spaces removed."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text)
    t = _ARTEFACT.sub(" ", t)
    t = _PINYIN_NOTE.sub("", t)
    t = to_simplified(t)  # only the pieces holding a traditional character are converted
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


def char_terms(folded: str, low: int = 1, high: int = 3) -> list[str]:
    return [folded[i:i + n] for n in range(low, high + 1) for i in range(len(folded) - n + 1)]


def word_terms(ws: list[str], pairs: bool = True) -> list[str]:
    return ws + [f"{a}_{b}" for a, b in zip(ws, ws[1:], strict=False)] if pairs else list(ws)


class Tfidf:
    """TF-IDF as scikit-learn computes it (smooth idf, sublinear tf, L2 rows), on term lists.

    Our own because scikit-learn's transform() spends ~8 ms per call in input validation, while
    one request must be scored in well under 5 ms.
    """

    def __init__(self, min_df: int = 1, max_features: int | None = None):
        self.min_df = min_df
        self.max_features = max_features

    def fit_rows(self, docs) -> list[tuple[np.ndarray, np.ndarray]]:
        """Learn the vocabulary and idf from term lists; return every document's (columns, weights).

        One pass counts each document's terms into compact arrays with a growing vocabulary (as
        scikit-learn's CountVectorizer does), then rare columns (min_df) and the least frequent
        beyond max_features are dropped and the rest renumbered.
        """
        grow: dict[str, int] = {}
        counted = []
        for terms in docs:
            c = Counter(terms)
            idx = np.fromiter((grow.setdefault(t, len(grow)) for t in c), dtype=np.int64, count=len(c))
            counted.append((idx, np.fromiter(c.values(), dtype=np.float32, count=len(c))))
        df = np.bincount(np.concatenate([r[0] for r in counted]) if counted else np.zeros(0, dtype=np.int64), minlength=len(grow))
        keep = np.flatnonzero(df >= self.min_df)
        if self.max_features and len(keep) > self.max_features:
            keep = np.sort(keep[np.argsort(-df[keep], kind="stable")[:self.max_features]])
        remap = np.full(len(grow), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        terms = np.empty(len(grow), dtype=object)
        for t, i in grow.items():
            terms[i] = t
        self.vocabulary_ = {t: i for i, t in enumerate(terms[keep])}
        n = len(counted)
        self.idf_ = (np.log((1 + n) / (1 + df[keep].astype(np.float64))) + 1).astype(np.float32)
        rows = []
        for idx, cnt in counted:
            new = remap[idx]
            sel = new >= 0
            rows.append(self._weigh(new[sel].astype(np.int32), cnt[sel]))
        return rows

    def _weigh(self, idx: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(idx):
            return idx, tf
        val = (1 + np.log(tf)) * self.idf_[idx]
        val /= np.sqrt(np.dot(val, val))
        return idx, val

    def __len__(self):
        return len(self.vocabulary_)

    def row(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # Look every term up at C speed (map), drop the unknown ones, count the columns with numpy
        # (faster than counting the strings first: the one pass over the vocabulary is the cost).
        ids = np.fromiter(map(self.vocabulary_.get, terms, repeat(-1, len(terms))), dtype=np.int64, count=len(terms))
        ids = ids[ids >= 0]
        if not len(ids):
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        idx, tf = np.unique(ids, return_counts=True)
        return self._weigh(idx.astype(np.int32), tf.astype(np.float32))


def _csr(rows: list[tuple[np.ndarray, np.ndarray]], width: int):
    from scipy.sparse import csr_matrix

    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r[0]) for r in rows], out=indptr[1:])
    indices = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, dtype=np.int32)
    data = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0, dtype=np.float32)
    m = csr_matrix((data, indices, indptr), shape=(len(rows), width))
    m.sort_indices()
    return m


# The head block: character 1-3-grams and words of the first HEAD_CHARS folded characters (the
# subject of a request, or the first words of a text without one), weighted HEAD_WEIGHT against the
# character and word blocks of the whole text (chosen by 5-fold cross-validation on the training
# file; docs/routing.md).
HEAD_CHARS = 30
HEAD_WEIGHT = 0.7

# Only the beginning of a long text is read (the subject and the first paragraphs carry the
# matter; a 3,000-character letter would otherwise cost ten times the time of a usual request).
MAX_CHARS = 600


@dataclass
class Prediction:
    label: object
    confidence: float
    words: list[str]
    ranking: list[tuple[object, float]]


class TextClassifier:
    """Character n-grams + words → LinearSVC. `fit(texts, labels)`, `predict(text)`."""

    def __init__(self, *, char_ngrams=(1, 3), word_pairs=True, min_df=1, c=0.5, max_features=400_000, max_chars=MAX_CHARS,
                 head_chars=HEAD_CHARS, head_weight=HEAD_WEIGHT):
        self.max_chars = max_chars
        self.head_chars = head_chars
        self.head_weight = head_weight
        self.char_ngrams = char_ngrams
        self.word_pairs = word_pairs
        self.min_df = min_df
        self.c = c
        self.max_features = max_features
        self.temperature = 3.0

    def prepare(self, texts) -> tuple[list[str], list[list[str]]]:
        folded = [fold(t[:self.max_chars * 2])[:self.max_chars] for t in texts]
        return folded, [words(f) for f in folded]

    def _head_terms(self, folded: str) -> list[str]:
        head = folded[:self.head_chars]
        return char_terms(head, *self.char_ngrams) + words(head)

    def _width(self) -> int:
        head = getattr(self, "head", None)  # models pickled before the head block have none
        return len(self.chars) + len(self.word) + (len(head) if head is not None else 0)

    def _row(self, folded: str, ws: list[str]) -> tuple[np.ndarray, np.ndarray]:
        ci, cv = self.chars.row(char_terms(folded, *self.char_ngrams))
        wi, wv = self.word.row(word_terms(ws, self.word_pairs))
        head = getattr(self, "head", None)
        if head is None:
            return np.concatenate([ci, wi + len(self.chars)]), np.concatenate([cv, wv])
        hi, hv = head.row(self._head_terms(folded))
        return (np.concatenate([ci, wi + len(self.chars), hi + len(self.chars) + len(self.word)]),
                np.concatenate([cv, wv, hv * np.float32(self.head_weight)]))

    def _matrix(self, folded, segmented):
        return _csr([self._row(f, w) for f, w in zip(folded, segmented, strict=True)], self._width())

    def fit(self, texts, labels, *, prepared=None):
        from sklearn.svm import LinearSVC

        folded, segmented = prepared or self.prepare(texts)
        self.chars, self.word = Tfidf(self.min_df, self.max_features), Tfidf(self.min_df, self.max_features)
        self.head = Tfidf(self.min_df, self.max_features)
        a = self.chars.fit_rows(char_terms(f, *self.char_ngrams) for f in folded)
        b = self.word.fit_rows(word_terms(w, self.word_pairs) for w in segmented)
        h = self.head.fit_rows(self._head_terms(f) for f in folded)
        offset, offset2 = len(self.chars), len(self.chars) + len(self.word)
        weight = np.float32(self.head_weight)
        x = _csr([(np.concatenate([ca, wa + offset, ha + offset2]), np.concatenate([cv, wv, hv * weight]))
                  for (ca, cv), (wa, wv), (ha, hv) in zip(a, b, h, strict=True)], offset2 + len(self.head))
        svm = LinearSVC(C=self.c, class_weight="balanced")
        svm.fit(x, list(labels))
        self.classes_ = list(svm.classes_)
        coef = np.asarray(svm.coef_, dtype=np.float32)
        intercept = np.asarray(svm.intercept_, dtype=np.float32)
        if len(self.classes_) == 2:  # binary LinearSVC keeps one row: the score of the second class
            coef = np.vstack([-coef, coef])
            intercept = np.concatenate([-intercept, intercept])
        self.weights_ = np.ascontiguousarray(coef.T)  # features x classes: a row gathers only its non-zeros
        self.intercept_ = intercept
        return self

    def _score_row(self, idx: np.ndarray, val: np.ndarray) -> np.ndarray:
        return val @ self.weights_[idx] + self.intercept_

    def scores(self, texts=None, *, prepared=None) -> np.ndarray:
        folded, segmented = prepared or self.prepare(texts)
        x = self._matrix(folded, segmented)
        return np.asarray(x @ self.weights_) + self.intercept_

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
        folded = fold(text[:self.max_chars * 2])[:self.max_chars]
        ws = words(folded)
        s = self._score_row(*self._row(folded, ws))[None, :]
        p = self.probabilities(s)[0]
        order = np.argsort(-p)
        top = int(order[0])
        return Prediction(label=self.classes_[top], confidence=float(p[top]), words=self._evidence(ws, top),
                          ranking=[(self.classes_[int(i)], float(p[int(i)])) for i in order[:3]])

    def _evidence(self, ws: list[str], cls: int, k: int = 3) -> list[str]:
        """The input's words that push hardest towards class `cls` (for the reason shown)."""
        offset = len(self.chars)
        vocab = self.word.vocabulary_
        seen, out = set(), []
        for w in ws:
            if w in seen or len(w) < 2:
                continue
            seen.add(w)
            col = vocab.get(w)
            if col is not None:
                out.append((float(self.weights_[offset + col, cls]), w))
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
