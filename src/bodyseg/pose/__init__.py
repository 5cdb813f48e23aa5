"""Pose: keypoints and what is drawn from them (skeleton priors, person boxes).

Example:
    >>> from bodyseg.pose import skeleton_prior, person_box_from_keypoints  # doctest: +SKIP
"""

from bodyseg.pose.skeleton import (
    HEAD,
    LANDMARK,
    LIMB_INDICES,
    LIMBS,
    TORSO,
    default_limb_width,
    gaussian_limbs,
    person_box_from_keypoints,
    scale_keypoints,
    skeleton_distance,
    skeleton_mask,
    skeleton_prior,
    visible,
)

__all__ = [
    "HEAD",
    "LANDMARK",
    "LIMBS",
    "LIMB_INDICES",
    "TORSO",
    "default_limb_width",
    "gaussian_limbs",
    "person_box_from_keypoints",
    "scale_keypoints",
    "skeleton_distance",
    "skeleton_mask",
    "skeleton_prior",
    "visible",
]
