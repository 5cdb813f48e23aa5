"""Fully convolutional networks FCN-32s, -16s, -8s (Long, Shelhamer and Darrell, CVPR 2015)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from bodyseg.nets.blocks import bilinear_kernel, conv_bn_relu, pad_to_multiple

#: Filters and convs per stage of the small VGG-like backbone (VGG-16: 64-128-256-512-512, 2-2-3-3-3).
VGG_WIDTHS = (16, 32, 64, 128, 256)
VGG_DEPTHS = (2, 2, 3, 3, 3)


def vgg_stage(in_channels: int, out_channels: int, convs: int) -> nn.Sequential:
    """``convs`` 3x3 conv-BN-ReLU layers (one VGG stage, without its pool)."""
    return nn.Sequential(*(conv_bn_relu(in_channels if i == 0 else out_channels, out_channels) for i in range(convs)))


def learned_upsampling(channels: int, factor: int) -> nn.ConvTranspose2d:
    """A transposed conv that up-samples by ``factor`` exactly, initialised as bilinear interpolation."""
    up = nn.ConvTranspose2d(channels, channels, 2 * factor, stride=factor, padding=factor // 2, bias=False)
    up.weight.data.copy_(bilinear_kernel(channels, 2 * factor))
    return up


class FCN(nn.Module):
    """FCN: a VGG-like classifier made fully convolutional, scored at stride 32 and up-sampled.

    The paper's idea: turn the classifier's dense layers into convolutions, score every location,
    and up-sample the coarse scores with learned transposed convolutions, adding the scores of the
    pool4 (16s) and pool3 (8s) layers so fine layers sharpen the coarse prediction.
    Parameters (measured, one output channel): fcn32s 3,403,249; fcn16s 3,400,322; fcn8s 3,399,635.

    Args:
        in_channels: input channels.
        num_classes: output channels (logits).
        stride: 32, 16 or 8: the output stride of the coarsest prediction that is up-sampled last
            (FCN-32s, FCN-16s with the pool4 skip, FCN-8s with pool4 and pool3 skips).
        widths: filters of the five backbone stages.
        head_width: filters of the fully convolutional fc6/fc7 layers.
        dropout: dropout after fc6 and fc7.

    Example:
        >>> import torch
        >>> net = FCN(stride=8).eval()
        >>> net(torch.zeros(1, 3, 64, 96)).shape
        torch.Size([1, 1, 64, 96])
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 1,
        *,
        stride: int = 32,
        widths: Sequence[int] = VGG_WIDTHS,
        head_width: int = 512,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if stride not in (8, 16, 32):
            raise ValueError(f"FCN stride must be 8, 16 or 32, got {stride}")
        self.stride = stride
        channels = [in_channels, *widths]
        self.stages = nn.ModuleList(vgg_stage(channels[i], channels[i + 1], VGG_DEPTHS[i]) for i in range(5))
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Sequential(
            conv_bn_relu(widths[4], head_width, 3),
            nn.Dropout2d(dropout),
            conv_bn_relu(head_width, head_width, 1),
            nn.Dropout2d(dropout),
        )
        self.score = nn.Conv2d(head_width, num_classes, 1)
        if stride <= 16:
            self.score_pool4 = nn.Conv2d(widths[3], num_classes, 1)
            self.up_to_16 = learned_upsampling(num_classes, 2)
        if stride == 8:
            self.score_pool3 = nn.Conv2d(widths[2], num_classes, 1)
            self.up_to_8 = learned_upsampling(num_classes, 2)
        self.up_final = learned_upsampling(num_classes, stride)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        x = pad_to_multiple(x, 32)
        pools: list[Tensor] = []
        for stage in self.stages:
            x = self.pool(stage(x))
            pools.append(x)
        score = self.score(self.fc(x))
        if self.stride <= 16:
            score = self.up_to_16(score) + self.score_pool4(pools[3])
        if self.stride == 8:
            score = self.up_to_8(score) + self.score_pool3(pools[2])
        return self.up_final(score)[..., :height, :width]
