"""Training data sources: names, fixed train/val splits (no torch needed here).

Sources (``--data`` names) are read with :mod:`bodyseg.datasets`:

* ``ccp``: person masks of Clothing Co-Parsing; the split of its ``split.txt`` (804 train, 200 val).
* ``ccp-parts``: the same photos and split, with the part maps (59 labels) as targets.
* ``pfcn``, ``picsart``: portrait sets without a split file. Their validation split is fixed by
  hashing: a sample is validation when the first 8 hex digits of ``sha1("bodyseg-val:" + stem)``,
  read as a fraction of 2**32, fall below 0.15 (:func:`is_validation`). It does not depend on the
  order of files or on which other files exist, so adding photos never moves old ones between
  splits. (pfcn_portrait: 1112 train, 175 val; picsart_portrait: 1171 train, 198 val.)
* ``viton-parts``: VITON fashion photos with LIP-20 part maps; its own folders are the split
  (``viton-train``: 3600, ``viton-val``: 400).
* ``ccp-lip``: ccp's photos with its labels mapped to the 20 LIP classes by ``tools/ccp_to_lip.py``
  (trainable with ``viton-parts``); read from the folder that tool wrote: ``$BODYSEG_CCP_LIP``, else
  ``runs/ccp-lip`` under the current folder. ccp's own split (804 train, 200 val): only train is
  trained on.
* any other known data set name or a folder path (``images/`` + ``masks/``): hash split as above,
  unless the folder has a ``split.txt``.

The torch Dataset over these splits is :class:`bodyseg.train.data.SegmentationDataset`.
"""

from __future__ import annotations

import os
from pathlib import Path

from bodyseg.datasets import KNOWN_DATASETS, open_dataset
from bodyseg.datasets import Dataset as SampleSet
from bodyseg.datasets.splits import SPLIT_SALT, VAL_FRACTION, is_validation
from bodyseg.errors import InputError

__all__ = ["FOLDER_SOURCES", "SOURCES", "SPLIT_SALT", "VAL_FRACTION", "is_validation", "open_source", "source_folder"]

#: ``--data`` name -> (data set name in :mod:`bodyseg.datasets`, target kind).
SOURCES: dict[str, tuple[str, str]] = {
    "ccp": ("ccp", "mask"),
    "ccp-parts": ("ccp", "parts"),
    "pfcn": ("pfcn_portrait", "mask"),
    "picsart": ("picsart_portrait", "mask"),
    "coco": ("coco_person", "mask"),
    "camvid": ("camvid_person", "mask"),
    "cihp-parts": ("cihp_samples", "parts"),
    "viton-parts": ("viton", "parts"),
    "ccp-lip": ("runs/ccp-lip", "parts"),
}

#: sources written by a tool outside the data root: ``--data`` name -> the variable naming their folder.
FOLDER_SOURCES: dict[str, str] = {"ccp-lip": "BODYSEG_CCP_LIP"}


def source_folder(name: str) -> Path:
    """The folder of a :data:`FOLDER_SOURCES` source: its variable, else its default under the current folder.

    Raises:
        InputError: the folder is missing (with the command that makes it).

    Example:
        >>> source_folder("ccp-lip")  # doctest: +SKIP
        PosixPath('runs/ccp-lip')
    """
    folder = Path(os.environ.get(FOLDER_SOURCES[name]) or SOURCES[name][0])
    if not (folder / "parts").is_dir():
        raise InputError(
            f"data source {name!r}: {folder} has no parts/; make it with python tools/ccp_to_lip.py --out {folder} "
            f"or set {FOLDER_SOURCES[name]} to the folder it wrote"
        )
    return folder


def open_source(
    name: str, split: str, *, root: str | Path | None = None, limit: int | None = None
) -> tuple[SampleSet, str]:
    """The ``split`` (``"train"`` or ``"val"``) of a ``--data`` source, and its target kind.

    Args:
        name: a key of :data:`SOURCES`, another known data set name, or a folder path.
        split: ``"train"`` or ``"val"``.
        root: the data root (default: :func:`bodyseg.datasets.data_root`).
        limit: keep the first ``limit`` samples.

    Raises:
        InputError: unknown source or split, or missing data.

    Example:
        >>> val, kind = open_source("pfcn", "val")  # doctest: +SKIP
        >>> kind, len(val)  # doctest: +SKIP
        ('mask', 175)
    """
    if split not in ("train", "val"):
        raise InputError(f"split must be 'train' or 'val', got {split!r}")
    dataset_name, kind = SOURCES.get(name, (name, "mask"))
    if name in FOLDER_SOURCES:
        dataset_name = str(source_folder(name))
    split_folder = f"{dataset_name}-{split}" in KNOWN_DATASETS and f"{dataset_name}-val" in KNOWN_DATASETS
    if split_folder:
        dataset_name = f"{dataset_name}-{split}"  # a set whose splits are folders of their own (viton)
    whole = open_dataset(dataset_name, root=root)
    if whole.kind != "images":
        raise InputError(
            f"data source {name!r} is a {whole.kind} set; train on photo sets with masks (ccp, pfcn, picsart ...)"
        )
    if kind == "parts" and whole.part_names is None:
        raise InputError(f"data source {name!r} has no parts/ folder; use it for person masks instead")
    if split_folder:
        chosen = whole
    elif whole.root is not None and (whole.root / "split.txt").is_file():
        chosen = open_dataset(dataset_name, root=root, split=split)
    else:
        keep = [e for e in whole.entries if is_validation(e.id) == (split == "val")]
        chosen = whole.subset()
        chosen.entries = keep
    chosen.name = f"{name}:{split}"
    return chosen.subset(limit=limit) if limit else chosen, kind
