"""Stacked hourglass networks (Newell, Yang and Deng, ECCV 2016), with a segmentation head."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from bodyseg.nets.blocks import conv_bn_relu, pad_to_multiple, resize_to


class Residual(nn.Module):
    """The hourglass residual module: pre-activation bottleneck (1x1 to half, 3x3, 1x1 back) plus shortcut."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        mid = max(out_channels // 2, 1)
        self.body = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, mid, 1),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, padding=1),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_channels, 1),
        )
        self.shortcut = nn.Identity() if in_channels == out_channels else nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x) + self.shortcut(x)


class Hourglass(nn.Module):
    """One hourglass: residual, pool, a smaller hourglass (or residuals at the bottom), up-sample, add the skip."""

    def __init__(self, depth: int, channels: int) -> None:
        super().__init__()
        self.skip = Residual(channels, channels)
        self.down = Residual(channels, channels)
        self.inner: nn.Module = Hourglass(depth - 1, channels) if depth > 1 else Residual(channels, channels)
        self.up = Residual(channels, channels)

    def forward(self, x: Tensor) -> Tensor:
        low = self.up(self.inner(self.down(F.max_pool2d(x, 2))))
        return self.skip(x) + F.interpolate(low, scale_factor=2.0, mode="nearest")


class StackedHourglass(nn.Module):
    """Stacked hourglass: repeated bottom-up, top-down processing with intermediate supervision.

    The paper's idea: stack encoder-decoders (hourglasses) of residual modules; each stack makes
    a prediction that is supervised and fed back into the next, so later stages re-evaluate
    features together with earlier estimates. Here the heads predict segmentation logits at 1/4.
    Parameters (measured): 350,882 for one output channel (2 stacks, 64 channels, depth 3).

    In training mode ``forward`` returns ``(last, first, ...)``: the last stack's logits (the main
    output) then the earlier stacks' logits, all at input size, weighted by :attr:`aux_weights`.
    In eval mode: the last stack's logits.

    Args:
        in_channels: input channels.
        num_classes: output channels (logits).
        stacks: number of hourglasses.
        channels: features inside the hourglasses.
        depth: down-sampling steps inside each hourglass (inputs are padded to a multiple of 4 * 2**depth).

    Example:
        >>> import torch
        >>> net = StackedHourglass(stacks=2).train()
        >>> [o.shape[-2:] for o in net(torch.zeros(2, 3, 40, 56))]
        [torch.Size([40, 56]), torch.Size([40, 56])]
    """

    def __init__(
        self, in_channels: int = 3, num_classes: int = 1, *, stacks: int = 2, channels: int = 64, depth: int = 3
    ) -> None:
        super().__init__()
        self.depth = depth
        self.aux_weights: tuple[float, ...] = (1.0,) * (stacks - 1)
        self.stem = nn.Sequential(
            conv_bn_relu(in_channels, channels // 2, 7, stride=2),
            Residual(channels // 2, channels // 2),
            nn.MaxPool2d(2),
            Residual(channels // 2, channels),
            Residual(channels, channels),
        )
        self.hourglasses = nn.ModuleList(Hourglass(depth, channels) for _ in range(stacks))
        self.features = nn.ModuleList(
            nn.Sequential(Residual(channels, channels), conv_bn_relu(channels, channels, 1)) for _ in range(stacks)
        )
        self.heads = nn.ModuleList(nn.Conv2d(channels, num_classes, 1) for _ in range(stacks))
        self.merge_features = nn.ModuleList(nn.Conv2d(channels, channels, 1) for _ in range(stacks - 1))
        self.merge_predictions = nn.ModuleList(nn.Conv2d(num_classes, channels, 1) for _ in range(stacks - 1))

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, ...]:
        size = x.shape[-2:]
        padded = pad_to_multiple(x, 4 * 2**self.depth)
        x = self.stem(padded)
        outputs = []
        for i, hourglass in enumerate(self.hourglasses):
            features = self.features[i](hourglass(x))
            logits = self.heads[i](features)
            outputs.append(resize_to(logits, padded.shape[-2:])[..., : size[0], : size[1]])
            if i < len(self.merge_features):
                x = x + self.merge_features[i](features) + self.merge_predictions[i](logits)
        if self.training:
            return (outputs[-1], *outputs[:-1])
        return outputs[-1]
