"""SegNet (Badrinarayanan, Kendall and Cipolla, TPAMI 2017): un-pooling with max-pool indices."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bodyseg.nets.blocks import pad_to_multiple
from bodyseg.nets.fcn import VGG_DEPTHS, vgg_stage


class _OnnxMaxPool(torch.autograd.Function):
    """2x2 max-pool with indices that exports as one ONNX ``MaxPool`` (indices in ONNX's own layout)."""

    @staticmethod
    def forward(ctx: object, x: Tensor) -> tuple[Tensor, Tensor]:  # noqa: D102
        return F.max_pool2d(x, 2, 2, return_indices=True)

    @staticmethod
    def symbolic(g: object, x: object) -> object:  # noqa: D102
        return g.op("MaxPool", x, kernel_shape_i=[2, 2], strides_i=[2, 2], outputs=2)  # type: ignore[attr-defined]


class _OnnxMaxUnpool(torch.autograd.Function):
    """2x2 un-pooling that exports as one ONNX ``MaxUnpool`` fed by :class:`_OnnxMaxPool`'s indices."""

    @staticmethod
    def forward(ctx: object, x: Tensor, indices: Tensor) -> Tensor:  # noqa: D102
        # max_unpool2d itself cannot be traced (its size check); the same result as a scatter
        n, c, h, w = x.shape
        flat = torch.zeros(n, c, 4 * h * w, dtype=x.dtype, device=x.device)
        return flat.scatter(2, indices.flatten(2), x.flatten(2)).view(n, c, 2 * h, 2 * w)

    @staticmethod
    def symbolic(g: object, x: object, indices: object) -> object:  # noqa: D102
        return g.op("MaxUnpool", x, indices, kernel_shape_i=[2, 2], strides_i=[2, 2])  # type: ignore[attr-defined]


def max_pool_with_indices(x: Tensor) -> tuple[Tensor, Tensor]:
    """2x2 max-pool that also returns where each maximum came from (for :func:`max_unpool`).

    In ONNX export both become single ``MaxPool``/``MaxUnpool`` nodes: the TorchScript exporter
    of torch 2.13 fails on ``max_unpool2d``, and a scatter-based un-pool runs about 6x slower in
    onnxruntime than its ``MaxUnpool`` kernel. Indices follow torch's layout in torch and ONNX's in
    the exported graph; they only ever travel from this function to :func:`max_unpool`.

    Example:
        >>> y, idx = max_pool_with_indices(torch.arange(16.).view(1, 1, 4, 4))
        >>> max_unpool(y, idx)[0, 0, 1].tolist()
        [0.0, 5.0, 0.0, 7.0]
    """
    if torch.onnx.is_in_onnx_export():
        return _OnnxMaxPool.apply(x)
    return F.max_pool2d(x, 2, 2, return_indices=True)


def max_unpool(x: Tensor, indices: Tensor) -> Tensor:
    """Put each value of ``x`` back at its max-pool position in a zero map twice the size."""
    if torch.onnx.is_in_onnx_export():
        return _OnnxMaxUnpool.apply(x, indices)
    return F.max_unpool2d(x, indices, 2)


class SegNet(nn.Module):
    """SegNet: a VGG-like encoder whose decoder up-samples by un-pooling with the encoder's indices.

    The paper's idea: instead of learning up-sampling or storing whole encoder feature maps, keep
    only the max-pool indices and put each decoder value back where the maximum came from; convs
    then densify the sparse map. Encoder 5 stages (2-2-3-3-3 convs), mirrored decoder.
    Parameters (measured): 1,845,473 for one output channel (``widths=16-32-64-128-128``).

    Args:
        in_channels: input channels.
        num_classes: output channels (logits).
        widths: filters of the five encoder stages (SegNet: 64-128-256-512-512).

    Example:
        >>> net = SegNet().eval()
        >>> net(torch.zeros(1, 3, 40, 72)).shape
        torch.Size([1, 1, 40, 72])
    """

    def __init__(
        self, in_channels: int = 3, num_classes: int = 1, *, widths: Sequence[int] = (16, 32, 64, 128, 128)
    ) -> None:
        super().__init__()
        channels = [in_channels, *widths]
        self.encoder = nn.ModuleList(vgg_stage(channels[i], channels[i + 1], VGG_DEPTHS[i]) for i in range(5))
        decoder = []
        for i in reversed(range(5)):
            out = widths[i - 1] if i > 0 else widths[0]
            convs = [vgg_stage(widths[i], widths[i], VGG_DEPTHS[i] - 1), vgg_stage(widths[i], out, 1)]
            decoder.append(nn.Sequential(*convs))
        self.decoder = nn.ModuleList(decoder)
        self.head = nn.Conv2d(widths[0], num_classes, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        x = pad_to_multiple(x, 32)
        saved: list[Tensor] = []
        for stage in self.encoder:
            x, indices = max_pool_with_indices(stage(x))
            saved.append(indices)
        for stage in self.decoder:
            x = stage(max_unpool(x, saved.pop()))
        return self.head(x)[..., :height, :width]
