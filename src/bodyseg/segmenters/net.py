"""The ``net`` method: one of our trained whole-image nets (:mod:`bodyseg.models.person_net`)."""

from __future__ import annotations

import numpy as np

from bodyseg.errors import MethodError
from bodyseg.models.person_net import DEFAULT_WEIGHTS, PersonNet
from bodyseg.models.runtime import sigmoid
from bodyseg.result import Segmentation
from bodyseg.segmenters.base import Segmenter


class NetSegmenter(Segmenter):
    """A trained person-segmentation net (ONNX) on the whole image, letterboxed to its input size.

    Args:
        weights: a shipped weights name (``person-unet``, the default: ccp val 0.909, pfcn-val
            Dice 0.964, but 37% of person-free pixels called person; ``person-unet-composite``,
            the same net trained 4 more epochs on composites: ccp val 0.898, pfcn-val Dice 0.956,
            davis 0.448 instead of 0.344, 1.1% of person-free pixels), or the path of an
            ``.onnx`` file with its ``.json`` card.
        threads: onnxruntime intra-op threads.
        flip: average the net's output on the image and on its mirror image (twice the time):
            ``"auto"`` (default) does what the card's ``test_time`` says, or true / false.

    Fails on: people much smaller than the input grid (one pixel of a 256 px input is 5 px of
    a 1280 px photo); scenes unlike its training data (see the model card's ``data``).

    Example:
        >>> seg = NetSegmenter().segment("photo.jpg")  # doctest: +SKIP
    """

    name = "net"

    def __init__(self, weights: str = DEFAULT_WEIGHTS, threads: int = 1, flip: bool | str = "auto") -> None:
        if flip not in (True, False, "auto"):
            raise MethodError(f"flip must be true, false or auto, got {flip!r}")
        self.net = PersonNet.load(weights, threads)
        if self.net.classes != 1:
            raise MethodError(
                f"{self.net.card['file']}: a {self.net.classes}-class net; the person method needs a 1-class net"
            )
        self.flip = self.net.mirror_by_default if flip == "auto" else bool(flip)

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        logits, box = self.net.logits(rgb, flip=self.flip)
        prob = sigmoid(logits[0], clip=30.0).astype(np.float32)
        return Segmentation(prob=np.clip(box.invert(prob), 0, 1), meta={"weights": self.net.card["file"]})
