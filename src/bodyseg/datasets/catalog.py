"""Opening a data set from a folder path or a known name, resolved against the data root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bodyseg.datasets.coco import open_coco
from bodyseg.datasets.folder import open_folder
from bodyseg.datasets.sample import Dataset
from bodyseg.datasets.splits import is_validation
from bodyseg.errors import InputError

#: Environment variable naming the data root (the folder that holds ``ccp/``, ``davis_person/`` ...).
ROOT_VARIABLE = "BODYSEG_DATASETS"


@dataclass(frozen=True)
class KnownDataset:
    """A named data set: its folder under the data root, an optional split, what it holds."""

    folder: str
    summary: str
    split: str | None = None


#: The data sets of ``../shared/datasets`` by name.
KNOWN_DATASETS: dict[str, KnownDataset] = {
    "ccp": KnownDataset(
        "ccp", "Clothing Co-Parsing: full-body street-fashion photos, one person, 59 part labels (1004)"
    ),
    "ccp-train": KnownDataset("ccp", "CCP train split of split.txt (804)", split="train"),
    "ccp-val": KnownDataset("ccp", "CCP val split of split.txt (200)", split="val"),
    "davis_person": KnownDataset("davis_person", "DAVIS-2016 video: one moving person, 4 sequences (314 frames)"),
    "coco_person": KnownDataset(
        "coco_person", "COCO everyday scenes, several people, instance maps (61 images, 254 people)"
    ),
    "camvid_person": KnownDataset("camvid_person", "CamVid street scenes, small pedestrians (147)"),
    "pfcn_portrait": KnownDataset("pfcn_portrait", "PFCN / EG1800 upper-body portraits, train list (1287)"),
    "picsart_portrait": KnownDataset("picsart_portrait", "PicsArt hackathon selfies and portraits (1369)"),
    "pfcn-val": KnownDataset(
        "pfcn_portrait", "PFCN portraits, the 15% hash validation split never trained on (175)", split="hash-val"
    ),
    "picsart-val": KnownDataset(
        "picsart_portrait", "PicsArt portraits, the 15% hash validation split never trained on (198)", split="hash-val"
    ),
    "cihp_samples": KnownDataset("cihp_samples", "CIHP multi-person parsing, 20 part labels (5 samples)"),
    "cihp-samples": KnownDataset("cihp_samples", "CIHP hand-labelled parsing samples, the 20 LIP labels (5)"),
    "viton-train": KnownDataset(
        "viton_parts/train", "VITON fashion photos, one person, LIP-20 part maps made by a parser (3600)"
    ),
    "viton-val": KnownDataset("viton_parts/val", "VITON validation photos, never trained on, LIP-20 part maps (400)"),
    "backgrounds": KnownDataset("backgrounds", "scenes without people (animals, a toy train): person-free (84)"),
    "backgrounds-val": KnownDataset(
        "backgrounds", "the person-free scenes never used for compositing: 15% hash split (14)", split="hash-val"
    ),
}


def open_dataset(
    spec: str | os.PathLike,
    *,
    root: str | os.PathLike | None = None,
    limit: int | None = None,
    every: int = 1,
    split: str | None = None,
    video: bool | None = None,
    image_dir: str | os.PathLike | None = None,
) -> Dataset:
    """Open a data set by folder path, COCO JSON path or known name; nothing is read but the index.

    Known names are those of :data:`KNOWN_DATASETS`, plus ``<folder>-<split>`` for any folder with
    a ``split.txt`` and ``<video set>/<sequence>`` for one sequence (``davis_person/lucia``).

    Args:
        spec: a folder, a ``.json`` file, or a name resolved against ``root``.
        root: the data root; by default :func:`data_root`.
        limit: keep the first ``limit`` samples (after ``every``).
        every: keep every ``every``-th sample.
        split: keep one split of the folder's ``split.txt``.
        video: read the folder as video (True), as images (False) or detect it (None).
        image_dir: the image folder of a COCO JSON.

    Raises:
        InputError: the path or name is unknown, or the data root is missing.

    Example:
        >>> ds = open_dataset("ccp-val", limit=20)  # doctest: +SKIP
        >>> len(ds), ds.name  # doctest: +SKIP
        (20, 'ccp-val')
    """
    path = Path(spec).expanduser()
    if path.suffix.lower() == ".json" and path.is_file():
        dataset: Dataset = open_coco(path, image_dir=Path(image_dir) if image_dir else None)
    elif path.is_dir():
        dataset = open_folder(path, split=split, video=video)
    else:
        dataset = _open_named(str(spec), Path(root) if root is not None else None, split, video)
    return dataset.subset(limit=limit, every=every)


def _open_named(name: str, root: Path | None, split: str | None, video: bool | None) -> Dataset:
    if _looks_like_path(name):
        raise InputError(f"{name}: no such data set folder or file; check the path")
    root = root if root is not None else data_root(name)
    known = KNOWN_DATASETS.get(name)
    if known is not None:
        folder, split = root / known.folder, split or known.split
    else:
        folder, split, video = _resolve_unlisted(name, root, split, video)
    if not folder.is_dir():
        raise InputError(
            f"data set {name!r}: {folder} is missing; put the data sets there or set {ROOT_VARIABLE}=/path/to/datasets"
        )
    if split == "hash-val":
        return hash_validation_part(open_folder(folder, name=name, video=video))
    return open_folder(folder, name=name, split=split, video=video)


def hash_validation_part(dataset: Dataset) -> Dataset:
    """The samples of ``dataset`` in the fixed 15% hash validation split (:mod:`bodyseg.datasets.splits`)."""
    part = dataset.subset()
    part.entries = [e for e in dataset.entries if is_validation(e.id)]
    return part


def _resolve_unlisted(
    name: str, root: Path, split: str | None, video: bool | None
) -> tuple[Path, str | None, bool | None]:
    """``folder-split`` and ``videoset/sequence`` names, or a plain sub-folder of the root."""
    base, dash, wanted = name.rpartition("-")
    if dash and (root / base / "split.txt").is_file():
        return root / base, split or wanted, video
    parent = name.split("/")[0]
    if "/" in name and parent in KNOWN_DATASETS and not (root / parent / "images").is_dir():
        return root / name, split, True if video is None else video
    if (root / name).is_dir():
        return root / name, split, video
    known = ", ".join(KNOWN_DATASETS)
    raise InputError(f"unknown data set {name!r}: no folder {root / name}; give a folder path or one of: {known}")


def data_root(wanted: str = "data sets") -> Path:
    """The folder that holds the data sets.

    ``$BODYSEG_DATASETS`` if set, else ``../shared/datasets`` beside the repository that holds
    the current folder (or bodyseg's own source checkout).

    Raises:
        InputError: naming the places looked at and how to point bodyseg at the data.
    """
    if os.environ.get(ROOT_VARIABLE):
        root = Path(os.environ[ROOT_VARIABLE]).expanduser()
        if not root.is_dir():
            raise InputError(f"{ROOT_VARIABLE}={root} is not a folder; point it at the folder that holds the data sets")
        return root
    candidates = [repo.parent / "shared" / "datasets" for repo in _repositories()]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = ", ".join(str(c) for c in candidates) or "no repository around the current folder"
    raise InputError(
        f"cannot find {wanted}: no data root ({looked}); set {ROOT_VARIABLE}=/path/to/datasets or give a folder path"
    )


def _repositories() -> list[Path]:
    """The repository around the current folder, then bodyseg's own source checkout (if any)."""
    found: list[Path] = []
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / "pyproject.toml").is_file():
            found.append(folder)
            break
    source = Path(__file__).resolve().parents[3]
    if (source / "pyproject.toml").is_file() and source not in found:
        found.append(source)
    return found


def _looks_like_path(text: str) -> bool:
    return text.startswith((".", "/", "~")) or os.sep + os.sep in text or text.endswith((".json", os.sep))
