"""Losses over a net's main and auxiliary outputs (deep supervision, ICNet's cascade label guidance)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def resize_target(target: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Nearest-neighbour resize of a float ``(N, 1, H, W)`` mask or a long ``(N, H, W)`` label map.

    Example:
        >>> resize_target(torch.ones(2, 8, 8, dtype=torch.long), (4, 4)).shape
        torch.Size([2, 4, 4])
    """
    size = tuple(int(s) for s in size)
    if tuple(target.shape[-2:]) == size:
        return target
    if target.ndim == 3:
        return F.interpolate(target[:, None].float(), size=size, mode="nearest")[:, 0].to(target.dtype)
    return F.interpolate(target.float(), size=size, mode="nearest").to(target.dtype)


def deep_supervision_loss(
    output: torch.Tensor | Sequence[torch.Tensor], target: torch.Tensor, loss: Loss, aux_weights: Sequence[float] = ()
) -> torch.Tensor:
    """``loss(main, target) + sum_i aux_weights[i] * loss(aux_i, target resized to aux_i)``.

    ``output`` is a net's output: the logits, or in training mode ``(main, *aux)`` for nets with
    auxiliary heads. For ICNet this is cascade label guidance with lambda3 = 1 on the main output
    and lambda1 = lambda2 = 0.4 (``ICNet.aux_weights``) on the 1/16 and 1/8 outputs, against
    labels down-sampled to each output's size; for the stacked hourglass, intermediate supervision
    of every stack.

    Example:
        >>> bce = torch.nn.functional.binary_cross_entropy_with_logits
        >>> out = (torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 2, 2))
        >>> round(float(deep_supervision_loss(out, torch.ones(1, 1, 8, 8), bce, (0.4,))), 4)  # 1.4 ln 2
        0.9704
    """
    if isinstance(output, torch.Tensor):
        return loss(output, target)
    main, *aux = output
    if len(aux) != len(aux_weights):
        raise ValueError(f"the net returned {len(aux)} auxiliary outputs but {len(aux_weights)} weights were given")
    total = loss(main, target)
    for logits, weight in zip(aux, aux_weights, strict=False):
        total = total + weight * loss(logits, resize_target(target, logits.shape[-2:]))
    return total
