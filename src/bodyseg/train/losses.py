"""Training losses (torch), and a name -> loss table the training loop picks from.

Binary losses take logits of shape (N, 1, H, W) and float targets of the same shape with values
in {0, 1}, and return the mean over the batch. The multi-class loss takes (N, C, H, W) logits and
(N, H, W) integer labels.

Example:
    >>> import torch
    >>> loss = get_loss("bce+dice")
    >>> logits, target = torch.zeros(2, 1, 8, 8), torch.ones(2, 1, 8, 8)
    >>> float(loss(logits, target)) > 0
    True
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from bodyseg.errors import InputError

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
WeightsLike = torch.Tensor | np.ndarray | Sequence[float]


def _check_binary(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The target as logits' dtype, after checking both have the same shape."""
    if logits.shape != target.shape:
        raise InputError(
            f"binary losses take logits and targets of the same shape (N, 1, H, W), got "
            f"{tuple(logits.shape)} and {tuple(target.shape)}; add the channel with target.unsqueeze(1)"
        )
    return target.to(logits.dtype)


def bce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on logits, averaged over every pixel.

    Example:
        >>> round(float(bce_loss(torch.zeros(1, 1, 1, 2), torch.tensor([[[[1.0, 0.0]]]]))), 4)  # ln 2
        0.6931
    """
    return F.binary_cross_entropy_with_logits(logits, _check_binary(logits, target))


def tversky_loss(
    logits: torch.Tensor, target: torch.Tensor, *, alpha: float = 0.5, beta: float = 0.5, smooth: float = 1.0
) -> torch.Tensor:
    """``1 - (TP + s) / (TP + alpha FP + beta FN + s)`` per image on soft counts, batch mean.

    ``alpha`` weighs false positives and ``beta`` false negatives (Salehi et al., 2017): raise
    ``beta`` to punish missed person pixels more. ``alpha = beta = 0.5`` is the Dice loss.

    Example:
        >>> t = torch.tensor([[[[1.0, 0.0]]]])  # p = 0.5 everywhere: TP = FP = FN = 0.5
        >>> round(float(tversky_loss(torch.zeros(1, 1, 1, 2), t, alpha=0.3, beta=0.7, smooth=0)), 4)
        0.5
    """
    p = torch.sigmoid(logits)
    t = _check_binary(logits, target)
    dims = tuple(range(1, p.ndim))
    tp = (p * t).sum(dims)
    fp = (p * (1 - t)).sum(dims)
    fn = ((1 - p) * t).sum(dims)
    return (1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)).mean()


def dice_loss(logits: torch.Tensor, target: torch.Tensor, *, smooth: float = 1.0) -> torch.Tensor:
    """Soft Dice loss ``1 - (2 sum(p t) + s) / (sum p + sum t + s)`` per image, batch mean.

    The smoothing ``s`` keeps images without a person defined (an empty prediction of an empty
    target scores 0).

    Example:
        >>> t = torch.tensor([[[[1.0, 0.0]]]])  # p = 0.5: (2 * 0.5 + 1) / (1 + 1 + 1) = 2/3
        >>> round(float(dice_loss(torch.zeros(1, 1, 1, 2), t)), 4)
        0.3333
    """
    return tversky_loss(logits, target, alpha=0.5, beta=0.5, smooth=smooth / 2)


def bce_dice_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    *,
    bce_weight: float = 1.0,
    dice_weight: float = 1.0,
    smooth: float = 1.0,
) -> torch.Tensor:
    """``bce_weight * bce_loss + dice_weight * dice_loss``: per-pixel and region terms together.

    Example:
        >>> t = torch.tensor([[[[1.0, 0.0]]]])  # ln 2 + 1/3
        >>> round(float(bce_dice_loss(torch.zeros(1, 1, 1, 2), t)), 4)
        1.0265
    """
    return bce_weight * bce_loss(logits, target) + dice_weight * dice_loss(logits, target, smooth=smooth)


def focal_loss(
    logits: torch.Tensor, target: torch.Tensor, *, gamma: float = 2.0, alpha: float | None = 0.25
) -> torch.Tensor:
    """Focal loss (Lin et al., 2017): ``-alpha_t (1 - p_t)^gamma log(p_t)``, pixel mean.

    ``p_t`` is the probability given to the true class; ``alpha_t`` is ``alpha`` on person pixels
    and ``1 - alpha`` on background (None: no class weighting). ``gamma = 0, alpha = None`` is BCE.

    Example:
        >>> t = torch.tensor([[[[1.0]]]])  # p_t = 0.5: 0.25 * 0.5^2 * ln 2
        >>> round(float(focal_loss(torch.zeros(1, 1, 1, 1), t)), 5)
        0.04332
    """
    t = _check_binary(logits, target)
    ce = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
    p = torch.sigmoid(logits)
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = loss * (alpha * t + (1 - alpha) * (1 - t))
    return loss.mean()


def signed_distance_map(mask: np.ndarray) -> np.ndarray:
    """HxW float32 signed distance to the mask's edge: negative inside, positive outside.

    Kervadec et al. (2019)'s map: outside pixels hold their distance to the nearest mask pixel,
    inside pixels minus (their distance to the nearest background pixel - 1), so the mask's own
    edge pixels are 0. A mask that is empty or covers the whole image has no edge: all zeros.

    Example:
        >>> signed_distance_map(np.array([[1, 1, 0, 0]], bool)).tolist()
        [[-1.0, 0.0, 1.0, 2.0]]
    """
    inside = np.asarray(mask, dtype=bool)
    if inside.all() or not inside.any():
        return np.zeros(inside.shape, np.float32)
    outside = ~inside
    distance = ndimage.distance_transform_edt(outside) * outside - (ndimage.distance_transform_edt(inside) - 1) * inside
    return distance.astype(np.float32)


def boundary_loss(logits: torch.Tensor, target: torch.Tensor, *, distance: torch.Tensor | None = None) -> torch.Tensor:
    """Boundary loss (Kervadec et al., 2019): mean of ``sigmoid(logits) * signed distance``.

    Lowest when the probability is 1 inside the person and 0 outside; the value itself is negative
    there, not zero. Use it next to a regional loss (``bce+dice``), as the paper does: an image
    without a person has an all-zero map and gives it no signal.

    Args:
        logits: (N, 1, H, W).
        target: (N, 1, H, W) in {0, 1}.
        distance: the targets' :func:`signed_distance_map` stacked like ``target``; computed here
            (with scipy, on the CPU) when None. Precompute it in the data loader to save time.

    Example:
        >>> t = torch.tensor([[[[1.0, 1.0, 0.0, 0.0]]]])  # map -1 0 1 2, p = 0.5: 0.5 * 2 / 4
        >>> float(boundary_loss(torch.zeros(1, 1, 1, 4), t))
        0.25
    """
    t = _check_binary(logits, target)
    if distance is None:
        maps = [signed_distance_map(m > 0.5) for m in t.detach().cpu().numpy().reshape(-1, *t.shape[-2:])]
        distance = torch.from_numpy(np.stack(maps).reshape(t.shape))
    return (torch.sigmoid(logits) * distance.to(logits.device, logits.dtype)).mean()


def class_weights(counts: Sequence[float] | np.ndarray, scheme: str = "inverse") -> np.ndarray:
    """Per-class loss weights from the classes' pixel counts over the training set.

    Schemes:
        ``"inverse"``: inverse frequency, ``W = sum(C) / (K C)`` for K classes, so the mean weight of
        a training pixel is 1.
        ``"exponential"``: ``B = max(C) / C``, ``W = B exp(-(B - mean(B)) / (4 std(B)))``: rare classes
        still weigh more, but the largest weights are damped. Equal counts give all 1.

    Raises:
        InputError: a count is not positive, or the scheme is unknown.

    Example:
        >>> class_weights([90, 10]).round(3).tolist(), class_weights([90, 10], "exponential").round(3).tolist()
        ([0.556, 5.0], [1.284, 7.009])
    """
    c = np.asarray(counts, dtype=np.float64).reshape(-1)
    if c.size == 0 or np.any(c <= 0):
        raise InputError(
            f"class pixel counts must all be positive, got {c.tolist()}: drop classes that never occur "
            "or add 1 to every count"
        )
    if scheme == "inverse":
        weights = c.sum() / (c.size * c)
    elif scheme == "exponential":
        b = c.max() / c
        spread = b.std()
        weights = b * np.exp(-(b - b.mean()) / (4 * spread)) if spread > 0 else b
    else:
        raise InputError(f"unknown class weighting {scheme!r}; choose 'inverse' or 'exponential'")
    return weights


def sampled_class_weights(counts: Sequence[float] | np.ndarray, scheme: str = "inverse") -> np.ndarray:
    """:func:`class_weights` from pixel counts of a sample of the training set, mean pixel weight 1.

    A class the sample never shows (count 0 or the floor of 1 that
    :func:`bodyseg.train.data.class_pixel_counts` gives) weighs 1: its frequency is unknown, and
    the inverse of a guess near 0 would be a weight of millions that drowns every other class.

    Example:
        >>> sampled_class_weights([75, 25, 1]).round(3).tolist()  # the third class was never seen
        [0.667, 2.0, 1.0]
    """
    c = np.asarray(counts, dtype=np.float64).reshape(-1)
    seen = c > 1
    if not seen.any():
        raise InputError("no labelled pixels to weigh classes by: the sampled label maps are empty")
    weights = np.ones_like(c)
    weights[seen] = class_weights(c[seen], scheme)
    frequency = c[seen] / c[seen].sum()
    weights[seen] /= float(np.sum(frequency * weights[seen]))
    return weights


def weighted_cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    weights: WeightsLike | None = None,
    *,
    mode: str = "outer",
    ignore_index: int | None = None,
) -> torch.Tensor:
    """Multi-class cross-entropy with per-class weights, averaged over the (non-ignored) pixels.

    Args:
        logits: (N, C, H, W).
        target: (N, H, W) integer labels in ``0 .. C - 1`` (or ``ignore_index``).
        weights: C weights (e.g. from :func:`class_weights`); None for plain cross-entropy.
        mode: ``"outer"`` multiplies each pixel's loss by the weight of its true class (a plain
            mean afterwards, not normalised by the weights as torch's ``weight=`` is); ``"direct"``
            multiplies the logits of class c by ``weights[c]`` before the softmax.
        ignore_index: label whose pixels add nothing and are not counted.

    Example:
        >>> logits = torch.tensor([[[[1.0]], [[0.0]]]])  # one pixel, 2 classes, true class 0
        >>> target = torch.tensor([[[0]]])
        >>> round(float(weighted_cross_entropy(logits, target, [2.0, 0.5], mode="outer")), 4)  # 2 ln(1 + 1/e)
        0.6265
        >>> round(float(weighted_cross_entropy(logits, target, [2.0, 0.5], mode="direct")), 4)  # ln(1 + e^-2)
        0.1269
    """
    num_classes = logits.shape[1]
    if target.shape != logits.shape[:1] + logits.shape[2:]:
        raise InputError(
            f"cross-entropy takes (N, C, H, W) logits and (N, H, W) labels, got {tuple(logits.shape)} "
            f"and {tuple(target.shape)}; squeeze the target's channel with target[:, 0]"
        )
    if mode not in ("outer", "direct"):
        raise InputError(f"unknown weighting mode {mode!r}; choose 'outer' or 'direct'")
    target = target.long()
    w = None
    if weights is not None:
        w = torch.as_tensor(weights, dtype=logits.dtype, device=logits.device).reshape(-1)
        if w.numel() != num_classes:
            raise InputError(f"{w.numel()} class weights given for {num_classes} classes: give one per class")
        if mode == "direct":
            logits = logits * w.view(1, num_classes, *([1] * (logits.ndim - 2)))
    per_pixel = F.cross_entropy(
        logits, target, reduction="none", ignore_index=-100 if ignore_index is None else ignore_index
    )
    valid = torch.ones_like(target, dtype=torch.bool) if ignore_index is None else target != ignore_index
    if w is not None and mode == "outer":
        per_pixel = per_pixel * w[target.clamp(0, num_classes - 1)]  # ignored pixels are 0 already
    return per_pixel.sum() / valid.sum().clamp(min=1)


#: Loss name -> loss function; every option after (logits, target) is set by :func:`get_loss`.
LOSSES: dict[str, Callable[..., torch.Tensor]] = {
    "bce": bce_loss,
    "dice": dice_loss,
    "bce+dice": bce_dice_loss,
    "focal": focal_loss,
    "tversky": tversky_loss,
    "boundary": boundary_loss,
    "ce": weighted_cross_entropy,
}


def get_loss(name: str, **options: object) -> Loss:
    """The loss registered as ``name`` with its ``options`` fixed: call it as ``loss(logits, target)``.

    Raises:
        InputError: the name is unknown, or the loss has no such option.

    Example:
        >>> loss = get_loss("ce", weights=class_weights([900, 100], "exponential"), mode="outer")
        >>> loss = get_loss("tversky", beta=0.7)
    """
    try:
        function = LOSSES[name]
    except KeyError:
        raise InputError(f"unknown loss {name!r}; choose one of: {', '.join(LOSSES)}") from None
    accepted = list(inspect.signature(function).parameters)[2:]
    unknown = [key for key in options if key not in accepted]
    if unknown:
        raise InputError(
            f"loss {name!r} has no option {', '.join(unknown)}; its options are: {', '.join(accepted) or 'none'}"
        )
    return functools.partial(function, **options)
