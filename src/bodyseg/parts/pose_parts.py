"""Parts from pose geometry: left/right decided by the pose landmarks, and the ``body`` scheme.

A part net trained on frontal fashion photos learns "left arm = the arm on the image's right"; a
person seen from the back breaks that. The pose landmarks (:data:`bodyseg.result.POSE_LANDMARKS`,
33 points in the person's own left/right) decide instead: each left/right part pixel goes to the
side whose limb (a polyline of landmarks) is nearer, and arm against leg the same way
(:func:`sides_by_pose`).

The ``body`` scheme (:data:`bodyseg.parts.schemes.BODY`) is drawn from the landmarks, the person
mask and a LIP parsing (:func:`body_from_lip`): hair, hat, sunglasses and the face above the chin
are the head; every other pixel of the person goes to the nearest body segment (neck, torso
quadrilateral, upper/lower arm, hand, upper/lower leg, foot) among those its LIP class allows (a LIP
arm pixel can only be an arm or a hand; trousers only legs or torso; shoes only feet).

Example:
    >>> keypoints = standing_keypoints()
    >>> lip = np.zeros((8, 8), np.uint8); lip[4, 1] = 14  # a "left arm" pixel on the image's left
    >>> int(sides_by_pose(lip, keypoints)[4, 1])  # a frontal person's right arm is on the image's left
    15
"""

from __future__ import annotations

import cv2
import numpy as np

from bodyseg.parts.schemes import BODY, LIP
from bodyseg.result import POSE_LANDMARKS

_K = {name: i for i, name in enumerate(POSE_LANDMARKS)}

#: LIP limb labels decided together by the nearest landmark chain: arms and legs (bare skin the net
#: confuses: on viton val it called 38-75% of leg pixels arm), then shoes.
LIMB_GROUPS: tuple[dict[int, tuple[str, ...]], ...] = (
    {
        14: ("left_shoulder", "left_elbow", "left_wrist", "left_index"),
        15: ("right_shoulder", "right_elbow", "right_wrist", "right_index"),
        16: ("left_hip", "left_knee", "left_ankle"),
        17: ("right_hip", "right_knee", "right_ankle"),
    },
    {
        18: ("left_ankle", "left_heel", "left_foot_index", "left_ankle"),
        19: ("right_ankle", "right_heel", "right_foot_index", "right_ankle"),
    },
)

#: ``body`` part -> the landmark segments it is drawn around (torso is a quadrilateral, neck computed).
BODY_SEGMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    f"{side}-{part}": tuple((f"{side}_{a}", f"{side}_{b}") for a, b in pairs)
    for side in ("left", "right")
    for part, pairs in {
        "upper-arm": (("shoulder", "elbow"),),
        "lower-arm": (("elbow", "wrist"),),
        "hand": (("wrist", "index"), ("wrist", "pinky"), ("wrist", "thumb")),
        "upper-leg": (("hip", "knee"),),
        "lower-leg": (("knee", "ankle"),),
        "foot": (("ankle", "foot_index"), ("heel", "foot_index")),
    }.items()
}

_ARMS = ("upper-arm", "lower-arm", "hand")
_LEGS = ("upper-leg", "lower-leg")
_SIDED = lambda parts: tuple(f"{s}-{p}" for s in ("left", "right") for p in parts)  # noqa: E731

#: LIP class -> the ``body`` parts its pixels may become (head classes are handled first).
LIP_ALLOWS: dict[str, tuple[str, ...]] = {
    "glove": _SIDED(("hand", "lower-arm")),
    "left-arm": _SIDED(_ARMS),
    "right-arm": _SIDED(_ARMS),
    "upper-clothes": ("torso", "neck", *_SIDED(_ARMS)),
    "coat": ("torso", "neck", *_SIDED(_ARMS), *_SIDED(_LEGS)),
    "dress": ("torso", *_SIDED(_ARMS), *_SIDED(_LEGS)),
    "jumpsuit": ("torso", *_SIDED(_ARMS), *_SIDED(_LEGS)),
    "scarf": ("torso", "neck"),
    "pants": ("torso", *_SIDED(_LEGS)),
    "skirt": ("torso", *_SIDED(_LEGS)),
    "left-leg": _SIDED(_LEGS),
    "right-leg": _SIDED(_LEGS),
    "socks": _SIDED(("lower-leg", "foot")),
    "left-shoe": _SIDED(("foot",)),
    "right-shoe": _SIDED(("foot",)),
    "face": ("neck", "torso"),
}

#: LIP classes that are the head in the ``body`` scheme (the face only above the chin).
HEAD_CLASSES = ("hat", "hair", "sunglasses")


def segment_distances(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``N x S`` distances from N ``(x, y)`` points to S line segments ``starts[s] -> ends[s]``.

    Example:
        >>> points = np.array([[0.0, 1.0], [3.0, 0.0]])
        >>> segment_distances(points, np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]])).tolist()
        [[1.0], [1.0]]
    """
    points = np.asarray(points, np.float32)[:, None, :]
    a, b = np.asarray(starts, np.float32)[None], np.asarray(ends, np.float32)[None]
    ab = b - a
    length2 = np.maximum((ab**2).sum(-1), 1e-6)
    t = np.clip(((points - a) * ab).sum(-1) / length2, 0.0, 1.0)
    nearest = a + t[..., None] * ab
    return np.sqrt(((points - nearest) ** 2).sum(-1))


def _chain_distance(points: np.ndarray, keypoints: np.ndarray, chain: tuple[str, ...]) -> np.ndarray:
    xy = keypoints[[_K[name] for name in chain], :2]
    return segment_distances(points, xy[:-1], xy[1:]).min(axis=1)


def has_pose(keypoints: np.ndarray | None) -> bool:
    """Whether ``keypoints`` are the 33 pose landmarks with finite positions."""
    return keypoints is not None and keypoints.shape[0] == len(POSE_LANDMARKS) and bool(np.isfinite(keypoints).all())


def to_image(xs: np.ndarray, ys: np.ndarray, offset: tuple[int, int], scale: float) -> np.ndarray:
    """Nx2 image ``(x, y)`` of map pixels: a map whose top-left is at ``offset`` in the image, at ``scale``.

    Example:
        >>> to_image(np.array([4]), np.array([2]), (10, 20), 0.5).tolist()
        [[18.0, 24.0]]
    """
    return np.stack([xs / scale + offset[0], ys / scale + offset[1]], axis=1).astype(np.float32)


def sides_by_pose(
    lip: np.ndarray, keypoints: np.ndarray | None, offset: tuple[int, int] = (0, 0), scale: float = 1.0
) -> np.ndarray:
    """LIP labels with every arm and leg pixel given to the nearest limb of the landmarks (left or right
    arm, left or right leg), and every shoe pixel to the nearer foot.

    Args:
        lip: HxW LIP label ids (a person crop or a whole image).
        keypoints: 33x3 pose landmarks ``(x, y, visibility)`` in image pixels, or None (labels kept).
        offset: ``(x, y)`` of the label map's top-left corner in the image (for a crop).
        scale: the map's pixels per image pixel (a crop seen smaller).

    Returns:
        A new label map (``lip`` unchanged without landmarks).
    """
    if not has_pose(keypoints):
        return lip
    out = lip.copy()
    for group in LIMB_GROUPS:
        labels = np.array(list(group), np.uint8)
        ys, xs = np.nonzero(np.isin(lip, labels))
        if len(ys) == 0:
            continue
        points = to_image(xs, ys, offset, scale)
        distances = np.stack([_chain_distance(points, keypoints, chain) for chain in group.values()], axis=1)
        out[ys, xs] = labels[distances.argmin(axis=1)]
    return out


def _torso_quad(keypoints: np.ndarray) -> np.ndarray:
    return keypoints[[_K["left_shoulder"], _K["right_shoulder"], _K["right_hip"], _K["left_hip"]], :2]


def _neck_segment(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Shoulder midpoint to the chin, and the chin's y (the mouth pushed down by half the nose-mouth gap)."""
    shoulders = keypoints[[_K["left_shoulder"], _K["right_shoulder"]], :2].mean(axis=0)
    mouth = keypoints[[_K["mouth_left"], _K["mouth_right"]], :2].mean(axis=0)
    chin = mouth + 0.5 * (mouth - keypoints[_K["nose"], :2])
    return shoulders, chin, float(chin[1])


def body_distances(points: np.ndarray, keypoints: np.ndarray, in_torso: np.ndarray) -> np.ndarray:
    """``N x BODY.num_classes`` distances from image points to each body part (inf for background, head).

    The torso is a quadrilateral (shoulders, hips): 0 for the points ``in_torso`` (N bools), else
    the distance to its edges.
    """
    distances = np.full((len(points), BODY.num_classes), np.inf, np.float32)
    for name, pairs in BODY_SEGMENTS.items():
        starts = keypoints[[_K[a] for a, _ in pairs], :2]
        ends = keypoints[[_K[b] for _, b in pairs], :2]
        distances[:, BODY.id_of(name)] = segment_distances(points, starts, ends).min(axis=1)
    quad = _torso_quad(keypoints)
    edge = segment_distances(points, quad, np.roll(quad, -1, axis=0)).min(axis=1)
    distances[:, BODY.id_of("torso")] = np.where(in_torso, 0.0, edge)
    start, chin, _ = _neck_segment(keypoints)
    distances[:, BODY.id_of("neck")] = segment_distances(points, start[None], chin[None])[:, 0]
    return distances


def torso_raster(keypoints: np.ndarray, shape: tuple[int, int], offset: tuple[int, int], scale: float) -> np.ndarray:
    """HxW bool: the torso quadrilateral drawn on a map at ``offset`` / ``scale`` of the image."""
    quad = (_torso_quad(keypoints) - offset) * scale
    raster = np.zeros(shape, np.uint8)
    cv2.fillPoly(raster, [np.round(quad).astype(np.int32)], 1)
    return raster.astype(bool)


def _allowed_table() -> np.ndarray:
    """``LIP.num_classes x BODY.num_classes`` bool: which body parts each LIP class may become."""
    table = np.ones((LIP.num_classes, BODY.num_classes), bool)
    for lip_name, parts in LIP_ALLOWS.items():
        row = np.zeros(BODY.num_classes, bool)
        row[[BODY.id_of(p) for p in parts]] = True
        table[LIP.id_of(lip_name)] = row
    table[:, 0] = False
    table[:, BODY.id_of("head")] = False
    return table


def body_from_lip(
    lip: np.ndarray,
    mask: np.ndarray,
    keypoints: np.ndarray | None,
    offset: tuple[int, int] = (0, 0),
    scale: float = 1.0,
) -> np.ndarray:
    """The ``body`` scheme's labels of one person from its LIP parsing, mask and pose landmarks.

    Args:
        lip: HxW LIP ids (inside ``mask``; outside is ignored).
        mask: HxW bool, the person.
        keypoints: 33x3 landmarks in image pixels; without them the non-head pixels are all torso.
        offset: ``(x, y)`` of the maps' top-left corner in the image.
        scale: the maps' pixels per image pixel.

    Returns:
        HxW uint8 ``body`` ids, 0 outside ``mask``.
    """
    body = np.zeros(mask.shape, np.uint8)
    head = mask & np.isin(lip, [LIP.id_of(n) for n in HEAD_CLASSES])
    face = mask & (lip == LIP.id_of("face"))
    if not has_pose(keypoints):
        body[head | face] = BODY.id_of("head")
        body[mask & ~(head | face)] = BODY.id_of("torso")
        return body
    _, _, chin_y = _neck_segment(keypoints)
    rows = np.arange(mask.shape[0])[:, None] / scale + offset[1]
    head |= face & (rows <= chin_y)
    body[head] = BODY.id_of("head")
    ys, xs = np.nonzero(mask & ~head)
    if len(ys):
        points = to_image(xs, ys, offset, scale)
        in_torso = torso_raster(keypoints, mask.shape, offset, scale)[ys, xs]
        distances = body_distances(points, keypoints, in_torso)
        allowed = _allowed_table()[lip[ys, xs]]
        constrained = np.where(allowed, distances, np.inf)
        unconstrained = distances.copy()
        unconstrained[:, BODY.id_of("head")] = np.inf
        choice = np.where(
            np.isfinite(constrained).any(axis=1), constrained.argmin(axis=1), unconstrained.argmin(axis=1)
        )
        body[ys, xs] = choice.astype(np.uint8)
    return body


def standing_keypoints(width: float = 8.0, height: float = 8.0) -> np.ndarray:
    """33x3 landmarks of a frontal person standing in a ``width`` x ``height`` box (for examples and tests).

    The person faces the camera, so their left side is on the image's right.
    """
    cx, s = width / 2, width / 8
    at = {
        "nose": (cx, 0.08 * height),
        "mouth": (0.13 * height,),
        "shoulder": (1.5 * s, 0.25 * height),
        "elbow": (2.5 * s, 0.4 * height),
        "wrist": (3.0 * s, 0.55 * height),
        "hand": (3.2 * s, 0.6 * height),
        "hip": (1.0 * s, 0.55 * height),
        "knee": (1.1 * s, 0.75 * height),
        "ankle": (1.1 * s, 0.92 * height),
        "heel": (1.1 * s, 0.96 * height),
        "toe": (1.4 * s, 0.98 * height),
    }
    points = np.zeros((len(POSE_LANDMARKS), 3), np.float32)
    points[:, :2] = (cx, 0.08 * height)
    points[:, 2] = 1.0
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for joint, name in (
            ("shoulder", "shoulder"),
            ("elbow", "elbow"),
            ("wrist", "wrist"),
            ("hand", "index"),
            ("hand", "pinky"),
            ("hand", "thumb"),
            ("hip", "hip"),
            ("knee", "knee"),
            ("ankle", "ankle"),
            ("heel", "heel"),
            ("toe", "foot_index"),
        ):
            dx, y = at[joint]
            points[_K[f"{side}_{name}"], :2] = (cx + sign * dx, y)
        points[_K[f"mouth_{side}"], :2] = (cx + sign * 0.3 * s, at["mouth"][0])
    return points
