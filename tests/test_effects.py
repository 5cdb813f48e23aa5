"""Effects are plain functions of (image, Segmentation); checked on images where the answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg import effects
from bodyseg.errors import InputError
from bodyseg.result import Person, Segmentation, box_of_mask


@pytest.fixture
def scene():
    """A noisy photo with a hard 'person' square in the middle."""
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    prob = np.zeros((60, 80), np.float32)
    prob[20:40, 30:50] = 1.0
    return image, Segmentation(prob=prob)


def test_blur_keeps_the_person_and_smooths_the_background(scene):
    image, seg = scene
    out = effects.blur(image, seg, strength=5, feather=0)
    assert np.array_equal(out[20:40, 30:50], image[20:40, 30:50])
    # Background noise is averaged away: its spread drops far below the input's.
    assert out[:15].std() < image[:15].std() / 3


def test_blur_does_not_bleed_the_person_into_the_background():
    image = np.zeros((50, 50, 3), np.uint8)
    image[20:30, 20:30] = 255  # a white person on black
    prob = np.zeros((50, 50), np.float32)
    prob[20:30, 20:30] = 1
    out = effects.blur(image, Segmentation(prob=prob), strength=6, feather=0)
    assert out[17, 25].max() < 10  # just outside the person: no white halo


def test_blur_strength_zero_is_identity_and_negative_is_refused(scene):
    image, seg = scene
    assert np.array_equal(effects.blur(image, seg, strength=0), image)
    with pytest.raises(InputError, match=">= 0"):
        effects.blur(image, seg, strength=-1)


def test_replace_with_a_colour(scene):
    image, seg = scene
    out = effects.replace(image, seg, "#00ff00", feather=0)
    assert np.all(out[0, 0] == (0, 255, 0))
    assert np.array_equal(out[25, 35], image[25, 35])


def test_replace_with_an_image_covers_and_crops():
    bg = np.zeros((10, 40, 3), np.uint8)
    bg[:, 20:] = 200  # right half bright
    fitted = effects.fit_background(bg, (30, 30))
    assert fitted.shape == (30, 30, 3)
    # scaled by 3 to cover the height (30x120), centre crop keeps columns 45..75: half dark, half bright
    assert fitted[:, :10].max() == 0 and fitted[:, -10:].min() == 200


def test_cutout_alpha_follows_the_probability(scene):
    image, seg = scene
    rgba = effects.cutout(image, seg, feather=0)
    assert rgba.shape == (60, 80, 4)
    assert rgba[30, 40, 3] == 255 and rgba[0, 0, 3] == 0
    assert np.array_equal(rgba[..., :3], image)


def test_feathered_edge_is_soft(scene):
    image, seg = scene
    alpha = effects.cutout(image, seg, feather=2)[..., 3]
    assert 60 < alpha[20, 40] < 200  # on the edge: partly transparent
    assert alpha[30, 40] == 255


def test_overlay_colours_each_person(scene):
    image, _ = scene
    a = np.zeros((60, 80), bool)
    a[5:20, 5:20] = True
    b = np.zeros((60, 80), bool)
    b[30:50, 50:70] = True
    seg = Segmentation(prob=(a | b).astype(np.float32), people=[Person(a, box_of_mask(a)), Person(b, box_of_mask(b))])
    labels = effects.label_map(seg)
    assert labels[10, 10] == 1 and labels[40, 60] == 2 and labels[0, 79] == 0
    out = effects.overlay(image, seg, opacity=1.0)
    assert tuple(out[10, 10]) == tuple(effects.PALETTE[0]) and tuple(out[40, 60]) == tuple(effects.PALETTE[1])
    assert np.array_equal(out[0, 79], image[0, 79])


def test_overlay_of_clusters_needs_a_cluster_map(scene):
    image, seg = scene
    with pytest.raises(InputError, match="no cluster map"):
        effects.overlay(image, seg, clusters=True)


def test_colour_splash_greys_the_background(scene):
    image, seg = scene
    out = effects.colour_splash(image, seg, feather=0)
    assert out[0, 0, 0] == out[0, 0, 1] == out[0, 0, 2]
    assert np.array_equal(out[30, 40], image[30, 40])


def test_size_mismatch_is_refused(scene):
    image, seg = scene
    with pytest.raises(InputError, match="segmentation is 80x60"):
        effects.blur(image[:10], seg)


@pytest.mark.parametrize("bad", ["notacolour", "300,0,0", "1,2", (1, 2)])
def test_bad_colours(bad):
    with pytest.raises(InputError, match="colour"):
        effects.parse_colour(bad)


def test_fast_background_blur_matches_the_full_resolution_one():
    """The blur is computed on a shrunk copy; on a real photo it must match the exact one closely."""
    import cv2

    import bodyseg

    image = bodyseg.read_image(bodyseg.example_image())
    alpha = np.zeros(image.shape[:2], np.float32)
    alpha[80:480, 120:420] = 1.0
    alpha = cv2.GaussianBlur(alpha, (0, 0), 3)
    weight = 1.0 - alpha
    exact = cv2.GaussianBlur(image.astype(np.float32) * weight[..., None], (0, 0), 12) / np.maximum(
        cv2.GaussianBlur(weight, (0, 0), 12)[..., None], 1e-3
    )
    fast = effects.blurred_background(image, alpha, 12.0)  # computed at 1/6 resolution
    background = weight > 0.99
    assert np.abs(fast - exact)[background].mean() < 1.5
