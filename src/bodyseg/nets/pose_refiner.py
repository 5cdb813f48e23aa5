"""The default pipeline's refinement net: a small U-Net that corrects a prior mask in logit space.

Not one of the literature's architectures of the zoo (it is not in :func:`bodyseg.nets.available`):
it takes the 7-channel input of :func:`bodyseg.models.refiner.refiner_input` (RGB, the landmark
model's and the selfie model's probabilities, skeleton and keypoint maps) and returns ``dM + logit(prior)``, so it
starts
from the prior and learns only the correction. Parameters (measured): 272,341 (``base=12``, ``depth=3``, 7 inputs).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from bodyseg.models.refiner import PRIOR_CHANNEL
from bodyseg.models.runtime import EPS
from bodyseg.nets.unet import UNet


class PoseRefinerNet(nn.Module):
    """U-Net core whose output is added to the logit of the prior channel.

    Args:
        in_channels: input channels (7: RGB, prior, selfie, skeleton, keypoints).
        num_classes: 1 (a person probability).
        base: filters of the first U-Net level.
        depth: U-Net down-sampling steps.

    Example:
        >>> net = PoseRefinerNet().eval()
        >>> x = torch.zeros(1, 7, 64, 64); x[:, PRIOR_CHANNEL] = 0.5
        >>> net(x).shape
        torch.Size([1, 1, 64, 64])
    """

    def __init__(self, in_channels: int = 7, num_classes: int = 1, *, base: int = 12, depth: int = 3) -> None:
        super().__init__()
        if in_channels <= PRIOR_CHANNEL or num_classes != 1:
            raise ValueError(
                f"the refiner needs at least {PRIOR_CHANNEL + 1} input channels and one output, got {in_channels} "
                f"and {num_classes}"
            )
        self.core = UNet(in_channels, 1, base=base, depth=depth)
        nn.init.zeros_(self.core.head.weight)  # start as the identity on the prior: dM = 0
        nn.init.zeros_(self.core.head.bias)

    def forward(self, x: Tensor) -> Tensor:
        prior = x[:, PRIOR_CHANNEL : PRIOR_CHANNEL + 1].clamp(EPS, 1 - EPS)
        return self.core(x) + torch.log(prior / (1 - prior))
