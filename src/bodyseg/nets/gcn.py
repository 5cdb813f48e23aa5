"""Global convolutional network (Peng et al., CVPR 2017): large kernels and boundary refinement."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from bodyseg.nets.blocks import ResidualBlock, conv_bn_relu, pad_to_multiple


class GlobalConv(nn.Module):
    """GCN block: a k x k receptive field from two separable paths, (k x 1 then 1 x k) + (1 x k then k x 1)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 15) -> None:
        super().__init__()
        k, p = kernel_size, kernel_size // 2
        self.left = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, (k, 1), padding=(p, 0)),
            nn.Conv2d(out_channels, out_channels, (1, k), padding=(0, p)),
        )
        self.right = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, (1, k), padding=(0, p)),
            nn.Conv2d(out_channels, out_channels, (k, 1), padding=(p, 0)),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.left(x) + self.right(x)


class BoundaryRefinement(nn.Module):
    """BR block: ``x + conv3x3(relu(conv3x3(x)))``, a residual that sharpens object boundaries."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class GCN(nn.Module):
    """Global convolutional network on a small ResNet-like backbone of our own.

    The paper's idea: segmentation needs both classification (large receptive fields, dense
    connections) and localisation (fully convolutional): large k x k kernels built cheaply from
    k x 1 + 1 x k convolutions give both; boundary refinement residual blocks sharpen edges.
    Parameters (measured): 3,631,649 for one output channel (``kernel_size=15``, 32 GCN channels).

    Args:
        in_channels: input channels.
        num_classes: output channels (logits).
        kernel_size: k of the global convolutions (paper: 15).
        channels: features after each GCN block (the paper maps straight to the class scores).
        widths: filters of the four backbone stages (strides 4, 8, 16, 32).

    Example:
        >>> import torch
        >>> net = GCN().eval()
        >>> net(torch.zeros(1, 3, 64, 96)).shape
        torch.Size([1, 1, 64, 96])
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 1,
        *,
        kernel_size: int = 15,
        channels: int = 32,
        widths: Sequence[int] = (32, 64, 128, 256),
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(conv_bn_relu(in_channels, widths[0], 7, stride=2), nn.MaxPool2d(2))
        previous = widths[0]
        self.stages = nn.ModuleList()
        for i, width in enumerate(widths):
            self.stages.append(
                nn.Sequential(ResidualBlock(previous, width, stride=1 if i == 0 else 2), ResidualBlock(width, width))
            )
            previous = width
        self.gcn = nn.ModuleList(GlobalConv(width, channels, kernel_size) for width in widths)
        self.refine = nn.ModuleList(BoundaryRefinement(channels) for _ in widths)
        self.refine_merged = nn.ModuleList(BoundaryRefinement(channels) for _ in widths[:-1])
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1) for _ in range(len(widths) + 1)
        )
        self.refine_final = nn.ModuleList(BoundaryRefinement(channels) for _ in range(2))
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        x = self.stem(pad_to_multiple(x, 32))
        scores = []
        for stage, gcn, refine in zip(self.stages, self.gcn, self.refine, strict=False):
            x = stage(x)
            scores.append(refine(gcn(x)))
        y = scores.pop()
        for i, finer in enumerate(reversed(scores)):
            y = self.refine_merged[i](self.up[i](y) + finer)
        for j, refine in enumerate(self.refine_final):
            y = refine(self.up[len(scores) + j](y))
        return self.classifier(y)[..., :height, :width]
