"""The skeleton prior, band and person box, on hand-made keypoints."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.errors import InputError
from bodyseg.pose.skeleton import (
    LANDMARK,
    LIMB_INDICES,
    LIMBS,
    TORSO,
    default_limb_width,
    person_box_from_keypoints,
    scale_keypoints,
    skeleton_distance,
    skeleton_mask,
    skeleton_prior,
    torso_length,
)
from bodyseg.result import POSE_LANDMARKS

SHAPE = (200, 120)

#: A person standing facing the camera in a 120x200 image (their left is the image's right).
STANDING = {
    "nose": (60, 30),
    "left_eye_inner": (62, 27),
    "left_eye": (64, 27),
    "left_eye_outer": (66, 27),
    "right_eye_inner": (58, 27),
    "right_eye": (56, 27),
    "right_eye_outer": (54, 27),
    "left_ear": (70, 30),
    "right_ear": (50, 30),
    "mouth_left": (63, 37),
    "mouth_right": (57, 37),
    "left_shoulder": (80, 55),
    "right_shoulder": (40, 55),
    "left_elbow": (85, 85),
    "right_elbow": (35, 85),
    "left_wrist": (88, 112),
    "right_wrist": (32, 112),
    "left_pinky": (90, 118),
    "right_pinky": (30, 118),
    "left_index": (88, 120),
    "right_index": (32, 120),
    "left_thumb": (86, 117),
    "right_thumb": (34, 117),
    "left_hip": (72, 110),
    "right_hip": (48, 110),
    "left_knee": (72, 150),
    "right_knee": (48, 150),
    "left_ankle": (72, 185),
    "right_ankle": (48, 185),
    "left_heel": (70, 190),
    "right_heel": (50, 190),
    "left_foot_index": (78, 193),
    "right_foot_index": (42, 193),
}


def standing(visibility: float = 0.9) -> np.ndarray:
    kp = np.array([(*STANDING[name], visibility) for name in POSE_LANDMARKS], np.float32)
    return kp


def test_limb_tables_name_real_landmarks() -> None:
    names = set(POSE_LANDMARKS)
    assert all(a in names and b in names for a, b in LIMBS.values())
    assert all(name in names for name in TORSO)
    assert LIMB_INDICES[0] == (LANDMARK["left_shoulder"], LANDMARK["left_elbow"])
    assert len(LIMB_INDICES) == len(LIMBS)


def test_limb_width_follows_the_torso() -> None:
    kp = standing()
    assert torso_length(kp) == pytest.approx(55.0)
    assert default_limb_width(kp) == pytest.approx(0.3 * 55.0)


def test_prior_is_one_on_bones_torso_and_head_and_gaussian_across_a_limb() -> None:
    kp = standing()
    prior = skeleton_prior(kp, SHAPE, limb_width=10)
    assert prior.dtype == np.float32 and prior.shape == SHAPE
    assert 0.0 <= prior.min() and prior.max() <= 1.0
    assert prior[130, 72] == 1.0  # on the left thigh (hip 110 -> knee 150 at x = 72)
    assert prior[80, 60] == 1.0  # inside the torso
    assert prior[30, 60] == 1.0  # the head
    # Across the shin (vertical at x = 48): exp(-d^2 / (2 * 5^2)).
    for d in (2, 5, 8):
        assert prior[170, 48 - d] == pytest.approx(np.exp(-0.5 * (d / 5.0) ** 2), abs=0.02)
    assert prior[5, 5] < 1e-6  # far from everything
    # Between the shins, 12 px from each.
    assert prior[180, 60] == pytest.approx(np.exp(-0.5 * (12 / 5.0) ** 2), abs=0.01)


def test_mask_is_the_band_within_half_a_limb_width() -> None:
    kp = standing()
    mask = skeleton_mask(kp, SHAPE, limb_width=10)
    prior = skeleton_prior(kp, SHAPE, limb_width=10)
    assert mask.dtype == bool
    row = mask[170]
    assert row[43:54].all() and not row[42] and not row[54]  # shin at x = 48, +-5 px
    # The band is where the prior is at least exp(-1/2) (up to rounding right on the edge).
    assert (mask ^ (prior >= np.exp(-0.5))).sum() <= 0.01 * mask.sum()


def test_invisible_keypoints_leave_their_limbs_out() -> None:
    kp = standing()
    kp[LANDMARK["left_knee"], 2] = 0.1
    prior = skeleton_prior(kp, SHAPE, limb_width=10)
    assert prior[130, 72] < 0.5  # thigh gone (hip -> knee)
    assert prior[170, 72] < 0.5  # shin gone (knee -> ankle)
    assert prior[130, 48] == 1.0  # the other leg stays


def test_no_visible_keypoints_gives_an_empty_prior_mask_and_box() -> None:
    kp = standing(visibility=0.0)
    assert not skeleton_prior(kp, SHAPE, limb_width=10).any()
    assert not skeleton_mask(kp, SHAPE, limb_width=10).any()
    assert np.isinf(skeleton_distance(kp, SHAPE)).all()
    assert person_box_from_keypoints(kp, SHAPE) == (0, 0, 0, 0)


def test_keypoints_off_the_image_are_clipped_not_fatal() -> None:
    kp = standing()
    kp[LANDMARK["left_ankle"], :2] = (72, 5000)
    kp[LANDMARK["right_ankle"], :2] = (-1e9, 1e9)
    prior = skeleton_prior(kp, SHAPE, limb_width=10)
    assert prior[199, 72] > 0.9  # the shin runs to the bottom edge
    assert np.isfinite(prior).all()


def test_person_box_grows_by_the_margin_and_clips_to_the_image() -> None:
    kp = standing()
    # Keypoints span x 30..90, y 27..193: longer side 166.
    assert person_box_from_keypoints(kp, SHAPE, margin=0.0) == (30, 27, 91, 194)
    x0, y0, x1, y1 = person_box_from_keypoints(kp, SHAPE, margin=0.1)
    assert (x0, y0) == (13, 10)
    assert (x1, y1) == (108, 200)  # 193 + 16.6 clipped to the image height
    with pytest.raises(InputError):
        person_box_from_keypoints(kp, SHAPE, margin=-1)


def test_scale_keypoints_keeps_visibility() -> None:
    scaled = scale_keypoints(standing(), 0.5)
    assert scaled[LANDMARK["nose"]].tolist() == [30.0, 15.0, pytest.approx(0.9)]


def test_bad_keypoints_and_widths_are_refused_with_the_fix() -> None:
    with pytest.raises(InputError, match="33x3"):
        skeleton_prior(np.zeros((17, 3)), SHAPE)
    with pytest.raises(InputError, match="limb_width"):
        skeleton_mask(standing(), SHAPE, limb_width=0)
