"""Skeleton priors: where a person's body probably is, drawn from 33 pose keypoints.

The keypoints are the MediaPipe / BlazePose topology (:data:`bodyseg.result.POSE_LANDMARKS`), a
33x3 array of ``(x, y, visibility)`` in pixels. The skeleton is the limbs (segments between
keypoints, :data:`LIMBS`), the torso (the shoulder-hip quadrilateral, :data:`TORSO`, filled) and the
head (a disc around the face keypoints, :data:`HEAD`). Only keypoints with visibility of at least
``min_visibility`` are drawn.

:func:`skeleton_prior` turns the distance ``d`` to the skeleton into a Gaussian,
``exp(-d**2 / (2 * sigma**2))`` with ``sigma = limb_width / 2``: 1 on the bones, the torso and the
head, about 0.61 at the limb's edge, near 0 two limb widths away. :func:`skeleton_mask` is the band
of pixels within half a limb width of the skeleton, :func:`person_box_from_keypoints` the keypoints'
box with a margin.

Example:
    >>> kp = np.zeros((33, 3), np.float32)
    >>> kp[LANDMARK["left_hip"]] = (40, 50, 1.0); kp[LANDMARK["left_knee"]] = (40, 80, 1.0)
    >>> prior = skeleton_prior(kp, (100, 80), limb_width=10)
    >>> float(prior[65, 40]), round(float(prior[65, 45]), 2), float(prior[65, 60]) < 0.01
    (1.0, 0.61, True)
"""

from __future__ import annotations

import cv2
import numpy as np

from bodyseg.errors import InputError
from bodyseg.result import POSE_LANDMARKS

#: Landmark name -> row in the 33x3 keypoint array.
LANDMARK: dict[str, int] = {name: i for i, name in enumerate(POSE_LANDMARKS)}

#: Limb name -> the two landmarks it joins (drawn as a segment).
LIMBS: dict[str, tuple[str, str]] = {
    "left_upper_arm": ("left_shoulder", "left_elbow"),
    "left_forearm": ("left_elbow", "left_wrist"),
    "left_hand": ("left_wrist", "left_index"),
    "right_upper_arm": ("right_shoulder", "right_elbow"),
    "right_forearm": ("right_elbow", "right_wrist"),
    "right_hand": ("right_wrist", "right_index"),
    "left_thigh": ("left_hip", "left_knee"),
    "left_shin": ("left_knee", "left_ankle"),
    "left_foot": ("left_ankle", "left_foot_index"),
    "left_heel": ("left_ankle", "left_heel"),
    "right_thigh": ("right_hip", "right_knee"),
    "right_shin": ("right_knee", "right_ankle"),
    "right_foot": ("right_ankle", "right_foot_index"),
    "right_heel": ("right_ankle", "right_heel"),
    "shoulders": ("left_shoulder", "right_shoulder"),
    "hips": ("left_hip", "right_hip"),
    "left_flank": ("left_shoulder", "left_hip"),
    "right_flank": ("right_shoulder", "right_hip"),
}

#: Limbs as pairs of keypoint rows, in the order of :data:`LIMBS`.
LIMB_INDICES: tuple[tuple[int, int], ...] = tuple((LANDMARK[a], LANDMARK[b]) for a, b in LIMBS.values())

#: The torso polygon, filled when all four corners are visible.
TORSO: tuple[str, ...] = ("left_shoulder", "right_shoulder", "right_hip", "left_hip")

#: The face keypoints; the head is a disc around their mean, joined to the shoulders by the neck.
HEAD: tuple[str, ...] = POSE_LANDMARKS[: LANDMARK["mouth_right"] + 1]

#: Keypoints below this visibility are left out by default.
MIN_VISIBILITY = 0.5

#: Default limb width as a fraction of the torso length (shoulder midpoint to hip midpoint).
LIMB_WIDTH_PER_TORSO = 0.3


def check_keypoints(keypoints: np.ndarray) -> np.ndarray:
    """The keypoints as a 33x3 float32 array, or an :class:`InputError` saying what is wrong.

    Example:
        >>> check_keypoints(np.zeros((33, 3))).dtype
        dtype('float32')
    """
    kp = np.asarray(keypoints, dtype=np.float32)
    if kp.shape != (len(POSE_LANDMARKS), 3):
        raise InputError(
            f"keypoints must be a {len(POSE_LANDMARKS)}x3 array of (x, y, visibility) in pixels in "
            f"MediaPipe order, got shape {kp.shape}"
        )
    return kp


def visible(keypoints: np.ndarray, min_visibility: float = MIN_VISIBILITY) -> np.ndarray:
    """Bool array of the keypoints that count: finite coordinates and visibility >= ``min_visibility``.

    Example:
        >>> kp = np.zeros((33, 3), np.float32); kp[0, 2] = 0.9
        >>> int(visible(kp).sum())
        1
    """
    kp = check_keypoints(keypoints)
    return np.isfinite(kp).all(axis=1) & (kp[:, 2] >= min_visibility)


def scale_keypoints(keypoints: np.ndarray, scale: float) -> np.ndarray:
    """Keypoints for an image resized by ``scale`` (x and y scaled, visibility kept).

    Example:
        >>> scale_keypoints(np.ones((33, 3)), 0.5)[0].tolist()
        [0.5, 0.5, 1.0]
    """
    kp = check_keypoints(keypoints).copy()
    kp[:, :2] *= scale
    return kp


def torso_length(keypoints: np.ndarray, min_visibility: float = MIN_VISIBILITY) -> float | None:
    """Distance from the shoulders' midpoint to the hips' midpoint, or None if one is not visible.

    Example:
        >>> kp = np.zeros((33, 3), np.float32); kp[11:13] = (10, 0, 1); kp[23:25] = (10, 40, 1)
        >>> torso_length(kp)
        40.0
    """
    kp = check_keypoints(keypoints)
    ok = visible(kp, min_visibility)
    shoulders = [LANDMARK["left_shoulder"], LANDMARK["right_shoulder"]]
    hips = [LANDMARK["left_hip"], LANDMARK["right_hip"]]
    if not (ok[shoulders].all() and ok[hips].all()):
        return None
    return float(np.linalg.norm(kp[shoulders, :2].mean(axis=0) - kp[hips, :2].mean(axis=0)))


def default_limb_width(keypoints: np.ndarray, min_visibility: float = MIN_VISIBILITY) -> float:
    """A limb width in pixels for this body: :data:`LIMB_WIDTH_PER_TORSO` of the torso length.

    Without a visible torso, a tenth of the visible keypoints' box diagonal; at least 2 pixels.

    Example:
        >>> kp = np.zeros((33, 3), np.float32); kp[11:13] = (10, 0, 1); kp[23:25] = (10, 40, 1)
        >>> default_limb_width(kp)
        12.0
    """
    kp = check_keypoints(keypoints)
    torso = torso_length(kp, min_visibility)
    if torso is not None and torso > 0:
        return max(2.0, LIMB_WIDTH_PER_TORSO * torso)
    points = kp[visible(kp, min_visibility), :2]
    if len(points) < 2:
        return 2.0
    return max(2.0, 0.1 * float(np.linalg.norm(points.max(axis=0) - points.min(axis=0))))


def skeleton_canvas(
    keypoints: np.ndarray,
    shape: tuple[int, int],
    min_visibility: float = MIN_VISIBILITY,
) -> np.ndarray:
    """HxW uint8 drawing of the skeleton: 1 on limb segments, the filled torso and the head disc.

    Limbs are one pixel wide here; their width comes from the distance to this drawing (see
    :func:`skeleton_distance`). Empty (all 0) when no limb, torso or head is visible.

    Example:
        >>> kp = np.zeros((33, 3), np.float32)
        >>> kp[LANDMARK["left_hip"]] = (5, 2, 1); kp[LANDMARK["left_knee"]] = (5, 8, 1)
        >>> int(skeleton_canvas(kp, (10, 10))[:, 5].sum())
        7
    """
    kp = check_keypoints(keypoints)
    h, w = shape
    ok = visible(kp, min_visibility)
    # Far-off keypoints (a limb leaving the frame) are clamped so OpenCV's int32 maths cannot overflow.
    pts = np.clip(np.nan_to_num(kp[:, :2]), -4.0 * max(h, w), 5.0 * max(h, w))
    pts = np.round(pts).astype(np.int32)
    canvas = np.zeros((h, w), np.uint8)
    for a, b in LIMB_INDICES:
        if ok[a] and ok[b]:
            cv2.line(canvas, tuple(map(int, pts[a])), tuple(map(int, pts[b])), 1, thickness=1)
    torso = [LANDMARK[name] for name in TORSO]
    if ok[torso].all():
        cv2.fillPoly(canvas, [pts[torso]], 1)
    head = [LANDMARK[name] for name in HEAD if ok[LANDMARK[name]]]
    if head:
        centre = kp[head, :2].mean(axis=0)
        spread = float(np.linalg.norm(kp[head, :2] - centre, axis=1).max())
        cx, cy = np.round(np.clip(centre, -4.0 * max(h, w), 5.0 * max(h, w))).astype(int)
        cv2.circle(canvas, (int(cx), int(cy)), max(1, round(1.3 * spread)), 1, thickness=-1)
        shoulders = [LANDMARK["left_shoulder"], LANDMARK["right_shoulder"]]
        if ok[shoulders].all():
            neck = np.round(pts[shoulders].mean(axis=0)).astype(int)
            cv2.line(canvas, (int(cx), int(cy)), (int(neck[0]), int(neck[1])), 1, thickness=1)
    return canvas


def skeleton_distance(
    keypoints: np.ndarray,
    shape: tuple[int, int],
    min_visibility: float = MIN_VISIBILITY,
) -> np.ndarray:
    """HxW float32 distance in pixels to the nearest point of the skeleton (inf if none is visible).

    Example:
        >>> kp = np.zeros((33, 3), np.float32)
        >>> kp[LANDMARK["left_hip"]] = (5, 2, 1); kp[LANDMARK["left_knee"]] = (5, 8, 1)
        >>> float(skeleton_distance(kp, (10, 10))[5, 8])
        3.0
    """
    canvas = skeleton_canvas(keypoints, shape, min_visibility)
    if not canvas.any():
        return np.full(shape, np.inf, np.float32)
    return cv2.distanceTransform((canvas == 0).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def skeleton_prior(
    keypoints: np.ndarray,
    shape: tuple[int, int],
    limb_width: float | None = None,
    min_visibility: float = MIN_VISIBILITY,
) -> np.ndarray:
    """HxW float32 person prior in [0, 1]: Gaussian limbs around the skeleton.

    Args:
        keypoints: 33x3 ``(x, y, visibility)`` in pixels of an image of ``shape``.
        shape: ``(height, width)`` of the prior.
        limb_width: full limb width in pixels (the Gaussian's sigma is half of it); by default
            :func:`default_limb_width` of these keypoints.
        min_visibility: keypoints below this visibility are left out.

    Returns:
        ``exp(-d**2 / (2 * (limb_width / 2)**2))`` of the distance ``d`` to the skeleton; all zeros
        when no limb, torso or head is visible.

    Example:
        >>> kp = np.zeros((33, 3), np.float32)
        >>> kp[LANDMARK["left_hip"]] = (40, 50, 1.0); kp[LANDMARK["left_knee"]] = (40, 80, 1.0)
        >>> prior = skeleton_prior(kp, (100, 80), limb_width=10)
        >>> prior.dtype, float(prior[65, 40]), float(prior[5, 5]) < 1e-6
        (dtype('float32'), 1.0, True)
    """
    if limb_width is None:
        limb_width = default_limb_width(keypoints, min_visibility)
    if limb_width <= 0:
        raise InputError(f"limb_width must be > 0 pixels, got {limb_width}")
    return gaussian_limbs(skeleton_distance(keypoints, shape, min_visibility), limb_width)


def gaussian_limbs(distance: np.ndarray, limb_width: float) -> np.ndarray:
    """float32 ``exp(-d**2 / (2 * (limb_width / 2)**2))`` of a distance map to the skeleton.

    Example:
        >>> [round(float(v), 2) for v in gaussian_limbs(np.array([0.0, 5.0, np.inf]), limb_width=10)]
        [1.0, 0.61, 0.0]
    """
    sigma = limb_width / 2.0
    with np.errstate(over="ignore"):
        return np.exp(-0.5 * np.square(np.asarray(distance, np.float32) / sigma)).astype(np.float32)


def skeleton_mask(
    keypoints: np.ndarray,
    shape: tuple[int, int],
    limb_width: float | None = None,
    min_visibility: float = MIN_VISIBILITY,
) -> np.ndarray:
    """HxW bool band: pixels within ``limb_width / 2`` of the skeleton (limbs ``limb_width`` wide).

    Equals ``skeleton_prior(...) >= exp(-0.5)``. A small ``limb_width`` gives the bones (sure
    foreground), a large one a wide band outside which the background surely is.

    Example:
        >>> kp = np.zeros((33, 3), np.float32)
        >>> kp[LANDMARK["left_hip"]] = (40, 50, 1.0); kp[LANDMARK["left_knee"]] = (40, 80, 1.0)
        >>> skeleton_mask(kp, (100, 80), limb_width=10)[65, 33:48].astype(int).tolist()
        [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    """
    if limb_width is None:
        limb_width = default_limb_width(keypoints, min_visibility)
    if limb_width <= 0:
        raise InputError(f"limb_width must be > 0 pixels, got {limb_width}")
    return skeleton_distance(keypoints, shape, min_visibility) <= limb_width / 2.0


def person_box_from_keypoints(
    keypoints: np.ndarray,
    shape: tuple[int, int],
    margin: float = 0.15,
    min_visibility: float = MIN_VISIBILITY,
) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` box (x1/y1 exclusive) around the visible keypoints, grown and clipped.

    Keypoints mark joints, not the body's outline (the top of the head, the hands' and feet's
    ends and the clothes lie outside them), so the box grows by ``margin`` times its longer side
    on every side, then is clipped to the image. ``(0, 0, 0, 0)`` when no keypoint is visible.

    Example:
        >>> kp = np.zeros((33, 3), np.float32); kp[:, 2] = 1; kp[:, 0] = 50; kp[:, 1] = 40
        >>> kp[0, :2] = (50, 20); kp[-1, :2] = (50, 120)
        >>> person_box_from_keypoints(kp, (130, 100), margin=0.1)
        (40, 10, 61, 130)
    """
    if margin < 0:
        raise InputError(f"margin must be >= 0, got {margin}")
    kp = check_keypoints(keypoints)
    points = kp[visible(kp, min_visibility), :2]
    h, w = shape
    if len(points) == 0:
        return (0, 0, 0, 0)
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    grow = margin * max(x1 - x0, y1 - y0)
    box = (
        int(np.clip(np.floor(x0 - grow), 0, w)),
        int(np.clip(np.floor(y0 - grow), 0, h)),
        int(np.clip(np.ceil(x1 + grow) + 1, 0, w)),
        int(np.clip(np.ceil(y1 + grow) + 1, 0, h)),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return (0, 0, 0, 0)
    return box
