"""Data sets stored as folders: ``images/`` beside ``masks/``, ``instances/`` or ``parts/``.

One layout serves every folder set; files pair up by stem (``images/0001.jpg`` with
``masks/0001.png``)::

    ccp/                       camvid_person/     backgrounds/     davis_person/
      images/0001.jpg            images/            images/          lucia/images/00000.jpg
      masks/0001.png             masks/                              lucia/masks/00000.png
      parts/0001.png                                                 tennis/...
      part_labels.txt
      split.txt

* ``masks/`` hold 0 / 255 (or 0 / 1) person masks; ``instances/`` hold 0 and one id per person;
  ``parts/`` hold part ids named by ``labels.txt`` or ``part_labels.txt`` (``"19 hair"`` lines), in the
  folder or its parent (``viton_parts/labels.txt`` names ``train/`` and ``val/``).
  Without ``masks/`` the person mask is ``instances > 0`` or ``parts > 0``.
* A folder of sub-folders that each hold ``images/`` is a video set: one sequence each, frames in
  natural order (``2.jpg`` before ``10.jpg``).
* A folder with ``images/`` and no annotation at all is a person-free set: every mask is empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bodyseg.datasets.files import (
    binary_mask,
    files_by_stem,
    find_label_file,
    image_size,
    natural_key,
    read_label_map,
    read_label_names,
    read_split,
)
from bodyseg.datasets.sample import Dataset, Entry, Sample
from bodyseg.errors import InputError
from bodyseg.result import Parts

log = logging.getLogger(__name__)

#: Annotation folders, in the order the person mask is taken from.
ANNOTATION_FOLDERS = ("masks", "instances", "parts")


@dataclass(repr=False)
class FolderDataset(Dataset):
    """Samples read from a folder laid out as this module describes.

    Example:
        >>> ds = open_folder(Path("ccp"))  # doctest: +SKIP
        >>> ds[0].mask.shape  # doctest: +SKIP
        (832, 550)
    """

    def load(self, entry: Entry) -> Sample:
        """Read the masks of one entry (the image itself stays on disk)."""
        instances = read_label_map(entry.instances) if entry.instances else None
        part_ids = read_label_map(entry.parts) if entry.parts else None
        if entry.mask is not None:
            mask = binary_mask(read_label_map(entry.mask))
        elif instances is not None:
            mask = instances > 0
        elif part_ids is not None:
            mask = part_ids > 0
        else:
            mask = np.zeros(image_size(entry.image), bool)
        _check_same_shape(entry, mask, instances, part_ids)
        parts = None if part_ids is None else Parts(part_ids, self.part_names or generic_names(part_ids))
        return Sample(entry.id, entry.image, mask, instances, parts, sequence=entry.sequence, frame=entry.frame)


def open_folder(
    root: Path, *, name: str | None = None, split: str | None = None, video: bool | None = None
) -> FolderDataset:
    """Open a folder data set: images with masks, a video set, or a person-free set.

    Args:
        root: the folder (see the module docstring for the layout).
        name: what reports call it; the folder name by default.
        split: keep only the ids ``split.txt`` assigns to this split (``"train"``, ``"val"``).
        video: force (True) or refuse (False) reading ``root`` as video; detected when None.
            ``video=True`` on a folder with ``images/`` reads it as one sequence.

    Raises:
        InputError: the folder is missing, holds no ``images/``, or the split is unknown.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such data set folder; check the path or set BODYSEG_DATASETS")
    name = name or root.name
    if (root / "images").is_dir():
        if video:
            return _video_dataset(root, name, [root])
        return _image_dataset(root, name, split)
    sequences = sorted((p for p in root.iterdir() if (p / "images").is_dir()), key=lambda p: natural_key(p.name))
    if sequences and video is not False:
        return _video_dataset(root, name, sequences)
    raise InputError(
        f"{root}: holds no images/ folder (nor sequences <name>/images/); lay a data set out as "
        "images/ + masks/ (or instances/, parts/) with the same file stems"
    )


def _image_dataset(root: Path, name: str, split: str | None) -> FolderDataset:
    entries = folder_entries(root)
    if split is not None:
        entries = _keep_split(root, entries, split)
    kind = "images" if _annotation_folders(root) else "person-free"
    if kind == "person-free":
        log.info("%s: no masks/, instances/ or parts/: read as a person-free set (every mask empty)", root)
    return FolderDataset(
        name,
        entries,
        kind=kind,
        root=root,
        has_instances=(root / "instances").is_dir(),
        part_names=_part_names(root),
    )


def _video_dataset(root: Path, name: str, sequences: list[Path]) -> FolderDataset:
    entries = [entry for folder in sequences for entry in folder_entries(folder, sequence=folder.name)]
    first = sequences[0]
    return FolderDataset(
        name,
        entries,
        kind="video",
        root=root,
        has_instances=(first / "instances").is_dir(),
        part_names=_part_names(first),
    )


def folder_entries(folder: Path, *, sequence: str | None = None) -> list[Entry]:
    """One entry per image of ``folder/images`` that has the folder's main annotation.

    Images without it are left out, with a warning that counts them. With ``sequence`` the ids
    are ``"<sequence>/<stem>"`` and frames are numbered in natural order.
    """
    images = files_by_stem(folder / "images")
    if not images:
        raise InputError(f"{folder / 'images'}: holds no images (.jpg, .png, ...); check the data set folder")
    annotations = {sub: files_by_stem(folder / sub) for sub in _annotation_folders(folder)}
    main = next(iter(annotations.values()), None)
    stems = [stem for stem in images if main is None or stem in main]
    if len(stems) < len(images):
        log.warning(
            "%s: %d of %d images have no annotation and are left out", folder, len(images) - len(stems), len(images)
        )
    return [
        Entry(
            id=f"{sequence}/{stem}" if sequence else stem,
            image=images[stem],
            mask=annotations.get("masks", {}).get(stem),
            instances=annotations.get("instances", {}).get(stem),
            parts=annotations.get("parts", {}).get(stem),
            sequence=sequence,
            frame=index if sequence else None,
        )
        for index, stem in enumerate(stems)
    ]


def generic_names(labels: np.ndarray) -> tuple[str, ...]:
    """``("label0", "label1", ...)`` up to the largest id in ``labels``, for parts without a label file."""
    return tuple(f"label{i}" for i in range(int(labels.max(initial=0)) + 1))


def _annotation_folders(folder: Path) -> list[str]:
    return [sub for sub in ANNOTATION_FOLDERS if (folder / sub).is_dir()]


def _part_names(folder: Path) -> tuple[str, ...] | None:
    """Names from the folder's label file, else from its parent's (``viton_parts/labels.txt`` names both splits)."""
    if not (folder / "parts").is_dir():
        return None
    label_file = find_label_file(folder) or find_label_file(folder.parent)
    return read_label_names(label_file) if label_file else None


def _keep_split(root: Path, entries: list[Entry], split: str) -> list[Entry]:
    split_file = root / "split.txt"
    if not split_file.is_file():
        raise InputError(f"{root}: has no split.txt, so it has no {split!r} split; open the whole folder instead")
    splits = read_split(split_file)
    if split not in set(splits.values()):
        raise InputError(f"{split_file}: no {split!r} split; it names: {', '.join(sorted(set(splits.values())))}")
    return [entry for entry in entries if splits.get(entry.id) == split]


def _check_same_shape(entry: Entry, mask: np.ndarray, *others: np.ndarray | None) -> None:
    for other in others:
        if other is not None and other.shape != mask.shape:
            raise InputError(
                f"{entry.image}: its annotations differ in size ({mask.shape[1]}x{mask.shape[0]} and "
                f"{other.shape[1]}x{other.shape[0]}); fix or remove the sample"
            )
