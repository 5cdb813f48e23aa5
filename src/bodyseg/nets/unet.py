"""U-Net (Ronneberger et al., MICCAI 2015), reduced to a quarter of the original filters."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from bodyseg.nets.blocks import conv_bn_relu, pad_to_multiple


def double_conv(in_channels: int, out_channels: int, dropout: float = 0.0) -> nn.Sequential:
    """Two 3x3 conv-BN-ReLU, with optional dropout between them."""
    layers: list[nn.Module] = [conv_bn_relu(in_channels, out_channels)]
    if dropout:
        layers.append(nn.Dropout2d(dropout))
    layers.append(conv_bn_relu(out_channels, out_channels))
    return nn.Sequential(*layers)


class UpBlock(nn.Module):
    """2x2 transposed conv that halves the channels, concat with the skip, then a double conv."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
        self.conv = double_conv(out_channels + skip_channels, out_channels, dropout)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        return self.conv(torch.cat([self.up(x), skip], dim=1))


class UNet(nn.Module):
    """Reduced U-Net: a contracting path of double convs, an expanding path with skip connections.

    The paper's idea: a symmetric encoder-decoder whose decoder concatenates the encoder's feature
    maps at each scale, so coarse context and fine localisation meet. Here with filters
    16-32-64-128-256 (a quarter of 64...1024), batch norm and same padding.
    Parameters (measured): 1,942,577 for one output channel (``base=16``).

    Args:
        in_channels: input channels.
        num_classes: output channels (logits).
        base: filters of the first level; each level doubles them (the original U-Net: 64).
        depth: number of down-sampling steps (input sides are padded to a multiple of 2**depth).

    Example:
        >>> net = UNet(num_classes=1).eval()
        >>> net(torch.zeros(1, 3, 50, 70)).shape
        torch.Size([1, 1, 50, 70])
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 1, *, base: int = 16, depth: int = 4) -> None:
        super().__init__()
        widths = [base * 2**i for i in range(depth + 1)]
        self.depth = depth
        self.down = nn.ModuleList([double_conv(in_channels, widths[0])])
        self.down.extend(double_conv(widths[i], widths[i + 1]) for i in range(depth))
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(UpBlock(widths[i + 1], widths[i], widths[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        x = pad_to_multiple(x, 2**self.depth)
        skips: list[Tensor] = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for block in self.up:
            x = block(x, skips.pop())
        return self.head(x)[..., :height, :width]
