"""Export a trained net to ONNX, with a JSON model card next to it.

The card records what a user of the weights needs to know and trust: the architecture, the data
it was trained on, the input size and normalisation inference must apply, the metrics measured
(and on which split), and the sha256 of the ONNX file it describes.
"""

from __future__ import annotations

import datetime
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

from bodyseg import nets
from bodyseg.errors import InputError
from bodyseg.io.images import atomic_path
from bodyseg.models.card import sha256_of, write_card
from bodyseg.models.runtime import MEAN, STD
from bodyseg.nets import count_parameters
from bodyseg.train.checkpoints import load_checkpoint
from bodyseg.version import __version__

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


def export_onnx(
    model: nn.Module,
    path: str | os.PathLike,
    *,
    size: int | Sequence[int],
    in_channels: int = 3,
    dynamic_size: bool = False,
) -> Path:
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
            wrapped,
            (sample,),
            str(temp),
            dynamo=False,
            opset_version=OPSET,
            input_names=["image"],
            output_names=["logits"],
            dynamic_axes={"image": axes, "logits": axes},
        )
    log.info("wrote %s", path)
    return path


def model_card(
    onnx_path: str | os.PathLike,
    *,
    arch: str,
    model: nn.Module,
    data: Sequence[str],
    size: int | Sequence[int],
    num_classes: int,
    metrics: Mapping[str, Any],
    class_names: Sequence[str] | None = None,
    recipe: Mapping[str, Any] | None = None,
    test_time: Mapping[str, Any] | None = None,
    made_by: str | Sequence[str] | None = None,
) -> dict[str, Any]:
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
            "name": "image",
            "layout": "NCHW",
            "height": height,
            "width": width,
            "channels": "RGB",
            "normalisation": {"scale": 1 / 255, "mean": list(MEAN), "std": list(STD)},
            "resize": "letterbox: longer side to the input size, centred, padded with black (as in validation)",
        },
        "output": {
            "name": "logits",
            "classes": num_classes,
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


def export_with_card(
    model: nn.Module,
    onnx_path: str | os.PathLike,
    *,
    arch: str,
    data: Sequence[str],
    size: int | Sequence[int],
    num_classes: int,
    metrics: Mapping[str, Any],
    in_channels: int = 3,
    **card_options: Any,
) -> tuple[Path, Path]:
    """Export ``model`` to ``onnx_path`` and write ``<stem>.json`` beside it; returns both paths.

    Example:
        >>> export_with_card(net, "out/unet.onnx", arch="unet", data=["ccp:train"], size=192,
        ...                  num_classes=1, metrics={"ccp:val": {"iou": 0.9}})  # doctest: +SKIP
    """
    onnx_path = export_onnx(model, onnx_path, size=size, in_channels=in_channels)
    card = model_card(
        onnx_path,
        arch=arch,
        model=model,
        data=data,
        size=size,
        num_classes=num_classes,
        metrics=metrics,
        **card_options,
    )
    return onnx_path, write_card(card, Path(onnx_path).with_suffix(".json"))


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


def export_best(
    run: Path, onnx_path: Path | None = None, *, size: int | None = None, flip: bool = False, checkpoint: str = "best"
) -> tuple[Path, Path]:
    """Export the best model of a run folder to ONNX with its model card (``<run>/<arch>.onnx`` by default).

    The card's metrics are the exported epoch's validation loss and IoU per source. ``size`` sets
    the input side of the exported graph (default: the training crop size; a fully convolutional
    net may see more detail at a larger one); ``flip`` asks the ``net`` segmenter to average the
    output on the image and its mirror (written in the card's ``test_time``). ``checkpoint="last"``
    exports the last epoch instead of the one with the lowest validation loss (a run fine-tuned
    on other data, whose validation loss need not fall, e.g. ``person-unet-composite``).
    """
    if checkpoint not in ("best", "last"):
        raise InputError(f"checkpoint must be 'best' or 'last', got {checkpoint!r}")
    state = load_checkpoint(Path(run) / f"{checkpoint}.pt")
    config = state["config"]
    model = nets.create(config["arch"], num_classes=state["num_classes"], **config.get("arch_options", {}))
    model.load_state_dict(state["model"])
    scores_per_source = state["metrics"] if checkpoint == "best" else state["history"][-1]["per_source"]
    metrics = {f"{name}:val": {**scores, "threshold": 0.5} for name, scores in scores_per_source.items()}
    recipe = {
        k: config[k]
        for k in ("epochs", "batch_size", "lr", "schedule", "loss", "loss_options", "composite", "augment", "seed")
    }
    recipe["best_epoch" if checkpoint == "best" else "last_epoch"] = state["epoch"] + 1
    recipe["size"] = config["size"]
    return export_with_card(
        model,
        onnx_path or Path(run) / f"{config['arch']}.onnx",
        arch=config["arch"],
        data=[f"{d}:train" for d in config["data"]],
        size=size or config["size"],
        num_classes=state["num_classes"],
        metrics=metrics,
        class_names=state["class_names"],
        recipe=recipe,
        test_time={"flip": bool(flip)},
    )
