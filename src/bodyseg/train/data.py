"""Training data as a torch Dataset: samples of the :mod:`bodyseg.train.sources` splits as tensors.

Targets: binary masks become a float ``(1, H, W)`` tensor of 0/1; part maps a long ``(H, W)``
tensor of label ids. Images become float ``(3, H, W)`` tensors, scaled to [0, 1] and normalised
with the ImageNet mean and std (:func:`bodyseg.models.runtime.normalise`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from bodyseg.datasets import Dataset as SampleSet
from bodyseg.errors import InputError
from bodyseg.models.runtime import normalise

log = logging.getLogger(__name__)

#: ``(rgb, target, rng) -> (rgb, target)``: augmentation, compositing or letterboxing.
PairTransform = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def to_tensors(rgb: np.ndarray, target: np.ndarray, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised ``(3, H, W)`` float image and the target tensor of ``kind`` (``"mask"`` or ``"parts"``).

    Example:
        >>> x, y = to_tensors(np.zeros((4, 5, 3), np.uint8), np.ones((4, 5), np.uint8), "mask")
        >>> tuple(x.shape), tuple(y.shape), y.dtype
        ((3, 4, 5), (1, 4, 5), torch.float32)
    """
    x = torch.from_numpy(normalise(rgb))
    if kind == "parts":
        return x, torch.from_numpy(target.astype(np.int64))
    return x, torch.from_numpy((target > 0).astype(np.float32))[None]


@dataclass
class SegmentationDataset(torch.utils.data.Dataset):
    """Samples of one or more sources as ``(image, target)`` tensors for a DataLoader.

    Each item draws its randomness from ``numpy.random.default_rng((seed, epoch, index))``: the
    same seed, epoch and index give the same crop whatever the worker or the resume point. Call
    :meth:`set_epoch` at the start of each epoch.

    Attributes:
        sources: :mod:`bodyseg.datasets` sets (one per source); items run through them in order.
        kind: ``"mask"`` (binary person) or ``"parts"`` (label ids) for all sources.
        transform: augmentation (training) or letterbox (validation), applied last.
        compositor: copy-paste compositing applied before ``transform`` (training only), or None.
        seed: base seed of the per-item random generators.

    Example:
        >>> from bodyseg.train.augment import WholeView
        >>> from bodyseg.train.sources import open_source
        >>> data = SegmentationDataset([open_source("ccp", "val")[0]], "mask", WholeView(128))  # doctest: +SKIP
        >>> x, y = data[0]  # doctest: +SKIP
    """

    sources: Sequence[SampleSet]
    kind: str
    transform: PairTransform
    compositor: PairTransform | None = None
    seed: int = 0
    epoch: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("mask", "parts"):
            raise ValueError(f"kind must be 'mask' or 'parts', got {self.kind!r}")
        self._offsets = np.cumsum([0, *(len(s) for s in self.sources)])
        self._unreadable: set[int] = set()

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def set_epoch(self, epoch: int) -> None:
        """Use the random draws of ``epoch`` from now on."""
        self.epoch = epoch

    def load_pair(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``index``-th sample as RGB uint8 image and uint8/int target, before any transform."""
        source_index = int(np.searchsorted(self._offsets, index, side="right")) - 1
        sample = self.sources[source_index][index - int(self._offsets[source_index])]
        rgb = sample.load_image()
        if self.kind == "parts":
            if sample.parts is None:
                raise InputError(f"{sample.image_path}: has no part map; use kind='mask' for this source")
            return rgb, sample.parts.labels
        return rgb, sample.mask.astype(np.uint8)

    def load_readable_pair(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`load_pair`, skipping to the next sample when one cannot be read (logged once each).

        A damaged file must not stop a run of many hours; the warning names it so it can be fixed.
        """
        for offset in range(min(len(self), 16)):
            position = (index + offset) % len(self)
            try:
                return self.load_pair(position)
            except InputError as exc:
                if position not in self._unreadable:
                    self._unreadable.add(position)
                    log.warning("skipping an unreadable training sample: %s", exc)
        raise InputError(f"16 training samples in a row from index {index} cannot be read; check the data set folders")

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng((self.seed, self.epoch, index))
        rgb, target = self.load_readable_pair(index)
        if self.compositor is not None:
            rgb, target = self.compositor(rgb, target, rng)
        rgb, target = self.transform(rgb, target, rng)
        return to_tensors(rgb, target, self.kind)


def class_pixel_counts(dataset: SegmentationDataset, num_classes: int, *, limit: int = 200) -> np.ndarray:
    """Pixels per label over ``limit`` samples spread evenly over the set (before transforms), each count at least 1.

    Spread, not the first ``limit``: a set made of several sources lists them one after another, and
    counting only the first source would give the others' classes almost no pixels (and huge weights).
    For class weighting of part segmentation (:func:`bodyseg.train.losses.class_weights`).
    """
    counts = np.ones(num_classes, np.int64)
    for index in spread_indices(len(dataset), limit):
        _, target = dataset.load_pair(int(index))
        counts += np.bincount(target.ravel(), minlength=num_classes)[:num_classes]
    return counts


def spread_indices(length: int, count: int) -> np.ndarray:
    """``count`` indices spread evenly over ``range(length)`` (all of them when ``count >= length``).

    Example:
        >>> spread_indices(10, 3).tolist(), spread_indices(2, 5).tolist()
        ([0, 4, 9], [0, 1])
    """
    if count >= length:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, count).round().astype(np.int64))
