"""Data sets: photos with person masks, instance and part maps, video sequences, person-free scenes.

Every set is a lazy, ordered list of :class:`Sample` (one image with its annotations); only the
index of files is held in memory. Open one by folder, COCO JSON or known name:

Example:
    >>> from bodyseg.datasets import open_dataset
    >>> ds = open_dataset("ccp-val", limit=10)  # doctest: +SKIP
    >>> for sample in ds:  # doctest: +SKIP
    ...     rgb = sample.load_image()
    ...     print(sample.id, sample.mask.mean())
"""

from bodyseg.datasets.catalog import KNOWN_DATASETS, ROOT_VARIABLE, KnownDataset, data_root, open_dataset
from bodyseg.datasets.coco import CocoDataset, instance_map, open_coco
from bodyseg.datasets.files import parse_label_names, parse_split, read_label_map, read_label_names, read_split
from bodyseg.datasets.folder import FolderDataset, open_folder
from bodyseg.datasets.sample import KINDS, Dataset, Entry, Sample

__all__ = [
    "KINDS",
    "KNOWN_DATASETS",
    "ROOT_VARIABLE",
    "CocoDataset",
    "Dataset",
    "Entry",
    "FolderDataset",
    "KnownDataset",
    "Sample",
    "data_root",
    "instance_map",
    "open_coco",
    "open_dataset",
    "open_folder",
    "parse_label_names",
    "parse_split",
    "read_label_map",
    "read_label_names",
    "read_split",
]
