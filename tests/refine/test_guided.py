"""Guided filter: follows the guide's edges, smooths where the guide is flat."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.refine import guided_filter


@pytest.fixture
def step():
    guide = np.zeros((64, 64, 3), np.uint8)
    guide[:, 32:] = 255
    return guide


@pytest.mark.parametrize("subsample", [1, 4])
def test_a_blurry_mask_snaps_to_the_edge_of_the_guide(step, subsample):
    x = np.arange(64, dtype=np.float32)
    blurry = np.tile(1 / (1 + np.exp(-(x - 32) / 4)), (64, 1))  # soft ramp centred on the edge
    out = guided_filter(step, blurry, radius=8, eps=1e-4, subsample=subsample)
    assert out[:, 30].mean() < blurry[:, 30].mean() - 0.05  # pushed down just left of the edge
    assert out[:, 33].mean() > blurry[:, 33].mean() + 0.05  # pushed up just right of it
    # the step across the guide's edge is at least twice as sharp as the input's
    assert out[:, 32].mean() - out[:, 31].mean() > 2 * (blurry[0, 32] - blurry[0, 31])


def test_flat_guide_smooths(step):
    flat = np.full((64, 64, 3), 128, np.uint8)
    noisy = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    out = guided_filter(flat, noisy, radius=4, eps=1e-3)
    assert out.std() < noisy.std() / 4
    assert out.mean() == pytest.approx(noisy.mean(), abs=0.02)


def test_constant_input_is_unchanged(step):
    out = guided_filter(step, np.full((64, 64), 0.7, np.float32), radius=5)
    assert np.allclose(out, 0.7, atol=1e-5)
