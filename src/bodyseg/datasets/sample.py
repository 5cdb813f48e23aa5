"""The one item type of every data set (:class:`Sample`) and the lazy :class:`Dataset` base."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bodyseg.errors import InputError
from bodyseg.io.images import DEFAULT_MAX_PIXELS, read_image
from bodyseg.result import Parts

#: What a data set holds: photos with masks, video sequences, or scenes without people.
KINDS = ("images", "video", "person-free")


@dataclass
class Sample:
    """One annotated picture: the image stays on disk until :meth:`load_image` is called.

    Attributes:
        id: unique inside its data set (the file stem; ``"<sequence>/<stem>"`` for video).
        image_path: the image file.
        mask: HxW bool ground truth, True on people (all False on person-free sets).
        instances: HxW int, 0 background and 1..N one id per person, where the set has them.
        parts: body-part label map with its label names, where the set has them.
        keypoints: PxKx3 float32 ``(x, y, visibility)`` per person, where the set has them.
        sequence: the video sequence name (video sets only).
        frame: 0-based position of the frame in its sequence (video sets only).

    Example:
        >>> s = Sample("a", Path("a.jpg"), np.zeros((2, 3), bool))
        >>> s.shape, s.people
        ((2, 3), 0)
    """

    id: str
    image_path: Path
    mask: np.ndarray
    instances: np.ndarray | None = None
    parts: Parts | None = None
    keypoints: np.ndarray | None = None
    sequence: str | None = None
    frame: int | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the image and of every annotation."""
        return self.mask.shape  # type: ignore[return-value]

    @property
    def people(self) -> int:
        """How many people the instance map holds (0 without one)."""
        return len(self.instance_masks())

    def instance_masks(self) -> list[np.ndarray]:
        """One HxW bool mask per person of the instance map, in id order (empty without one)."""
        if self.instances is None:
            return []
        return [self.instances == i for i in np.unique(self.instances) if i > 0]

    def load_image(self, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
        """Read the image as HxWx3 RGB uint8, checked against the annotation's size."""
        rgb = read_image(self.image_path, max_pixels=max_pixels)
        if rgb.shape[:2] != self.shape:
            raise InputError(
                f"{self.image_path}: the image is {rgb.shape[1]}x{rgb.shape[0]} but its mask is "
                f"{self.shape[1]}x{self.shape[0]}; fix or remove the pair"
            )
        return rgb


@dataclass(frozen=True)
class Entry:
    """Where one sample comes from: paths only, so a data set's index costs no pixels.

    ``ref`` is whatever else a reader needs to build the sample (a COCO image id).
    """

    id: str
    image: Path
    mask: Path | None = None
    instances: Path | None = None
    parts: Path | None = None
    sequence: str | None = None
    frame: int | None = None
    ref: Any = None


@dataclass
class Dataset(abc.ABC):
    """An ordered, lazily loaded list of samples: only the index of files is kept in memory.

    Iterating reads one sample at a time (video frames stream in order). Use :meth:`subset` for
    ``limit`` / ``every``.

    Attributes:
        name: what reports call it (``"ccp-val"``, a folder name...).
        entries: the index, one :class:`Entry` per sample.
        kind: one of :data:`KINDS`.
        root: the folder (or file) it was read from.
        has_instances: samples carry an instance map (one id per person).
        part_names: label names of the part maps, where the set has parts.
    """

    name: str
    entries: list[Entry]
    kind: str = "images"
    root: Path | None = None
    has_instances: bool = False
    part_names: tuple[str, ...] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"dataset kind must be one of {KINDS}, got {self.kind!r}")

    @abc.abstractmethod
    def load(self, entry: Entry) -> Sample:
        """Read the annotations of one entry."""

    @property
    def person_free(self) -> bool:
        """True for sets of scenes without people (every mask is empty)."""
        return self.kind == "person-free"

    @property
    def is_video(self) -> bool:
        """True when samples are frames of sequences, in order."""
        return self.kind == "video"

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> Sample:
        return self.load(self.entries[index])

    def __iter__(self) -> Iterator[Sample]:
        for entry in self.entries:
            yield self.load(entry)

    def ids(self) -> list[str]:
        """The sample ids, in order, without reading any file."""
        return [entry.id for entry in self.entries]

    def subset(self, limit: int | None = None, every: int = 1) -> Dataset:
        """Every ``every``-th sample, then the first ``limit`` of those (a new data set).

        Example:
            >>> ds.subset(limit=10, every=5).ids()  # doctest: +SKIP
        """
        if every < 1:
            raise InputError(f"every must be 1 or more (take every Nth item), got {every}")
        if limit is not None and limit < 1:
            raise InputError(f"limit must be 1 or more, got {limit}")
        entries = self.entries[::every][:limit]
        return replace(self, entries=entries)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}: {len(self)} {self.kind} samples>"
