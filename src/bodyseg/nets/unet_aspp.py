"""U-Net with an ASPP bottleneck: dropout-regularised conv blocks, atrous pyramid at the bottom."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from bodyseg.nets.blocks import ASPP, pad_to_multiple
from bodyseg.nets.unet import UpBlock, double_conv


class UNetASPP(nn.Module):
    """U-Net encoder of 4 conv blocks, an ASPP block at the bottom, a transposed-conv decoder.

    The idea: keep U-Net's skip connections for sharp edges, and replace its bottleneck by
    atrous spatial pyramid pooling so the deepest features see context at several scales at once.
    Each encoder block is conv-dropout-conv then 2x2 max-pool; the decoder up-samples with 2x2
    transposed convs and ends in a 1x1 conv (logits: the sigmoid belongs to the loss/inference).
    Parameters (measured): 2,337,585 for one output channel (``base=16``).

    Args:
        in_channels: input channels.
        num_classes: output channels (logits).
        base: filters of the first block, doubled at each of the 4 blocks.
        rates: ASPP dilation rates at the bottom (stride 16).
        dropout: dropout between the two convs of each block.

    Example:
        >>> import torch
        >>> net = UNetASPP().eval()
        >>> net(torch.zeros(1, 3, 64, 48)).shape
        torch.Size([1, 1, 64, 48])
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 1,
        *,
        base: int = 16,
        rates: Sequence[int] = (6, 12, 18),
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        widths = [base * 2**i for i in range(4)]
        self.encoder = nn.ModuleList()
        previous = in_channels
        for width in widths:
            self.encoder.append(double_conv(previous, width, dropout))
            previous = width
        self.pool = nn.MaxPool2d(2)
        self.aspp = ASPP(widths[-1], widths[-1] * 2, rates, separable=False, dropout=dropout)
        self.decoder = nn.ModuleList(UpBlock(widths[i] * 2, widths[i], widths[i], dropout) for i in reversed(range(4)))
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        x = pad_to_multiple(x, 16)
        skips: list[Tensor] = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.aspp(x)
        for block in self.decoder:
            x = block(x, skips.pop())
        return self.head(x)[..., :height, :width]
