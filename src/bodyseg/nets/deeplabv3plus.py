"""DeepLabv3+ (Chen et al., ECCV 2018) on a light atrous MobileNetV2-like backbone of our own."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from bodyseg.nets.blocks import ASPP, conv_bn_relu, resize_to, separable_conv

#: MobileNetV2 stages: (expansion, channels, blocks, stride); channels scaled by ``width``.
MOBILENET_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def _scaled(channels: int, width: float) -> int:
    return max(8, int(round(channels * width / 8)) * 8)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise (strided or atrous), 1x1 linear project, residual."""

    def __init__(self, in_channels: int, out_channels: int, *, stride: int, expansion: int, dilation: int = 1) -> None:
        super().__init__()
        hidden = in_channels * expansion
        layers: list[nn.Module] = [conv_bn_relu(in_channels, hidden, 1)] if expansion != 1 else []
        layers += [
            conv_bn_relu(hidden, hidden, 3, stride=stride, dilation=dilation, groups=hidden),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: Tensor) -> Tensor:
        y = self.block(x)
        return x + y if self.residual else y


class AtrousMobileNet(nn.Module):
    """MobileNetV2-like backbone whose late strides become dilations (output stride 16 or 8).

    Returns ``(low_level, features)``: stride-4 features for the decoder skip and the deep
    features at ``output_stride``; ``low_channels`` and ``out_channels`` give their widths.

    Example:
        >>> low, deep = AtrousMobileNet(output_stride=8)(torch.zeros(1, 3, 64, 64))
        >>> low.shape[-1], deep.shape[-1]
        (16, 8)
    """

    def __init__(self, in_channels: int = 3, *, output_stride: int = 16, width: float = 0.5) -> None:
        super().__init__()
        if output_stride not in (8, 16):
            raise ValueError(f"output_stride must be 8 or 16, got {output_stride}")
        previous = _scaled(32, width)
        self.stem = conv_bn_relu(in_channels, previous, 3, stride=2)
        stride, dilation = 2, 1
        self.low_stages = nn.Sequential()
        self.deep_stages = nn.Sequential()
        for index, (expansion, channels, blocks, first_stride) in enumerate(MOBILENET_STAGES):
            out = _scaled(channels, width)
            block_dilation = dilation
            if first_stride == 2 and stride >= output_stride:
                dilation *= 2  # keep the resolution, grow the receptive field instead
                first_stride = 1
            stride *= first_stride
            stage = nn.Sequential(
                *(
                    InvertedResidual(
                        previous if i == 0 else out,
                        out,
                        stride=first_stride if i == 0 else 1,
                        expansion=expansion,
                        dilation=block_dilation if i == 0 else dilation,
                    )
                    for i in range(blocks)
                )
            )
            (self.low_stages if index <= 1 else self.deep_stages).append(stage)
            previous = out
            if index == 1:
                self.low_channels = out
        self.out_channels = previous

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        low = self.low_stages(self.stem(x))
        return low, self.deep_stages(low)


class DeepLabV3Plus(nn.Module):
    """DeepLabv3+: atrous backbone, ASPP for multi-scale context, a light decoder with a low-level skip.

    The paper's idea: atrous convolution keeps feature maps dense while ASPP (parallel 3x3 convs
    at rates 6/12/18, a 1x1 conv and image pooling) gathers context at several scales; a small
    decoder (4x up, concat with stride-4 features, 3x3 convs, 4x up) restores object boundaries.
    Depthwise-separable convs in ASPP and decoder keep it light.
    Parameters (measured): 712,577 for one output channel (``width=0.5``, 128-channel head).

    Args:
        in_channels: input channels.
        num_classes: output channels (logits).
        output_stride: 16 (rates 6/12/18) or 8 (rates doubled, finer but slower).
        width: channel multiplier of the MobileNetV2-like backbone.
        head_channels: channels of ASPP and decoder (paper: 256).
        low_level_channels: channels the stride-4 skip is reduced to (paper: 48).

    Example:
        >>> net = DeepLabV3Plus(output_stride=8).eval()
        >>> net(torch.zeros(1, 3, 48, 80)).shape
        torch.Size([1, 1, 48, 80])
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
    ) -> None:
        super().__init__()
        self.backbone = AtrousMobileNet(in_channels, output_stride=output_stride, width=width)
        rates = tuple(r * 16 // output_stride for r in (6, 12, 18))
        self.context = self.context_module(self.backbone.out_channels, head_channels, rates)
        self.reduce_low = conv_bn_relu(self.backbone.low_channels, low_level_channels, 1)
        self.decoder = nn.Sequential(
            separable_conv(head_channels + low_level_channels, head_channels),
            separable_conv(head_channels, head_channels),
        )
        self.classifier = nn.Conv2d(head_channels, num_classes, 1)

    def context_module(self, in_channels: int, out_channels: int, rates: Sequence[int]) -> nn.Module:
        """The multi-scale context block on the deep features: ASPP here (KSAC overrides it)."""
        return ASPP(in_channels, out_channels, rates, separable=True)

    def forward(self, x: Tensor) -> Tensor:
        size = x.shape[-2:]
        low, deep = self.backbone(x)
        context = resize_to(self.context(deep), low.shape[-2:])
        y = self.decoder(torch.cat([context, self.reduce_low(low)], dim=1))
        return resize_to(self.classifier(y), size)
