"""Our own trained networks, shipped as ONNX files with a JSON model card, run by onnxruntime.

The card (written by :func:`bodyseg.train.export.export_with_card`) says how to feed the net:
input size, letterbox resize, normalisation; and how to read it: sigmoid for one class.
Torch is not needed here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bodyseg.errors import MethodError
from bodyseg.geometry import Letterbox
from bodyseg.result import Segmentation
from bodyseg.segmenters.base import Segmenter

log = logging.getLogger(__name__)


#: The shipped weights the ``net`` segmenter runs when none are named.
DEFAULT_WEIGHTS = "person-unet"


def shipped_weights() -> dict[str, Path]:
    """Whole-image person nets shipped inside the package, by name (the card's file stem).

    Other shipped nets (the pipeline's refinement net, which takes more than an RGB image) are
    not listed.

    Example:
        >>> sorted(shipped_weights())  # doctest: +SKIP
        ['person-unet', 'person-unet-composite']
    """
    folder = Path(str(resources.files("bodyseg") / "weights"))
    return {card.stem: card for card in sorted(folder.glob("*.json")) if _takes_rgb(card)}


def _takes_rgb(card_path: Path) -> bool:
    try:
        return json.loads(card_path.read_text(encoding="utf-8"))["input"]["channels"] == "RGB"
    except (OSError, ValueError, KeyError, TypeError):
        return False


def resolve_card(weights: str | None) -> Path:
    """The model card for ``weights``: a shipped name, a ``.json`` card or an ``.onnx`` file beside its card."""
    shipped = shipped_weights()
    if weights is None:
        if not shipped:
            raise MethodError("no trained net is shipped in this build; pass weights=path/to/model.onnx (see `bodyseg train --export`)")
        return shipped.get(DEFAULT_WEIGHTS) or next(iter(shipped.values()))
    if weights in shipped:
        return shipped[weights]
    path = Path(weights)
    card = path.with_suffix(".json")
    if not card.is_file():
        names = ", ".join(shipped) or "none shipped"
        raise MethodError(f"{weights}: no model card {card.name} found; give a shipped name ({names}) or an .onnx file with its .json card beside it")
    return card


def load_card(card_path: Path) -> dict[str, Any]:
    """Read a model card and check that its ONNX file is there and is the one the card describes."""
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        onnx_path = card_path.with_name(card["file"])
        size = (card["input"]["height"], card["input"]["width"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MethodError(f"{card_path}: not a bodyseg model card ({exc}); re-export the net with `bodyseg train --export`") from None
    if size[0] != size[1]:
        raise MethodError(f"{card_path}: input {size[1]}x{size[0]} is not square; the net segmenter letterboxes to a square")
    if not onnx_path.is_file():
        raise MethodError(f"{onnx_path}: missing; the card {card_path.name} describes it")
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    if digest != card["sha256"]:
        raise MethodError(f"{onnx_path}: sha256 {digest[:12]}... does not match its card ({card['sha256'][:12]}...); the file is damaged or was replaced")
    card["_onnx_path"] = str(onnx_path)
    return card


class NetSegmenter(Segmenter):
    """A trained person-segmentation net (ONNX) on the whole image, letterboxed to its input size.

    Args:
        weights: a shipped weights name (``person-unet``, the default: ccp val 0.909, pfcn-val
            Dice 0.964, but 37% of person-free pixels called person; ``person-unet-composite``,
            the same net trained 4 more epochs on composites: ccp val 0.898, pfcn-val Dice 0.956,
            davis 0.448 instead of 0.344, 1.1% of person-free pixels), or the path of an
            ``.onnx`` file with its ``.json`` card.
        threads: onnxruntime intra-op threads.
        flip: average the net's output on the image and on its mirror image (twice the time);
            None (default) does what the card's ``test_time`` says.

    Fails on: people much smaller than the input grid (one pixel of a 256 px input is 5 px of
    a 1280 px photo); scenes unlike its training data (see the model card's ``data``).

    Example:
        >>> seg = NetSegmenter().segment("photo.jpg")  # doctest: +SKIP
    """

    name = "net"

    def __init__(self, weights: str | None = None, threads: int = 1, flip: bool | None = None) -> None:
        import onnxruntime as ort

        self.card = load_card(resolve_card(weights))
        if self.card["output"]["classes"] != 1:
            raise MethodError(f"{self.card['file']}: a {self.card['output']['classes']}-class net; the person segmenter needs a 1-class net")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(self.card["_onnx_path"], options, providers=["CPUExecutionProvider"])
        norm = self.card["input"]["normalisation"]
        self._scale = float(norm["scale"])
        self._mean = np.array(norm["mean"], np.float32)
        self._std = np.array(norm["std"], np.float32)
        self.size = int(self.card["input"]["height"])
        self.flip = bool(self.card.get("test_time", {}).get("flip", False)) if flip is None else bool(flip)

    def logits(self, rgb: np.ndarray) -> tuple[np.ndarray, Letterbox]:
        """Raw logits on the letterboxed square, and the letterbox to map them back."""
        box = Letterbox.fit(rgb.shape, self.size)
        x = ((box.apply(rgb).astype(np.float32) * self._scale - self._mean) / self._std).transpose(2, 0, 1)[None]
        if not self.flip:
            (out,) = self._session.run(None, {"image": x})
            return out[0, 0], box
        (out,) = self._session.run(None, {"image": np.concatenate([x, x[..., ::-1]])})  # one batch: image and mirror
        return (out[0, 0] + out[1, 0, :, ::-1]) / 2, box

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        logits, box = self.logits(rgb)
        prob = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
        return Segmentation(prob=np.clip(box.invert(prob.astype(np.float32)), 0, 1), meta={"weights": self.card["file"]})

    def close(self) -> None:
        self._session = None
