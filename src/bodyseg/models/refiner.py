"""Our pose-conditioned refinement net: it corrects one person's mask (the landmark model's) in a crop.

The net works on a square crop around what the landmark model's mask shows of the person inside
the image (:func:`refine_crop`: the mask's box with a margin), at :data:`REFINE_SIZE`. Not the
landmark model's own crop: that is sized for a whole body, so a portrait's head and shoulders
fill a corner of it; around the visible part they fill the crop.

```
inputs (7 x 128 x 128)                                  output
  RGB crop (ImageNet-normalised)          -> small  ->  dM, a correction in logit space
  prior: the landmark model's probability    U-Net
  selfie: the whole-frame selfie model's probability, warped into the crop (strong on portraits)
  skeleton: Gaussian limbs, torso and head (bodyseg.pose.skeleton)
  keypoints: a Gaussian bump per visible keypoint
final probability = sigmoid(dM + logit(prior))
```

Starting from the prior means an untrained net (dM = 0) returns the landmark model's mask, and
training only has to learn where that mask is wrong: cut-off limbs, loose hair and clothes,
people the pose model only half sees. The correction is computed at 128 px and added to the
prior's logits at the prior's own 256 px, so the prior's detail is kept where the net agrees.

Example:
    >>> crop, prior = np.zeros((256, 256, 3), np.uint8), np.full((256, 256), 0.5, np.float32)
    >>> x = refiner_input(crop, prior, np.zeros((33, 3), np.float32))
    >>> x.shape, x.dtype
    ((7, 128, 128), dtype('float32'))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bodyseg.errors import MethodError
from bodyseg.geometry import RotatedSquare, crop_square, points_to_crop
from bodyseg.models.card import PATH_KEY, load_card, shipped_card
from bodyseg.models.runtime import logit, normalise, onnx_session, sigmoid
from bodyseg.pose.skeleton import MIN_VISIBILITY, skeleton_prior
from bodyseg.result import box_of_mask

#: Side of the square the refinement net sees.
REFINE_SIZE = 128
#: Input channels: RGB, prior, selfie, skeleton, keypoints.
REFINE_CHANNELS = 7
#: Index of the prior probability among the input channels (the net adds its logit to dM).
PRIOR_CHANNEL = 3
#: Index of the selfie model's probability.
SELFIE_CHANNEL = 4
#: Name of the refinement weights shipped in the package (``bodyseg/weights/<name>.onnx`` + ``.json``).
SHIPPED = "pose_refiner"


def keypoint_bumps(
    keypoints: np.ndarray, shape: tuple[int, int], sigma: float, min_visibility: float = MIN_VISIBILITY
) -> np.ndarray:
    """HxW float32: a Gaussian of ``sigma`` pixels on each visible keypoint (the maximum where they meet).

    Example:
        >>> kp = np.zeros((33, 3), np.float32); kp[0] = (4, 2, 1.0)
        >>> bumps = keypoint_bumps(kp, (5, 8), sigma=1.0)
        >>> float(bumps[2, 4]), round(float(bumps[2, 5]), 3), float(bumps.sum() > 0)
        (1.0, 0.607, 1.0)
    """
    h, w = shape
    out = np.zeros((h, w), np.float32)
    ys, xs = np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :]
    for x, y, v in np.asarray(keypoints, np.float32):
        if v >= min_visibility and -3 * sigma <= x < w + 3 * sigma and -3 * sigma <= y < h + 3 * sigma:
            np.maximum(out, np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2)), out=out)
    return out


def pose_maps(keypoints: np.ndarray, size: int = REFINE_SIZE) -> np.ndarray:
    """2xSxS float32 pose channels from 33x3 keypoints in pixels of an SxS crop: skeleton prior, keypoint bumps.

    Example:
        >>> pose_maps(np.zeros((33, 3), np.float32), 16).shape
        (2, 16, 16)
    """
    skeleton = skeleton_prior(keypoints, (size, size))
    bumps = keypoint_bumps(keypoints, (size, size), sigma=size / 64)
    return np.stack([skeleton, bumps])


def warp_into_crop(
    frame_prob: np.ndarray, image_shape: tuple[int, int], roi: RotatedSquare, size: int = REFINE_SIZE
) -> np.ndarray:
    """A whole-frame probability at any resolution (e.g. the selfie model's 256x256, stretched over the
    image) warped into an SxS crop of ``roi``; 0 outside the image.

    Example:
        >>> roi = RotatedSquare(cx=50.0, cy=50.0, side=100.0, angle=0.0)
        >>> float(warp_into_crop(np.ones((10, 10), np.float32), (100, 100), roi, size=20)[10, 10])
        1.0
    """
    grid_h, grid_w = frame_prob.shape
    to_image = np.array(
        [
            [image_shape[1] / grid_w, 0, 0.5 * image_shape[1] / grid_w - 0.5],
            [0, image_shape[0] / grid_h, 0.5 * image_shape[0] / grid_h - 0.5],
            [0, 0, 1],
        ]
    )
    matrix = roi.crop_matrix(size) @ to_image
    return cv2.warpAffine(
        np.asarray(frame_prob, np.float32),
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )


@dataclass
class RefineCrop:
    """One person's refinement crop: where it is, and the net's raw inputs in it.

    Attributes:
        roi: the square (axis-aligned) in image pixels.
        rgb: the 256x256 RGB crop (edges replicated beyond the image).
        prior: the person's probability in the crop, 256x256 (0 beyond the image).
        keypoints: 33x3 keypoints in pixels of the 256 crop.
        selfie: the selfie model's probability in the crop at the net's input side.
    """

    roi: RotatedSquare
    rgb: np.ndarray
    prior: np.ndarray
    keypoints: np.ndarray
    selfie: np.ndarray

    def net_input(self, size: int = REFINE_SIZE) -> np.ndarray:
        """The 7 x S x S input of the net (:func:`refiner_input`)."""
        return refiner_input(self.rgb, self.prior, self.keypoints, self.selfie, size)


#: Margin around the person's box, as a fraction of its longer side, on each side.
CROP_MARGIN = 0.15
#: Crop side the RGB, prior and keypoints are taken at (the net sees them shrunk to REFINE_SIZE).
CROP_SIZE = 256


def box_roi(box: tuple[int, int, int, int], margin: float = CROP_MARGIN) -> RotatedSquare:
    """The square around ``(x0, y0, x1, y1)`` with ``margin`` of its longer side on each side.

    Example:
        >>> box_roi((10, 20, 30, 60), margin=0.25)
        RotatedSquare(cx=20.0, cy=40.0, side=60.0, angle=0.0)
    """
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0, 1) * (1 + 2 * margin)
    return RotatedSquare((x0 + x1) / 2, (y0 + y1) / 2, float(side), 0.0)


def refine_crop(
    rgb: np.ndarray,
    prob: np.ndarray,
    keypoints: np.ndarray,
    selfie: np.ndarray,
    *,
    margin: float = CROP_MARGIN,
    min_prob: float = 0.3,
    net_size: int = REFINE_SIZE,
) -> RefineCrop | None:
    """The refinement crop of one person from its image-sized probability, keypoints (image pixels)
    and the selfie model's whole-frame probability (warped at ``net_size``, the net's input side);
    None when the probability is empty."""
    box = box_of_mask(prob > min_prob)
    if box[2] <= box[0]:
        return None
    roi = box_roi(box, margin)
    matrix = roi.crop_matrix(CROP_SIZE)
    prior = cv2.warpAffine(
        np.asarray(prob, np.float32),
        matrix,
        (CROP_SIZE, CROP_SIZE),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    points = np.asarray(keypoints, np.float32).copy()
    points[:, :2] = points_to_crop(points[:, :2], roi, CROP_SIZE)
    return RefineCrop(
        roi, crop_square(rgb, roi, CROP_SIZE), prior, points, warp_into_crop(selfie, rgb.shape[:2], roi, net_size)
    )


def refiner_input(
    crop_rgb: np.ndarray,
    prior: np.ndarray,
    crop_keypoints: np.ndarray,
    selfie: np.ndarray | None = None,
    size: int = REFINE_SIZE,
) -> np.ndarray:
    """The net's 7xSxS input from the landmark model's crop, its probability and keypoints (crop pixels).

    Args:
        crop_rgb: the NxN uint8 RGB crop the landmark model saw (N = 256).
        prior: the NxN probability the landmark model gave.
        crop_keypoints: 33x3 ``(x, y, visibility)`` in pixels of that crop.
        selfie: the selfie model's probability in the crop at SxS (:func:`warp_into_crop`); zeros if None.
        size: side of the net's input.
    """
    scale = size / crop_rgb.shape[0]
    rgb = normalise(cv2.resize(crop_rgb, (size, size), interpolation=cv2.INTER_AREA))
    small_prior = cv2.resize(np.asarray(prior, np.float32), (size, size), interpolation=cv2.INTER_AREA)[None]
    keypoints = np.asarray(crop_keypoints, np.float32).copy()
    keypoints[:, :2] = (keypoints[:, :2] + 0.5) * scale - 0.5
    selfie = np.zeros((size, size), np.float32) if selfie is None else np.asarray(selfie, np.float32)
    return np.concatenate([rgb, small_prior, selfie[None], pose_maps(keypoints, size)]).astype(np.float32)


def combine(correction: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """``sigmoid(dM + logit(prior))`` at the prior's resolution (dM is resized to it).

    Example:
        >>> out = combine(np.zeros((2, 2), np.float32), np.full((4, 4), 0.3, np.float32))
        >>> out.shape, round(float(out[0, 0]), 4)
        ((4, 4), 0.3)
    """
    h, w = prior.shape
    up = cv2.resize(np.asarray(correction, np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return sigmoid(up + logit(prior), clip=30.0).astype(np.float32)


@dataclass
class PoseRefiner:
    """Runs the trained refinement net (ONNX) on one person's landmark crop.

    Args:
        card: the model card (``.json`` beside its ``.onnx``); the shipped one by default.
        threads: onnxruntime intra-op threads.

    Example:
        >>> refiner = PoseRefiner.load()  # doctest: +SKIP
        >>> prob256 = refiner(person.crop_rgb, person.crop_prob, person.crop_keypoints)  # doctest: +SKIP
    """

    session: Any
    card: dict[str, Any]
    size: int

    @classmethod
    def load(cls, card: str | Path | None = None, threads: int = 1) -> PoseRefiner:
        """Open the net of ``card`` (the shipped one by default); :class:`MethodError` when no weights
        are shipped or the file is damaged."""
        path = Path(card) if card is not None else shipped_card(SHIPPED)
        if path is None:
            raise MethodError(
                "no refinement weights are shipped with this install; use refiner='none' or give a refiner's model "
                "card (.json)"
            )
        info = load_card(path)
        return cls(onnx_session(info[PATH_KEY], threads), info, int(info["input"]["height"]))

    def correction(self, inputs: np.ndarray) -> np.ndarray:
        """dM (N x S x S) for a batch of N refiner inputs (N x 7 x S x S); the net returns final logits."""
        logits = self.session.run(None, {"image": np.ascontiguousarray(inputs, np.float32)})[0][:, 0]
        return logits - logit(inputs[:, PRIOR_CHANNEL])

    def __call__(
        self, crop_rgb: np.ndarray, prior: np.ndarray, crop_keypoints: np.ndarray, selfie: np.ndarray | None = None
    ) -> np.ndarray:
        """The refined NxN probability of one person's crop."""
        inputs = refiner_input(crop_rgb, prior, crop_keypoints, selfie, self.size)[None]
        return combine(self.correction(inputs)[0], prior)
