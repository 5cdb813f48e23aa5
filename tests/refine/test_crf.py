"""Dense CRF: a blurred, shifted probability snaps back to the object; shapes and bad input."""

from __future__ import annotations

import builtins
import importlib.util

import cv2
import numpy as np
import pytest

from bodyseg.errors import InputError, MethodError
from bodyseg.metrics import iou
from bodyseg.refine.crf import dense_crf

needs_crf = pytest.mark.skipif(
    importlib.util.find_spec("pydensecrf") is None, reason="needs pydensecrf2 (pip install pydensecrf2)"
)


def disc_scene(size: int = 160, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A bright noisy disc on a dark background, the true disc, and a blurred probability 10 px off."""
    yy, xx = np.mgrid[:size, :size]
    c, r = size / 2, size / 4
    disc = (yy - c) ** 2 + (xx - c) ** 2 <= r**2
    noise = np.random.default_rng(seed).normal(0, 10, (size, size, 3))
    rgb = np.clip(np.where(disc[..., None], 200.0, 40.0) + noise, 0, 255).astype(np.uint8)
    shifted = np.roll(disc, (size // 25, size // 20), axis=(0, 1)).astype(np.float32)
    prob = cv2.GaussianBlur(shifted, (0, 0), size / 25)
    return rgb, disc, prob


@needs_crf
@pytest.mark.parametrize("size", [160, 1200])  # 1200: runs at 512 and is interpolated back
def test_crf_moves_a_blurred_shifted_mask_onto_the_disc(size):
    rgb, disc, prob = disc_scene(size)
    before = iou(prob > 0.5, disc)
    out = dense_crf(rgb, prob)
    assert out.shape == prob.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert before < 0.8 and iou(out > 0.5, disc) > before + 0.1


@needs_crf
def test_uniform_probabilities_stay_uniform():
    rgb, _, _ = disc_scene(64)
    for value in (0.0, 0.5, 1.0):
        out = dense_crf(rgb, np.full((64, 64), value, np.float32), iterations=3)
        assert out.shape == (64, 64) and np.isfinite(out).all()
        assert np.allclose(out, value, atol=1e-3)


@needs_crf
def test_float64_read_only_and_non_square_inputs():
    """A wide, read-only image and a float64 probability: the output follows the image's bright box
    in its own orientation (a transposed or squashed result would miss it)."""
    rgb = np.full((30, 70, 3), 30, np.uint8)
    rgb[8:22, 40:65] = 220  # a bright box at the right
    rgb.flags.writeable = False  # as decoded images can be
    prob = np.full((30, 70), 0.2)  # float64
    prob[6:24, 36:68] = 0.7  # a loose guess around the box
    out = dense_crf(rgb, prob, iterations=5)
    assert out.shape == (30, 70) and out.dtype == np.float32
    box = np.zeros((30, 70), bool)
    box[8:22, 40:65] = True
    assert iou(out > 0.5, box) > 0.85 and iou(prob > 0.5, box) < 0.65


@pytest.mark.parametrize(
    "rgb, prob, message",
    [
        (np.zeros((10, 10), np.uint8), np.zeros((10, 10)), "HxWx3 RGB uint8"),
        (np.zeros((10, 10, 3), np.float32), np.zeros((10, 10)), "HxWx3 RGB uint8"),
        (np.zeros((10, 10, 3), np.uint8), np.zeros((10, 12)), "at the image's size"),
    ],
)
def test_bad_inputs_say_what_to_give(rgb, prob, message):
    with pytest.raises(InputError, match=message):
        dense_crf(rgb, prob)


def test_missing_pydensecrf_names_the_package(monkeypatch):
    real_import = builtins.__import__

    def no_densecrf(name, *args, **kwargs):
        if name.startswith("pydensecrf"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_densecrf)
    with pytest.raises(MethodError, match="pip install pydensecrf2"):
        dense_crf(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8)))
