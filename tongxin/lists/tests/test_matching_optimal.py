"""The pairing session's assignment is optimal: on small random instances it equals brute force
(every integer assignment enumerated), and it never breaks a need's quantity or a resource's capacity."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tongxin.lists import matching


def brute_force(rows, cols, score, quantity, capacity):
    best = 0.0
    ranges = [range(min(quantity[r], capacity[c]) + 1) for r, c in zip(rows, cols, strict=True)]
    for x in itertools.product(*ranges):
        x = np.array(x)
        if any(x[rows == i].sum() > quantity[i] for i in range(len(quantity))):
            continue
        if any(x[cols == j].sum() > capacity[j] for j in range(len(capacity))):
            continue
        best = max(best, float(np.dot(score, x)))
    return best


@st.composite
def instances(draw):
    n = draw(st.integers(1, 3))
    m = draw(st.integers(1, 3))
    quantity = np.array(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    capacity = np.array(draw(st.lists(st.integers(1, 3), min_size=m, max_size=m)))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), min_size=1, max_size=6, unique=True))
    score = np.array(draw(st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=len(edges), max_size=len(edges))))
    rows = np.array([e[0] for e in edges])
    cols = np.array([e[1] for e in edges])
    return rows, cols, score, quantity, capacity


@settings(max_examples=150, deadline=None)
@given(instances())
def test_assignment_equals_brute_force(inst):
    rows, cols, score, quantity, capacity = inst
    x, total = matching.assign(rows, cols, score, quantity, capacity)
    assert x.dtype.kind == "i" and (x >= 0).all()
    for i in range(len(quantity)):
        assert x[rows == i].sum() <= quantity[i]
    for j in range(len(capacity)):
        assert x[cols == j].sum() <= capacity[j]
    assert abs(total - float(np.dot(score, x))) < 1e-9
    assert abs(total - brute_force(rows, cols, score, quantity, capacity)) < 1e-6


def test_optimal_beats_greedy_on_a_known_case():
    # need 0 fits both resources, need 1 only resource 0: greedy gives resource 0 to need 0 (0.9) and strands need 1.
    rows, cols = np.array([0, 0, 1]), np.array([0, 1, 0])
    score = np.array([0.9, 0.8, 0.85])
    q, c = np.array([1, 1]), np.array([1, 1])
    _, best = matching.assign(rows, cols, score, q, c)
    _, greedy = matching.greedy(rows, cols, score, q, c)
    assert round(best, 6) == round(0.8 + 0.85, 6) and greedy == 0.9
