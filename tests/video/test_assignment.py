"""Matching people to tracks: the best one-to-one assignment, checked by hand and against scipy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bodyseg.video.tracking import best_assignment


def brute_force_best(scores: np.ndarray) -> float:
    rows, cols = scores.shape
    if rows <= cols:
        return max(
            sum(scores[r, c] for r, c in zip(range(rows), perm, strict=True))
            for perm in itertools.permutations(range(cols), rows)
        )
    return brute_force_best(scores.T)


def test_the_greedy_pair_is_not_always_the_best():
    scores = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert best_assignment(scores) == [(0, 1), (1, 0)]  # 1.65, where the greedy 0.9 first gives 1.0


@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (4, 1), (3, 3), (2, 5), (5, 2), (4, 4)])
def test_the_total_is_the_largest_possible(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(30):
        scores = rng.random(shape) * (rng.random(shape) > 0.3)  # many zeros: ties, as with boxes that miss
        pairs = best_assignment(scores)
        assert len(pairs) == min(shape)
        assert len({r for r, _ in pairs}) == len({c for _, c in pairs}) == len(pairs)  # one to one
        assert sum(scores[r, c] for r, c in pairs) == pytest.approx(brute_force_best(scores))
