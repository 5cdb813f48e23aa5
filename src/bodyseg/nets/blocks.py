"""Building blocks the architectures share: conv-BN-ReLU, separable convs, ASPP, padding to a stride."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def conv_bn_relu(
    in_channels: int, out_channels: int, kernel_size: int = 3, *, stride: int = 1, dilation: int = 1, groups: int = 1
) -> nn.Sequential:
    """A ``kernel_size`` conv (same padding, no bias), batch norm and ReLU.

    Example:
        >>> conv_bn_relu(3, 8)(torch.zeros(1, 3, 5, 5)).shape
        torch.Size([1, 8, 5, 5])
    """
    padding = dilation * (kernel_size - 1) // 2
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=False,
        ),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


def separable_conv(in_channels: int, out_channels: int, *, dilation: int = 1, stride: int = 1) -> nn.Sequential:
    """Depthwise 3x3 (atrous) conv then pointwise 1x1 conv, each with batch norm and ReLU.

    Example:
        >>> separable_conv(8, 16, dilation=2)(torch.zeros(1, 8, 9, 9)).shape
        torch.Size([1, 16, 9, 9])
    """
    return nn.Sequential(
        conv_bn_relu(in_channels, in_channels, 3, stride=stride, dilation=dilation, groups=in_channels),
        conv_bn_relu(in_channels, out_channels, 1),
    )


class ImagePooling(nn.Module):
    """Global average pooling, 1x1 conv-ReLU, broadcast back to the feature map's size.

    No batch norm on the pooled 1x1 map: it would fail on a training batch of one image.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.project = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        pooled = self.project(x.mean(dim=(2, 3), keepdim=True))
        return pooled.expand(-1, -1, x.shape[2], x.shape[3])


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: 1x1 conv, one 3x3 atrous conv per rate, image pooling, fused by 1x1.

    Args:
        in_channels: channels of the backbone features.
        out_channels: channels of every branch and of the output.
        rates: dilation rates of the 3x3 branches (DeepLab: 6, 12, 18 at output stride 16).
        separable: depthwise-separable 3x3 branches (DeepLabv3+) instead of full 3x3 convs.
        dropout: dropout after the fusing 1x1 conv.

    Example:
        >>> ASPP(32, 16)(torch.zeros(1, 32, 8, 8)).shape
        torch.Size([1, 16, 8, 8])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        rates: Sequence[int] = (6, 12, 18),
        *,
        separable: bool = True,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        atrous = [
            separable_conv(in_channels, out_channels, dilation=r)
            if separable
            else conv_bn_relu(in_channels, out_channels, 3, dilation=r)
            for r in rates
        ]
        self.branches = nn.ModuleList(
            [conv_bn_relu(in_channels, out_channels, 1), *atrous, ImagePooling(in_channels, out_channels)]
        )
        self.fuse = nn.Sequential(
            conv_bn_relu(out_channels * len(self.branches), out_channels, 1), nn.Dropout2d(dropout)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.fuse(torch.cat([branch(x) for branch in self.branches], dim=1))


def pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    """Zero-pad the bottom and right of ``x`` so height and width are multiples of ``multiple``.

    Example:
        >>> pad_to_multiple(torch.zeros(1, 3, 30, 33), 16).shape
        torch.Size([1, 3, 32, 48])
    """
    height, width = x.shape[-2:]
    pad_h, pad_w = (-height) % multiple, (-width) % multiple
    if pad_h == 0 and pad_w == 0:
        return x
    return F.pad(x, (0, pad_w, 0, pad_h))


def resize_to(x: Tensor, size: Sequence[int]) -> Tensor:
    """Bilinear resize of logits or features to ``size`` (height, width); a no-op at that size."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


def bilinear_kernel(channels: int, kernel_size: int) -> Tensor:
    """Weights that make a ``ConvTranspose2d(channels, channels, kernel_size)`` a bilinear up-sampler (FCN init)."""
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = torch.arange(kernel_size, dtype=torch.float32)
    filt = 1 - (og - center).abs() / factor
    kernel = filt[:, None] * filt[None, :]
    weight = torch.zeros(channels, channels, kernel_size, kernel_size)
    weight[range(channels), range(channels)] = kernel
    return weight


class ResidualBlock(nn.Module):
    """ResNet basic block: two 3x3 conv-BN (the first strided or atrous), identity or 1x1 projection shortcut.

    Example:
        >>> ResidualBlock(8, 16, stride=2)(torch.zeros(1, 8, 10, 10)).shape
        torch.Size([1, 16, 5, 5])
    """

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv_bn_relu(in_channels, out_channels, 3, stride=stride, dilation=dilation),
            nn.Conv2d(out_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.body(x) + self.shortcut(x))
