"""Where models run: LiteRT (``.tflite``) and ONNX Runtime sessions made in one place, with the
numeric helpers their inputs and outputs share.

Example:
    >>> [round(float(v), 3) for v in sigmoid(np.array([0.0, 2.0]))]
    [0.5, 0.881]
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bodyseg.errors import MethodError
from bodyseg.models.card import PATH_KEY, load_card, shipped_card

#: ImageNet mean and std (RGB, for inputs scaled to [0, 1]): the normalisation every net of ours is trained with.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
#: Probabilities are clipped to [EPS, 1 - EPS] before their logit is taken.
EPS = 1e-4


def sigmoid(x: np.ndarray, clip: float = 60.0) -> np.ndarray:
    """``1 / (1 + exp(-x))``, with ``x`` clipped to ``[-clip, clip]`` so it never overflows.

    Example:
        >>> sigmoid(np.array([-1000.0, 0.0])).tolist()
        [8.75651076269652e-27, 0.5]
    """
    return 1.0 / (1.0 + np.exp(-np.clip(x, -clip, clip)))


def logit(prob: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped to ``[EPS, 1 - EPS]``.

    Example:
        >>> [round(float(v), 3) for v in logit(np.array([0.5, 0.880797, 0.0]))]
        [0.0, 2.0, -9.21]
    """
    p = np.clip(np.asarray(prob, np.float32), EPS, 1 - EPS)
    return np.log(p / (1 - p))


def normalise(rgb: np.ndarray) -> np.ndarray:
    """An HxWx3 uint8 RGB image as our nets take it: a 3xHxW float32 array, scaled to [0, 1] and
    ImageNet-normalised (:data:`MEAN`, :data:`STD`).

    Example:
        >>> [round(float(v), 3) for v in normalise(np.full((1, 2, 3), 255, np.uint8))[:, 0, 0]]
        [2.249, 2.429, 2.64]
    """
    image = (np.asarray(rgb, np.float32) / 255.0 - np.asarray(MEAN, np.float32)) / np.asarray(STD, np.float32)
    return np.ascontiguousarray(image.transpose(2, 0, 1))


class CardInput:
    """How an ONNX net of ours wants its input, read from its card's ``input.normalisation``:
    ``(pixel * scale - mean) / std``, channels first, a batch of one.

    Example:
        >>> card = {"input": {"normalisation": {"scale": 1 / 255, "mean": MEAN, "std": STD}}}
        >>> CardInput(card).batch(np.full((2, 2, 3), 255, np.uint8)).shape
        (1, 3, 2, 2)
    """

    def __init__(self, card: dict[str, Any]) -> None:
        norm = card["input"]["normalisation"]
        self.scale = float(norm["scale"])
        self.mean = np.array(norm["mean"], np.float32)
        self.std = np.array(norm["std"], np.float32)

    def batch(self, rgb: np.ndarray) -> np.ndarray:
        """An HxWx3 uint8 image as the 1x3xHxW float32 batch the net takes."""
        x = (rgb.astype(np.float32) * self.scale - self.mean) / self.std
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def open_card_net(make: Any, card: dict[str, Any], threads: int = 1) -> Any:
    """``make(card, session)`` with an ONNX Runtime session of the card's file; a card that lacks a
    field the net needs is a :class:`~bodyseg.errors.MethodError` that says how to fix it."""
    try:
        return make(card, onnx_session(card[PATH_KEY], threads))
    except (KeyError, TypeError) as exc:
        raise MethodError(
            f"{card['file']}: its card lacks {exc}; re-export the net with `bodyseg train --export`"
        ) from None


def shipped_model_path(name: str) -> Path:
    """The checked file of the shipped model ``name`` (its card ``weights/<name>.json``).

    Raises:
        MethodError: the model is not shipped, or its file is missing or damaged.
    """
    card = shipped_card(name)
    if card is None:
        raise MethodError(
            f"model {name!r} is not shipped with this install of bodyseg (no weights/{name}.json); reinstall bodyseg"
        )
    return Path(load_card(card)[PATH_KEY])


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Silence what native code writes to file descriptor 2 (TFLite's delegate banner, glog)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (pytest capture, notebooks)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


class TFLiteModel:
    """A .tflite model with one float input: ``model(batch) -> list of outputs`` sorted by output name.

    Example:
        >>> model = TFLiteModel(shipped_model_path("pose_detection"))  # doctest: +SKIP
        >>> [o.shape for o in model(np.zeros((1, 224, 224, 3), np.float32))]  # doctest: +SKIP
        [(1, 2254, 12), (1, 2254, 1)]
    """

    def __init__(self, path: Path, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        with native_stderr_silenced():  # TFLite announces its XNNPACK delegate on stderr
            self._interpreter = Interpreter(model_path=str(self.path), num_threads=num_threads)
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._outputs = sorted(self._interpreter.get_output_details(), key=lambda d: d["name"])
        self.input_shape: tuple[int, ...] = tuple(int(s) for s in self._input["shape"])

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
        self._interpreter.set_tensor(self._input["index"], np.ascontiguousarray(batch, dtype=np.float32))
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(d["index"]).copy() for d in self._outputs]


def onnx_session(path: str | os.PathLike, threads: int = 1) -> Any:
    """An ONNX Runtime CPU session of ``path`` with ``threads`` intra-op threads and quiet logs.

    Example:
        >>> session = onnx_session(shipped_model_path("pose_refiner"))  # doctest: +SKIP
    """
    import onnxruntime as ort

    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 64:
        # no upper bound once let threads=1000000 start a million threads (out of memory)
        raise MethodError(f"threads must be a whole number between 1 and 64, got {threads!r}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
