"""Our whole-image person nets (the ``net`` method's weights): ONNX files with their model cards.

The card (written by :func:`bodyseg.train.export.export_with_card`) says how to feed the net:
input size, letterbox resize, normalisation, test-time mirror average; and how to read it: logits,
sigmoid for one class. Torch is not needed here.

Example:
    >>> net = PersonNet.load()  # doctest: +SKIP
    >>> logits, box = net.logits(rgb)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from bodyseg.errors import MethodError, shown
from bodyseg.geometry import Letterbox
from bodyseg.models.card import load_card, read_card, shipped_cards
from bodyseg.models.runtime import CardInput, open_card_net

#: The shipped weights the ``net`` method runs when none are named.
DEFAULT_WEIGHTS = "person-unet"


def shipped_weights() -> dict[str, Path]:
    """Whole-image person nets shipped inside the package, by name (the card's file stem): the
    cards whose net takes an RGB image and gives one person channel (not the refiner, which takes
    more channels, nor the part net, which gives part classes).

    Example:
        >>> sorted(shipped_weights())
        ['person-unet', 'person-unet-composite']
    """
    return {name: card for name, card in shipped_cards().items() if _takes_rgb(card)}


def _takes_rgb(card: Path) -> bool:
    try:
        info = read_card(card)
        return (
            info.get("runtime", "onnxruntime") == "onnxruntime"
            and info.get("input", {}).get("channels") == "RGB"
            and info.get("output", {}).get("classes", 1) == 1
        )
    except (MethodError, AttributeError):
        return False


def resolve_card(weights: str | os.PathLike | None) -> Path:
    """The model card for ``weights``: a shipped name, a ``.json`` card or an ``.onnx`` file beside its card.

    Example:
        >>> resolve_card(None).name
        'person-unet.json'
    """
    shipped = shipped_weights()
    if weights is None:
        if not shipped:
            raise MethodError(
                "no trained net is shipped in this build; pass weights=path/to/model.onnx (see `bodyseg train "
                "--export`)"
            )
        return shipped.get(DEFAULT_WEIGHTS) or next(iter(shipped.values()))
    if str(weights) in shipped:
        return shipped[str(weights)]
    path = Path(str(weights))  # str: a file named 2024 is typed as weights=2024 and arrives as a number
    card = path.with_suffix(".json") if path.name else path
    if not card.is_file():
        names = ", ".join(shipped) or "none shipped"
        raise MethodError(
            f"{shown(weights)}: no model card {shown(card.name)} found; give a shipped name ({names}) or an .onnx "
            "file with its .json card beside it"
        )
    return card


class PersonNet:
    """A trained person-segmentation net (ONNX) on a letterboxed square of the whole image.

    Args:
        card: the net's model card, checked (:func:`bodyseg.models.card.load_card`).
        session: its ONNX Runtime session.
    """

    def __init__(self, card: dict[str, Any], session: Any) -> None:
        size = (card["input"]["height"], card["input"]["width"])
        if size[0] != size[1]:
            raise MethodError(
                f"{card['file']}: input {size[1]}x{size[0]} is not square; the net method letterboxes to a square"
            )
        self.card = card
        self._session = session
        self._input = CardInput(card)
        self.size = int(size[0])
        self.classes = int(card["output"]["classes"])

    @classmethod
    def load(cls, weights: str | os.PathLike | None = None, threads: int = 1) -> PersonNet:
        """Open a shipped net by name (the default when None) or your own ``.onnx`` with its card."""
        card = load_card(resolve_card(weights))
        return open_card_net(cls, card, threads)

    @property
    def mirror_by_default(self) -> bool:
        """Whether the card asks for the test-time mirror average."""
        return bool(self.card.get("test_time", {}).get("flip", False))

    def logits(self, rgb: np.ndarray, *, flip: bool = False) -> tuple[np.ndarray, Letterbox]:
        """Raw logits (classes x S x S) on the letterboxed square, and the letterbox to map them back;
        with ``flip`` averaged with the net's logits on the mirror image (one batch of two)."""
        box = Letterbox.fit(rgb.shape, self.size)
        x = self._input.batch(box.apply(rgb))
        if not flip:
            (out,) = self._session.run(None, {"image": x})
            return out[0], box
        (out,) = self._session.run(None, {"image": np.concatenate([x, x[..., ::-1]])})
        return (out[0] + out[1, :, :, ::-1]) / 2, box
