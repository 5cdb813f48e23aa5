"""Segmentation network architectures (torch), created by name from one registry.

Every net maps an ``(N, in_channels, H, W)`` float tensor to ``(N, num_classes, H, W)`` logits at
the input's resolution (any H, W; sigmoid or softmax belongs to the loss and to inference). Nets
with intermediate supervision (``icnet``, ``hourglass``) return a tuple ``(main, *aux)`` in
training mode and the main logits alone in eval mode; :func:`main_output` picks the main one.

Classes are imported only when created, so listing the nets imports neither them nor torch.

Example:
    >>> import torch
    >>> from bodyseg import nets
    >>> "unet" in nets.available()
    True
    >>> net = nets.create("unet", num_classes=1).eval()
    >>> net(torch.zeros(1, 3, 64, 64)).shape
    torch.Size([1, 1, 64, 64])
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bodyseg.errors import MethodError

if TYPE_CHECKING:
    from torch import Tensor, nn


@dataclass(frozen=True)
class NetInfo:
    """A registered architecture: ``target`` is ``"module:Class"``, ``options`` fixed keyword options."""

    name: str
    target: str
    summary: str
    options: tuple[tuple[str, Any], ...] = ()


_NETS: dict[str, NetInfo] = {}


def register(name: str, target: str, summary: str, **options: Any) -> None:
    """Register a net class under ``name``; ``options`` are passed to the class on every create."""
    info = NetInfo(name, target, summary, tuple(sorted(options.items())))
    if name in _NETS and _NETS[name] != info:
        raise ValueError(f"net name {name!r} is already taken by {_NETS[name].target}")
    _NETS[name] = info


def available() -> dict[str, str]:
    """Registered architecture names with their one-line summaries.

    Example:
        >>> sorted(available())[:3]
        ['deeplabv3plus', 'fcn16s', 'fcn32s']
    """
    return {name: info.summary for name, info in sorted(_NETS.items())}


def net_class(name: str) -> type[nn.Module]:
    """The class registered under ``name``."""
    try:
        info = _NETS[name]
    except KeyError:
        known = ", ".join(sorted(_NETS))
        raise MethodError(f"unknown architecture {name!r}; choose one of: {known}") from None
    module_name, _, attr = info.target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def create(name: str, *, in_channels: int = 3, num_classes: int = 1, **options: Any) -> nn.Module:
    """Build the architecture registered under ``name``.

    Args:
        name: a name from :func:`available`.
        in_channels: channels of the input (3 for RGB; more for RGB plus priors).
        num_classes: output channels: 1 for person vs background (logits for a sigmoid), K for
            K-class part segmentation (logits for a softmax).
        **options: the architecture's own keyword options (``output_stride=8`` for
            ``deeplabv3plus``, ``base=32`` for ``unet`` ...).

    Raises:
        MethodError: unknown name or an option the architecture does not take.

    Example:
        >>> net = create("deeplabv3plus", num_classes=20, output_stride=8)
    """
    cls = net_class(name)
    fixed = dict(_NETS[name].options)
    accepted = inspect.signature(cls.__init__).parameters
    unknown = [key for key in options if key not in accepted or key in fixed]
    if unknown:
        names = ", ".join(p for p in accepted if p not in ("self", "in_channels", "num_classes", *fixed)) or "none"
        raise MethodError(f"architecture {name!r} has no option {', '.join(unknown)}; its options are: {names}")
    return cls(in_channels=in_channels, num_classes=num_classes, **fixed, **options)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of ``model``.

    Example:
        >>> from torch import nn
        >>> count_parameters(nn.Conv2d(3, 8, 3))
        224
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def main_output(output: Tensor | tuple[Tensor, ...] | list[Tensor]) -> Tensor:
    """The main logits of a net's output (the first item of a training-mode tuple)."""
    return output[0] if isinstance(output, (tuple, list)) else output


register(
    "unet",
    "bodyseg.nets.unet:UNet",
    "reduced U-Net (16-32-64-128-256 filters), skip connections, transposed-conv decoder",
)
register(
    "part-unet",
    "bodyseg.nets.part_unet:PartUNet",
    "part maps of person crops: stride-2 stem, reduced U-Net at half resolution, bilinear logits",
)
register(
    "unet-aspp",
    "bodyseg.nets.unet_aspp:UNetASPP",
    "U-Net with dropout in its conv blocks and an ASPP block at the bottom",
)
register("fcn32s", "bodyseg.nets.fcn:FCN", "fully convolutional net, one 32x learned up-sampling", stride=32)
register("fcn16s", "bodyseg.nets.fcn:FCN", "fully convolutional net, pool4 skip, 16x learned up-sampling", stride=16)
register(
    "fcn8s", "bodyseg.nets.fcn:FCN", "fully convolutional net, pool4 + pool3 skips, 8x learned up-sampling", stride=8
)
register(
    "deeplabv3plus",
    "bodyseg.nets.deeplabv3plus:DeepLabV3Plus",
    "DeepLabv3+: atrous MobileNet-like backbone, ASPP, low-level skip decoder",
)
register(
    "segnet", "bodyseg.nets.segnet:SegNet", "SegNet: encoder-decoder that un-pools with the saved max-pool indices"
)
register(
    "icnet",
    "bodyseg.nets.icnet:ICNet",
    "ICNet: three resolution branches, cascade feature fusion, cascade label guidance",
)
register(
    "hourglass",
    "bodyseg.nets.hourglass:StackedHourglass",
    "stacked hourglass of residual modules with intermediate supervision",
)
register(
    "gcn", "bodyseg.nets.gcn:GCN", "global convolutional network: k x 1 + 1 x k large kernels, boundary refinement"
)
register(
    "ksac", "bodyseg.nets.ksac:KSAC", "DeepLabv3+ with kernel-sharing atrous convolution (one 3x3 kernel for all rates)"
)

__all__ = ["NetInfo", "available", "count_parameters", "create", "main_output", "net_class", "register"]
