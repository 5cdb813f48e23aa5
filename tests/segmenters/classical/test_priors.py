"""The pieces the classical methods share: priors, seeds, votes, working resolution."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.errors import MethodError
from bodyseg.segmenters.classical.base import downscale, is_uniform, upscale_labels, upscale_prob
from bodyseg.segmenters.classical.priors import (
    centre_box,
    centre_prior,
    cluster_votes,
    person_prior,
    region_votes,
    seed_regions,
    voted_segmentation,
)
from bodyseg.segmenters.options import check_choice, check_float, check_int
from tests.pose.test_skeleton import SHAPE, standing


def test_centre_prior_is_a_centred_ellipse_half_at_its_border() -> None:
    prior = centre_prior((200, 100))
    assert prior.dtype == np.float32 and prior.shape == (200, 100)
    assert prior[100, 50] > 0.99
    # 40% of the width and 90% of the height at half height.
    assert prior[100, 50 + 20] == pytest.approx(0.5, abs=0.03)
    assert prior[100 + 90, 50] == pytest.approx(0.5, abs=0.03)
    assert prior[0, 0] < 0.1


def test_centre_box_keeps_the_middle() -> None:
    assert centre_box((100, 200)) == (30, 2, 170, 98)


def test_pose_prior_carries_keypoints_band_and_box() -> None:
    prior = person_prior(SHAPE, standing())
    assert prior.source == "pose" and prior.limb_width == pytest.approx(16.5)
    assert prior.prob[80, 60] == 1.0
    x0, y0, x1, y1 = prior.box
    assert x0 < 30 and y0 < 27 and x1 > 90 and y1 == SHAPE[0]
    person, likely_background, background = seed_regions(prior)
    assert person[80, 60] and not person[5, 5]
    assert background[5, 5] and likely_background[5, 5]
    assert not (person & likely_background).any()
    assert (background <= likely_background).all()  # sure background lies inside likely background


def test_option_checks_say_what_is_allowed() -> None:
    with pytest.raises(MethodError, match="choose one of: pose, centre"):
        check_choice("prior", "middle", ("pose", "centre"))
    with pytest.raises(MethodError, match="between 2 and 64"):
        check_int("k", 1, 2, 64)
    with pytest.raises(MethodError, match="> 0.0"):
        check_float("bandwidth", 0.0, 0.0, open_low=True)
    with pytest.raises(MethodError, match=">= 0.0 and <= 1.0"):
        check_float("spatial_weight", 1.5, 0.0, 1.0)
    assert check_int("k", 8.0, 2, 64) == 8 and check_float("w", 1, 0.0, 1.0) == 1.0


def test_votes_by_cluster_and_by_region() -> None:
    labels = np.array([[0, 0, 1, 0]])
    prior = np.array([[1.0, 1.0, 0.0, 0.0]])
    assert cluster_votes(labels, prior).tolist() == pytest.approx([2 / 3, 0.0])
    # The lone 0 on the right is its own region, far from the prior.
    assert region_votes(labels, prior).tolist() == [[1.0, 1.0, 0.0, 0.0]]
    seg = voted_segmentation(labels, prior, vote="cluster")
    assert seg.mask().tolist() == [[True, True, False, True]]
    assert voted_segmentation(labels, prior).mask().tolist() == [[True, True, False, False]]


def test_working_resolution_round_trip() -> None:
    rgb = np.zeros((333, 517, 3), np.uint8)
    small, scale = downscale(rgb, 200)
    assert max(small.shape[:2]) == 200 and scale == pytest.approx(200 / 517)
    assert upscale_prob(np.ones(small.shape[:2], np.float32), (333, 517)).shape == (333, 517)
    assert upscale_labels(np.zeros(small.shape[:2], int), (333, 517)).dtype == np.int32
    assert downscale(rgb, 1000)[1] == 1.0


def test_uniform_means_flat_up_to_noise() -> None:
    rng = np.random.default_rng(0)
    flat = np.full((50, 50, 3), 120, np.uint8)
    assert is_uniform(flat)
    assert is_uniform(flat + rng.integers(0, 2, flat.shape, dtype=np.uint8))
    flat[10:30, 10:30] = 200
    assert not is_uniform(flat)
