"""The one result type: :class:`Segmentation`, with one :class:`Person` per person found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The 33 landmark names of the MediaPipe / BlazePose topology, in model order.
POSE_LANDMARKS: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)


@dataclass
class Parts:
    """A body-part label map: ``labels`` is HxW int, ``names[i]`` names label id ``i``."""

    labels: np.ndarray
    names: tuple[str, ...]


@dataclass
class Person:
    """One person found in an image.

    Attributes:
        mask: HxW bool array, the pixels of this person.
        box: ``(x0, y0, x1, y1)`` in pixels, x1/y1 exclusive.
        score: confidence in [0, 1].
        keypoints: Kx3 float32 array of ``(x, y, visibility)`` in pixels, or None. With 33 rows
            the order is :data:`POSE_LANDMARKS`.
        parts: this person's part labels (HxW, 0 outside the person), where the method gives parts.
    """

    mask: np.ndarray
    box: tuple[int, int, int, int]
    score: float = 1.0
    keypoints: np.ndarray | None = None
    parts: Parts | None = None


#: ``Segmentation.meta`` key of a clustering method's HxW int cluster map (k-means, mean-shift).
CLUSTER_MAP = "cluster_map"


@dataclass
class Segmentation:
    """What every segmenter returns.

    Attributes:
        prob: HxW float32 person probability in [0, 1], at the input's resolution.
        people: one :class:`Person` per person, where the method separates them.
        parts: body-part labels, where the method provides them.
        meta: free-form facts about the run (``method``, ``warnings``, timings; a clustering method's
            cluster map under :data:`CLUSTER_MAP`...).

    Example:
        >>> import numpy as np
        >>> seg = Segmentation(prob=np.array([[0.2, 0.9]], dtype=np.float32))
        >>> seg.mask().tolist()
        [[False, True]]
    """

    prob: np.ndarray
    people: list[Person] = field(default_factory=list)
    parts: Parts | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        prob = np.asarray(self.prob, dtype=np.float32)
        if prob.ndim != 2:
            raise ValueError(f"Segmentation.prob must be HxW, got shape {prob.shape}")
        self.prob = prob

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the segmented image."""
        return self.prob.shape  # type: ignore[return-value]

    def mask(self, threshold: float = 0.5) -> np.ndarray:
        """Person mask: HxW bool, ``prob > threshold``."""
        return self.prob > threshold

    @property
    def warnings(self) -> list[str]:
        """Warnings the method recorded (an empty image, no person found, ...)."""
        return self.meta.setdefault("warnings", [])

    def warn(self, message: str) -> None:
        """Record a warning on this result."""
        self.warnings.append(message)


def box_of_mask(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Tight ``(x0, y0, x1, y1)`` box of a bool mask (x1/y1 exclusive); ``(0, 0, 0, 0)`` if empty.

    Example:
        >>> m = np.zeros((4, 5), bool); m[1:3, 2:4] = True
        >>> box_of_mask(m)
        (2, 1, 4, 3)
    """
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return (0, 0, 0, 0)
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
