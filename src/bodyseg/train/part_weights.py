"""Class weights for part segmentation as the multi-part body segmentation study applies them.

The study trains each net with no weighting, with inverse-frequency weights (W1) and with
exponential weights (W2), each applied in two ways. This module turns a training set's label maps
into class frequencies, the frequencies into W1 or W2, and a weighting name (one of
:data:`WEIGHTINGS`) into the options of :func:`bodyseg.train.losses.weighted_cross_entropy`:

* ``direct``: the weights multiply the net's output scores (the logits) before the softmax, so
  they act directly on what the net predicts: a class weighing 100 has its scores sharpened 100
  times, which the net must learn to undo;
* ``outer``: the weights multiply each pixel's cross-entropy outside the softmax, by the weight of
  the pixel's true class: a rare class costs more when missed, the predictions themselves are not
  rescaled.

Both W1 and W2 are normalised so that a training pixel weighs 1 on average (``sum_c f_c w_c = 1``
for class frequencies ``f``): the two schemes differ in shape, not in overall scale, and the
learning rate means the same under every weighting.

Example:
    >>> import numpy as np
    >>> freq = class_frequencies([np.array([[0, 0, 0, 1]])], 2)
    >>> freq.tolist(), part_weights(freq, "w1").round(3).tolist()
    ([0.75, 0.25], [0.667, 2.0])
    >>> loss_options("w1-outer", freq)["mode"]
    'outer'
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from bodyseg.errors import InputError
from bodyseg.train.losses import Loss, class_weights, get_loss

#: The study's five weightings: none, and W1 or W2 applied direct or outer.
WEIGHTINGS = ("none", "w1-direct", "w1-outer", "w2-direct", "w2-outer")

#: Study name -> :func:`bodyseg.train.losses.class_weights` scheme.
SCHEMES = {"w1": "inverse", "w2": "exponential"}


def class_frequencies(label_maps: Iterable[np.ndarray], num_classes: int) -> np.ndarray:
    """Fraction of all pixels of ``label_maps`` that hold each label ``0 .. num_classes - 1``.

    Raises:
        InputError: a map holds a label outside the range, or there are no pixels at all.

    Example:
        >>> class_frequencies([np.array([0, 1, 1]), np.array([[2, 0], [0, 0]])], 3).round(4).tolist()
        [0.5714, 0.2857, 0.1429]
    """
    counts = np.zeros(num_classes, np.int64)
    for labels in label_maps:
        flat = np.asarray(labels).ravel()
        if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
            raise InputError(
                f"a label map holds labels in [{flat.min()}, {flat.max()}] but there are {num_classes} classes; "
                "group or map the labels first"
            )
        counts += np.bincount(flat.astype(np.intp), minlength=num_classes)
    total = counts.sum()
    if total == 0:
        raise InputError("no labelled pixels to count class frequencies from: the label set is empty")
    return counts / total


def part_weights(frequencies: np.ndarray, scheme: str) -> np.ndarray:
    """W1 (``"w1"``, inverse frequency) or W2 (``"w2"``, exponential) class weights, mean pixel weight 1.

    W1 is ``1 / (K f_c)`` for K classes. W2 is :func:`bodyseg.train.losses.class_weights`'
    exponential scheme, ``B_c = max(f) / f_c``, ``w_c = B_c exp(-(B_c - mean B) / (4 std B))``
    (rare classes weigh more, the largest weights are damped), divided by ``sum_c f_c w_c``.

    Raises:
        InputError: unknown scheme, or a class with frequency 0 (it would weigh infinitely much:
            merge it into another class or drop it from the label set).

    Example:
        >>> f = np.array([0.9, 0.1])
        >>> part_weights(f, "w1").round(4).tolist(), part_weights(f, "w2").round(4).tolist()
        ([0.5556, 5.0], [0.6916, 3.7754])
    """
    if scheme not in SCHEMES:
        raise InputError(f"unknown class weighting {scheme!r}; choose one of: {', '.join(SCHEMES)}")
    f = np.asarray(frequencies, dtype=np.float64).reshape(-1)
    absent = np.flatnonzero(f <= 0).tolist()
    if absent:
        raise InputError(
            f"classes {absent} never occur in the training labels, so they have no weight; "
            "merge them into another class or leave them out of the label set"
        )
    weights = class_weights(f, SCHEMES[scheme])
    return weights / float(np.sum(f * weights))


def parse_weighting(name: str) -> tuple[str | None, str | None]:
    """``(scheme, mode)`` of a weighting name: ``"w2-outer"`` -> ``("w2", "outer")``, ``"none"`` -> ``(None, None)``.

    Raises:
        InputError: not one of :data:`WEIGHTINGS`.

    Example:
        >>> parse_weighting("w1-direct"), parse_weighting("none")
        (('w1', 'direct'), (None, None))
    """
    if name not in WEIGHTINGS:
        raise InputError(f"unknown weighting {name!r}; choose one of: {', '.join(WEIGHTINGS)}")
    if name == "none":
        return None, None
    scheme, mode = name.split("-")
    return scheme, mode


def loss_options(name: str, frequencies: np.ndarray) -> dict[str, object]:
    """Options of the ``"ce"`` loss (:func:`bodyseg.train.losses.get_loss`) for the weighting ``name``.

    ``{}`` for ``"none"``; otherwise the weights (a list of floats, so the options fit a run's
    JSON config) and the mode.

    Example:
        >>> loss_options("w2-direct", np.array([0.9, 0.1]))  # doctest: +ELLIPSIS
        {'weights': [0.6916..., 3.7754...], 'mode': 'direct'}
    """
    scheme, mode = parse_weighting(name)
    if scheme is None:
        return {}
    return {"weights": [float(w) for w in part_weights(frequencies, scheme)], "mode": mode}


def study_loss(name: str, frequencies: np.ndarray) -> Loss:
    """The class-weighted cross-entropy of the weighting ``name``: call it as ``loss(logits, labels)``.

    Example:
        >>> import torch
        >>> loss = study_loss("w1-outer", np.array([0.75, 0.25]))
        >>> logits, labels = torch.zeros(1, 2, 1, 2), torch.tensor([[[0, 1]]])
        >>> round(float(loss(logits, labels)), 4)  # (2/3 + 2) ln 2 / 2
        0.9242
    """
    return get_loss("ce", **loss_options(name, frequencies))


__all__ = [
    "SCHEMES",
    "WEIGHTINGS",
    "class_frequencies",
    "loss_options",
    "parse_weighting",
    "part_weights",
    "study_loss",
]
