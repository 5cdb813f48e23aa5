"""PartUNet: a U-Net that works at half resolution, for part maps of person crops on one CPU thread."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from bodyseg.nets.blocks import conv_bn_relu
from bodyseg.nets.unet import UNet


class PartUNet(nn.Module):
    """A stride-2 stem, a reduced U-Net at half resolution, logits up-sampled back (bilinear).

    The full-resolution level of a U-Net costs a large share of its time but adds little to part
    maps of a person crop (parts are tens of pixels wide), so a stride-2 stem drops it: every level
    runs on a quarter of the pixels of a :class:`~bodyseg.nets.unet.UNet` of the same width.
    Parameters (measured): 1,094,701 for one output channel, 1,094,948 for the 20 LIP classes (``base=12``).

    Args:
        in_channels: input channels.
        num_classes: output channels (logits).
        base: filters of the stem and of the U-Net's first level.
        depth: down-sampling steps of the U-Net after the stem.

    Example:
        >>> import torch
        >>> net = PartUNet(num_classes=20).eval()
        >>> net(torch.zeros(1, 3, 50, 70)).shape
        torch.Size([1, 20, 50, 70])
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 20, *, base: int = 12, depth: int = 4) -> None:
        super().__init__()
        self.stem = conv_bn_relu(in_channels, base, stride=2)
        self.body = UNet(base, num_classes, base=base, depth=depth)

    def forward(self, x: Tensor) -> Tensor:
        logits = self.body(self.stem(x))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)
