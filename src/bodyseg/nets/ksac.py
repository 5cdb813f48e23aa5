"""KSAC (Huang et al., 2019): DeepLabv3+ with kernel-sharing atrous convolution instead of ASPP."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bodyseg.nets.blocks import ImagePooling, conv_bn_relu
from bodyseg.nets.deeplabv3plus import DeepLabV3Plus


class KernelSharingAtrous(nn.Module):
    """One 3x3 kernel applied at every rate (own batch norm per rate), plus 1x1 conv and image pooling.

    ASPP learns one 3x3 kernel per rate; sharing it lets the same weights see objects at every
    scale (more training signal per weight) and divides the atrous parameters by the number of
    rates. With ``separable=True`` the shared kernel is a depthwise 3x3 followed by a shared
    pointwise 1x1 (as the separable ASPP of our DeepLabv3+); otherwise a full 3x3 conv (the paper).

    Example:
        >>> KernelSharingAtrous(32, 16)(torch.zeros(1, 32, 8, 8)).shape
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
        self.rates = tuple(rates)
        self.separable = separable
        if separable:
            self.depthwise = nn.Parameter(torch.empty(in_channels, 1, 3, 3))
            self.pointwise = nn.Parameter(torch.empty(out_channels, in_channels, 1, 1))
            nn.init.kaiming_normal_(self.depthwise, mode="fan_out", nonlinearity="relu")
            nn.init.kaiming_normal_(self.pointwise, mode="fan_out", nonlinearity="relu")
            self.depthwise_norms = nn.ModuleList(nn.BatchNorm2d(in_channels) for _ in self.rates)
        else:
            self.shared = nn.Parameter(torch.empty(out_channels, in_channels, 3, 3))
            nn.init.kaiming_normal_(self.shared, mode="fan_out", nonlinearity="relu")
        self.norms = nn.ModuleList(nn.BatchNorm2d(out_channels) for _ in self.rates)
        self.point = conv_bn_relu(in_channels, out_channels, 1)
        self.pooling = ImagePooling(in_channels, out_channels)
        self.fuse = nn.Sequential(
            conv_bn_relu(out_channels * (len(self.rates) + 2), out_channels, 1), nn.Dropout2d(dropout)
        )

    def atrous(self, x: Tensor, index: int) -> Tensor:
        """The shared kernel at rate ``self.rates[index]``, with that rate's batch norm."""
        rate = self.rates[index]
        if self.separable:
            x = F.relu(
                self.depthwise_norms[index](F.conv2d(x, self.depthwise, padding=rate, dilation=rate, groups=x.shape[1]))
            )
            return F.relu(self.norms[index](F.conv2d(x, self.pointwise)))
        return F.relu(self.norms[index](F.conv2d(x, self.shared, padding=rate, dilation=rate)))

    def forward(self, x: Tensor) -> Tensor:
        branches = [self.point(x), *(self.atrous(x, i) for i in range(len(self.rates))), self.pooling(x)]
        return self.fuse(torch.cat(branches, dim=1))


class KSAC(DeepLabV3Plus):
    """DeepLabv3+ whose ASPP is replaced by kernel-sharing atrous convolution.

    The paper's idea: the parallel atrous branches of ASPP share a single 3x3 kernel, so the
    head is smaller and each weight learns from every scale; accuracy matches or beats ASPP.
    Parameters (measured): 668,737 for one output channel (separable shared kernel, ``width=0.5``,
    128-channel head; 830,177 with ``separable=False``); the atrous branches have a third of
    the weights of the ASPP they replace, the whole context block 77%.

    Args:
        in_channels, num_classes, output_stride, width, head_channels, low_level_channels:
            as :class:`~bodyseg.nets.deeplabv3plus.DeepLabV3Plus`.
        separable: share a depthwise 3x3 + pointwise 1x1 (default, like our DeepLabv3+ ASPP) or a
            full 3x3 kernel (the paper's KSAC).

    Example:
        >>> net = KSAC().eval()
        >>> net(torch.zeros(1, 3, 64, 64)).shape
        torch.Size([1, 1, 64, 64])
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 1,
        *,
        output_stride: int = 16,
        width: float = 0.5,
        head_channels: int = 128,
        low_level_channels: int = 32,
        separable: bool = True,
    ) -> None:
        self.separable = separable  # read by context_module during the base class's __init__
        super().__init__(
            in_channels,
            num_classes,
            output_stride=output_stride,
            width=width,
            head_channels=head_channels,
            low_level_channels=low_level_channels,
        )

    def context_module(self, in_channels: int, out_channels: int, rates: Sequence[int]) -> nn.Module:
        return KernelSharingAtrous(in_channels, out_channels, rates, separable=self.separable)
