"""Export a trained net to ONNX, with a JSON model card next to it.

The card records what a user of the weights needs to know and trust: the architecture, the data
it was trained on, the input size and normalisation inference must apply, the metrics measured
(and on which split), and the sha256 of the ONNX file it describes.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import shlex
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from bodyseg import __version__
from bodyseg.io.images import atomic_path
from bodyseg.nets import MEAN, STD, count_parameters

log = logging.getLogger(__name__)

#: The ONNX opset the exports use (onnxruntime >= 1.17 runs it).
OPSET = 17


class _EvalOutput(nn.Module):
    """Wraps a net so the exported graph has one output, the main logits, in eval mode."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        return out[0] if isinstance(out, (tuple, list)) else out


def export_onnx(model: nn.Module, path: str | os.PathLike, *, size: int | Sequence[int], in_channels: int = 3, dynamic_size: bool = False) -> Path:
    """Write ``model`` (put in eval mode) as an ONNX graph ``image (N,C,H,W) -> logits (N,K,H,W)``.

    Args:
        model: a net from :mod:`bodyseg.nets` (or any module returning logits).
        path: the ``.onnx`` file to write (atomically).
        size: the input ``(height, width)`` (or one int for a square) the graph is traced at.
        in_channels: channels of the input.
        dynamic_size: mark height and width dynamic (nets whose shape logic is traced as constants,
            such as padding to a stride, then only run at the traced size: keep False for those).
            The batch dimension is always dynamic.

    Uses the TorchScript exporter (``dynamo=False``): it needs no ``onnxscript`` and handles every
    net of the zoo.

    Example:
        >>> export_onnx(nets.create("unet"), "unet.onnx", size=256)  # doctest: +SKIP
    """
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    path = Path(path)
    wrapped = _EvalOutput(model).eval()
    sample = torch.zeros(1, in_channels, height, width)
    axes = {0: "batch", 2: "height", 3: "width"} if dynamic_size else {0: "batch"}
    with atomic_path(path) as temp, torch.no_grad(), warnings.catch_warnings():
        # shape arithmetic (padding to a stride) is traced as constants: expected for fixed-size graphs
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            wrapped, (sample,), str(temp), dynamo=False, opset_version=OPSET,
            input_names=["image"], output_names=["logits"], dynamic_axes={"image": axes, "logits": axes},
        )
    log.info("wrote %s", path)
    return path


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in chunks.

    Example:
        >>> sha256_of(bodyseg.example_image())[:8]  # doctest: +SKIP
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_card(onnx_path: str | os.PathLike, *, arch: str, model: nn.Module, data: Sequence[str], size: int | Sequence[int],
               num_classes: int, metrics: Mapping[str, Any], class_names: Sequence[str] | None = None, recipe: Mapping[str, Any] | None = None,
               test_time: Mapping[str, Any] | None = None,
               made_by: str | Sequence[str] | None = None) -> dict[str, Any]:
    """The model card of an exported ONNX file, as a JSON-ready dict.

    Args:
        onnx_path: the exported file (its sha256 and size are recorded).
        arch: the architecture name in :mod:`bodyseg.nets`.
        model: the net (its parameter count is recorded).
        data: the training data sources and splits, e.g. ``["ccp:train", "pfcn:train"]``.
        size: the input ``(height, width)`` the graph expects.
        num_classes: output channels; 1 means sigmoid person probability, K a softmax over labels.
        metrics: measured figures, each naming its split, e.g. ``{"ccp:val": {"iou": 0.91}}``.
        class_names: label names for multi-class nets.
        recipe: how it was trained (epochs, lr, loss, augmentation ...).
        test_time: how to run it, e.g. ``{"flip": True}`` (average with the mirror image).
        made_by: the command(s) that made the file; default: the recipe's ``commands``, else this process's
            command line.
    """
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    onnx_path = Path(onnx_path)
    made_by = made_by or (recipe or {}).get("commands") or shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])
    return {
        "format": "bodyseg-model-card/1",
        "file": onnx_path.name,
        "sha256": sha256_of(onnx_path),
        "bytes": onnx_path.stat().st_size,
        "architecture": arch,
        "parameters": count_parameters(model),
        "input": {
            "name": "image", "layout": "NCHW", "height": height, "width": width, "channels": "RGB",
            "normalisation": {"scale": 1 / 255, "mean": list(MEAN), "std": list(STD)},
            "resize": "letterbox: longer side to the input size, centred, padded with black (as in validation)",
        },
        "output": {
            "name": "logits", "classes": num_classes,
            "activation": "sigmoid" if num_classes == 1 else "softmax",
            "class_names": list(class_names) if class_names else (["person"] if num_classes == 1 else None),
        },
        "data": list(data),
        "metrics": _plain(metrics),
        "recipe": _plain(recipe or {}),
        "test_time": _plain(test_time or {"flip": False}),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "opset": OPSET,
        # the keys every card has, ours and the third-party models' (tools/fetch_models.py)
        "name": onnx_path.stem,
        "runtime": "onnxruntime",
        "licence": "Apache-2.0",
        "copyright": "the bodyseg authors",
        "source": {"registry": "bodyseg", "package": "bodyseg", "version": __version__, "path": onnx_path.name},
        "made_by": _plain(made_by),
        "figures": {},
    }


def write_model_card(card: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Write a model card as indented JSON (atomically)."""
    path = Path(path)
    with atomic_path(path) as temp:
        Path(temp).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def export_with_card(model: nn.Module, onnx_path: str | os.PathLike, *, arch: str, data: Sequence[str], size: int | Sequence[int],
                     num_classes: int, metrics: Mapping[str, Any], in_channels: int = 3, **card_options: Any) -> tuple[Path, Path]:
    """Export ``model`` to ``onnx_path`` and write ``<stem>.json`` beside it; returns both paths.

    Example:
        >>> export_with_card(net, "out/unet.onnx", arch="unet", data=["ccp:train"], size=192,
        ...                  num_classes=1, metrics={"ccp:val": {"iou": 0.9}})  # doctest: +SKIP
    """
    onnx_path = export_onnx(model, onnx_path, size=size, in_channels=in_channels)
    card = model_card(onnx_path, arch=arch, model=model, data=data, size=size, num_classes=num_classes, metrics=metrics, **card_options)
    return onnx_path, write_model_card(card, Path(onnx_path).with_suffix(".json"))


def _plain(value: Any) -> Any:
    """Numbers, arrays and tensors as plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, torch.Tensor):
        return value.tolist()
    return value
