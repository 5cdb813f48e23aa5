"""ICNet (Zhao et al., ECCV 2018): image cascade network for real-time segmentation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bodyseg.nets.blocks import ImagePooling, ResidualBlock, conv_bn_relu, pad_to_multiple, resize_to


class CascadeFeatureFusion(nn.Module):
    """CFF: up-sample the coarse features 2x, 3x3 conv dilated 2, add the 1x1-projected finer features.

    Also returns the auxiliary logits of the up-sampled coarse features (cascade label guidance).
    """

    def __init__(self, coarse_channels: int, fine_channels: int, out_channels: int, num_classes: int) -> None:
        super().__init__()
        self.coarse = nn.Sequential(
            nn.Conv2d(coarse_channels, out_channels, 3, padding=2, dilation=2, bias=False), nn.BatchNorm2d(out_channels)
        )
        self.fine = nn.Sequential(nn.Conv2d(fine_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels))
        self.classifier = nn.Conv2d(coarse_channels, num_classes, 1)

    def forward(self, coarse: Tensor, fine: Tensor) -> tuple[Tensor, Tensor]:
        up = resize_to(coarse, fine.shape[-2:])
        return F.relu(self.coarse(up) + self.fine(fine)), self.classifier(up)


class ICNet(nn.Module):
    """ICNet: a deep branch on a quarter-size image, light branches at half and full size, fused in cascade.

    The paper's idea: run the expensive semantic part only on a low-resolution image and recover
    detail with cheap branches at higher resolutions, fused by cascade feature fusion units and
    trained with cascade label guidance (losses at 1/16, 1/8 and 1/4 weighted lambda1..3).
    Low and medium branches share their first layers; pyramid pooling is reduced to image pooling
    (exports to ONNX at any input size).
    Parameters (measured): 3,036,963 for one output channel (``width=32``).

    In training mode ``forward`` returns ``(main, aux_1/16, aux_1/8)``: the main logits at input
    size and the cascade-guidance logits at 1/16 and 1/8 of the (stride-32 padded) input, to be
    weighted by :attr:`aux_weights` (lambda1 = lambda2 = 0.4; the main output has lambda3 = 1);
    see :func:`bodyseg.train.supervision.deep_supervision_loss`. In eval mode: the main logits.

    Args:
        in_channels: input channels.
        num_classes: output channels (logits).
        width: base filters; the deep branch goes up to ``8 * width``.

    Example:
        >>> net = ICNet().train()
        >>> [o.shape[-1] for o in net(torch.zeros(2, 3, 64, 64))]
        [64, 4, 8]
    """

    #: Loss weights of the auxiliary outputs (lambda1 for 1/16, lambda2 for 1/8), after the main one (lambda3 = 1).
    aux_weights: tuple[float, ...] = (0.4, 0.4)

    def __init__(self, in_channels: int = 3, num_classes: int = 1, *, width: int = 32) -> None:
        super().__init__()
        w = width
        # shared by the low and medium branches: stride 8 of their own input
        self.shared = nn.Sequential(
            conv_bn_relu(in_channels, w // 2, 3, stride=2),
            conv_bn_relu(w // 2, w, 3, stride=2),
            ResidualBlock(w, 2 * w, stride=2),
            ResidualBlock(2 * w, 2 * w),
        )
        # low branch only: 2x down, then dilated residual blocks and image pooling
        self.deep = nn.Sequential(
            ResidualBlock(2 * w, 4 * w, stride=2),
            ResidualBlock(4 * w, 4 * w, dilation=2),
            ResidualBlock(4 * w, 8 * w, dilation=2),
            ResidualBlock(8 * w, 8 * w, dilation=4),
        )
        self.pooling = ImagePooling(8 * w, 8 * w)
        self.reduce = conv_bn_relu(16 * w, 4 * w, 1)
        # high branch: three strided convs on the full image
        self.high = nn.Sequential(
            conv_bn_relu(in_channels, w // 2, 3, stride=2),
            conv_bn_relu(w // 2, w, 3, stride=2),
            conv_bn_relu(w, 2 * w, 3, stride=2),
        )
        self.cff_low_medium = CascadeFeatureFusion(4 * w, 2 * w, 2 * w, num_classes)
        self.cff_medium_high = CascadeFeatureFusion(2 * w, 2 * w, 2 * w, num_classes)
        self.classifier = nn.Conv2d(2 * w, num_classes, 1)

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, ...]:
        size = x.shape[-2:]
        x = pad_to_multiple(x, 32)
        half = F.avg_pool2d(x, 2)
        medium = self.shared(half)  # 1/16
        low = self.deep(F.avg_pool2d(medium, 2))  # 1/32
        low = self.reduce(torch.cat([low, self.pooling(low)], dim=1))
        fused16, aux16 = self.cff_low_medium(low, medium)
        fused8, aux8 = self.cff_medium_high(fused16, self.high(x))
        quarter = F.interpolate(fused8, scale_factor=2.0, mode="bilinear", align_corners=False)
        logits = resize_to(self.classifier(quarter), x.shape[-2:])[..., : size[0], : size[1]]
        if self.training:
            return logits, aux16, aux8
        return logits
