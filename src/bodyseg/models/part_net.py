"""Our part net: per-person part probabilities (LIP's 20 classes) from an ONNX file with its card.

The net (``part-unet`` of :mod:`bodyseg.nets`, trained by ``bodyseg train --arch part-unet --data
viton-parts``) takes one person crop letterboxed to a square and gives softmax logits over the
card's ``class_names``. Torch is not needed here.

Example:
    >>> net = PartNet.load()  # doctest: +SKIP
    >>> prob = net.probabilities(crop)  # doctest: +SKIP
    >>> prob.shape  # doctest: +SKIP
    (20, 240, 160)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bodyseg.errors import MethodError, shown
from bodyseg.geometry import Letterbox
from bodyseg.models.card import load_card, shipped_card
from bodyseg.models.runtime import CardInput, open_card_net

#: The shipped part net's card name (``weights/part-net-lip.json``).
DEFAULT_WEIGHTS = "part-net-lip"


def resolve_part_card(weights: str | os.PathLike | None) -> Path:
    """The card of a shipped part net by name (the default when None), or of an ``.onnx``/``.json`` path.

    Raises:
        MethodError: no such shipped net, or no card beside the file.
    """
    name = DEFAULT_WEIGHTS if weights is None else str(weights)
    shipped = shipped_card(name)
    if shipped is not None:
        return shipped
    card = Path(name).with_suffix(".json")
    if not card.is_file():
        raise MethodError(
            f"{shown(name)}: no part net card found; give the shipped name {DEFAULT_WEIGHTS!r} or an .onnx file "
            "with its .json card beside it (made by `bodyseg train --arch part-unet ... --export`)"
        )
    return card


class PartNet:
    """A trained part net (ONNX) on a letterboxed square of one person crop.

    Args:
        card: the net's model card, checked (:func:`bodyseg.models.card.load_card`).
        session: its ONNX Runtime session.

    Attributes:
        names: label names by id, from the card (LIP's for the shipped net).
        size: side of the square input.
    """

    def __init__(self, card: dict[str, Any], session: Any) -> None:
        if card["output"]["classes"] < 2 or not card["output"].get("class_names"):
            raise MethodError(f"{card['file']}: is not a part net (one output class); give a part net's card")
        self.card = card
        self._session = session
        self._input = CardInput(card)
        self.size = int(card["input"]["height"])
        self.names: tuple[str, ...] = tuple(card["output"]["class_names"])

    @classmethod
    def load(cls, weights: str | os.PathLike | None = None, threads: int = 1) -> PartNet:
        """Open the shipped part net (``weights=None``) or your own ``.onnx`` with its card."""
        card = load_card(resolve_part_card(weights))
        return open_card_net(cls, card, threads)

    def logits(self, rgb: np.ndarray) -> tuple[np.ndarray, Letterbox]:
        """Raw logits (classes x S x S) on the letterboxed square of ``rgb``, and the letterbox."""
        box = Letterbox.fit(rgb.shape, self.size)
        x = self._input.batch(box.apply(rgb))
        (out,) = self._session.run(None, {"image": x})
        return out[0], box

    def crop_logits(self, rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """Logits (classes x h x w) of the crop ``rgb`` at the net's resolution (the letterbox's inner
        part, no padding), and the scale from the crop to them (``w / crop width``): the cheap view
        the default method's part stage works on.

        Example:
            >>> logits, scale = net.crop_logits(np.zeros((384, 288, 3), np.uint8))  # doctest: +SKIP
            >>> logits.shape, scale  # doctest: +SKIP
            ((20, 192, 144), 0.5)
        """
        logits, box = self.logits(rgb)
        inner_w, inner_h = box.inner
        return logits[:, box.top : box.top + inner_h, box.left : box.left + inner_w], box.scale

    def probabilities(self, rgb: np.ndarray) -> np.ndarray:
        """Softmax probabilities (classes x H x W, float32) at the size of the crop ``rgb``."""
        logits, box = self.logits(rgb)
        return crop_probabilities(logits, box)

    def labels(self, rgb: np.ndarray) -> np.ndarray:
        """HxW uint8 label ids (argmax) at the size of ``rgb``."""
        return self.probabilities(rgb).argmax(axis=0).astype(np.uint8)


def softmax(logits: np.ndarray, axis: int = 0) -> np.ndarray:
    """Numerically safe softmax along ``axis``.

    Example:
        >>> softmax(np.array([[0.0], [0.0]]))[:, 0].tolist()
        [0.5, 0.5]
    """
    shifted = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def crop_probabilities(logits: np.ndarray, box: Letterbox) -> np.ndarray:
    """Softmax of square logits, cut out of the letterbox and resized (bilinear) to the crop's size.

    Example:
        >>> box = Letterbox.fit((4, 2), 4)
        >>> crop_probabilities(np.zeros((3, 4, 4), np.float32), box).shape
        (3, 4, 2)
    """
    inner_w, inner_h = box.inner
    inside = logits[:, box.top : box.top + inner_h, box.left : box.left + inner_w]
    prob = softmax(inside.astype(np.float32))
    resized = cv2.resize(prob.transpose(1, 2, 0), (box.width, box.height), interpolation=cv2.INTER_LINEAR)
    return resized.reshape(box.height, box.width, -1).transpose(2, 0, 1)
