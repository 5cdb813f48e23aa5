"""COCO instance annotations (a JSON file): polygons and RLE masks, rasterised by pycocotools.

One mask to or from a COCO RLE, without pycocotools: :mod:`bodyseg.io.coco_rle`.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bodyseg.datasets.sample import Dataset, Entry, Sample
from bodyseg.errors import InputError


@dataclass(repr=False)
class CocoDataset(Dataset):
    """Images of a COCO instance JSON with one instance id per annotated person.

    Only the JSON (polygons, RLE) is held in memory; masks are rasterised per sample. Crowd
    regions (``iscrowd=1``) are left out, as in the COCO person masks of ``coco_person``.

    Example:
        >>> ds = open_coco(Path("instances_val2017.json"), image_dir=Path("val2017"))  # doctest: +SKIP
        >>> ds[0].instances.max()  # doctest: +SKIP
        3
    """

    coco: Any = None
    category_ids: tuple[int, ...] = field(default_factory=tuple)

    def load(self, entry: Entry) -> Sample:
        """Rasterise the annotations of one image (smaller people drawn last, on top)."""
        info = self.coco.imgs[entry.ref]
        anns = person_annotations(self.coco, entry.ref, self.category_ids)
        with quiet_pycocotools():
            masks = [self.coco.annToMask(ann).astype(bool) for ann in anns]
        instances = instance_map(masks, (int(info["height"]), int(info["width"])))
        return Sample(entry.id, entry.image, instances > 0, instances, keypoints=coco_keypoints(anns))


def open_coco(
    json_path: Path,
    *,
    image_dir: Path | None = None,
    name: str | None = None,
    category: str = "person",
    include_empty: bool = False,
) -> CocoDataset:
    """Open a COCO instance JSON.

    Args:
        json_path: the annotation file.
        image_dir: folder of the images named by ``file_name``; by default ``images/`` beside the
            JSON if it exists, else the JSON's own folder.
        name: what reports call it; the JSON's stem by default.
        category: the category whose annotations are people.
        include_empty: keep images with no annotation of ``category`` (as empty masks).

    Raises:
        InputError: the file is missing or not COCO JSON, or has no such category.
    """
    coco = load_coco(json_path)
    category_ids = tuple(sorted(coco.getCatIds(catNms=[category])))
    if not category_ids:
        names = ", ".join(sorted(c["name"] for c in coco.cats.values())) or "none"
        raise InputError(f"{json_path}: no category {category!r}; its categories are: {names}")
    if image_dir is None:
        image_dir = json_path.parent / "images" if (json_path.parent / "images").is_dir() else json_path.parent
    entries = [
        Entry(id=Path(info["file_name"]).stem, image=image_dir / info["file_name"], ref=image_id)
        for image_id, info in sorted(coco.imgs.items())
        if include_empty or person_annotations(coco, image_id, category_ids)
    ]
    return CocoDataset(
        name or json_path.stem, entries, root=json_path, has_instances=True, coco=coco, category_ids=category_ids
    )


def load_coco(json_path: Path) -> Any:
    """A pycocotools ``COCO`` index of ``json_path`` (its progress prints are kept off stdout)."""
    from pycocotools.coco import COCO

    if not json_path.is_file():
        raise InputError(f"{json_path}: no such annotation file; check the path")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return COCO(str(json_path))
    except (ValueError, KeyError, TypeError, AssertionError) as exc:
        raise InputError(
            f"{json_path}: not a COCO instance JSON ({type(exc).__name__}: {exc}); check the file"
        ) from None


def person_annotations(coco: Any, image_id: int, category_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    """The non-crowd annotations of ``image_id`` in ``category_ids``."""
    ids = coco.getAnnIds(imgIds=[image_id], catIds=list(category_ids))
    return [ann for ann in coco.loadAnns(ids) if not ann.get("iscrowd", 0)]


@contextlib.contextmanager
def quiet_pycocotools() -> Iterator[None]:
    """Hide pycocotools' own numpy-2 DeprecationWarning (not ours to fix, and noise for users)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def instance_map(masks: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """HxW int32 ids 1..N (in list order) with smaller masks drawn over larger ones.

    Example:
        >>> big = np.ones((2, 3), bool); small = np.zeros((2, 3), bool); small[0, 0] = True
        >>> instance_map([small, big], (2, 3)).tolist()
        [[1, 2, 2], [2, 2, 2]]
    """
    instances = np.zeros(shape, np.int32)
    for index in sorted(range(len(masks)), key=lambda i: -int(masks[i].sum())):
        instances[masks[index]] = index + 1
    return instances


def coco_keypoints(anns: list[dict[str, Any]]) -> np.ndarray | None:
    """PxKx3 float32 ``(x, y, visibility)`` of the annotations that carry keypoints, else None."""
    rows = [ann["keypoints"] for ann in anns if ann.get("keypoints")]
    if len(rows) != len(anns) or not rows:
        return None
    return np.asarray(rows, np.float32).reshape(len(rows), -1, 3)
