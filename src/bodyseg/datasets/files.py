"""Reading the annotation files of data sets: label maps, label-name lists, split lists.

Images themselves are read by :mod:`bodyseg.io`; label maps are read here without any colour
conversion, because their pixel values are ids (a palette PNG keeps its indices).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from bodyseg.errors import InputError
from bodyseg.io.images import IMAGE_SUFFIXES

#: Label-name files looked for beside a ``parts/`` folder, first match wins.
LABEL_FILES = ("labels.txt", "part_labels.txt", "parts/labels.txt")


def read_label_map(path: Path) -> np.ndarray:
    """HxW integer ids from a PNG label map (grey, palette or 16-bit; RGB keeps its first channel).

    Example:
        >>> read_label_map(Path("ccp/parts/0001.png")).dtype  # doctest: +SKIP
        dtype('uint8')
    """
    try:
        with Image.open(path) as im:
            array = np.asarray(im)
    except FileNotFoundError:
        raise InputError(f"{path}: no such annotation file; check the data set folder") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: cannot read this label map ({exc}); re-export it as PNG") from None
    if array.ndim == 3:
        array = array[..., 0]
    return array


def binary_mask(labels: np.ndarray) -> np.ndarray:
    """HxW bool person mask from a 0/255 (or 0/1) mask image.

    Values above half the range are person, so lossy re-encoding does not add stray pixels.

    Example:
        >>> binary_mask(np.array([[0, 255, 200, 3]], np.uint8)).tolist()
        [[False, True, True, False]]
        >>> binary_mask(np.array([[0, 1]], np.uint8)).tolist()
        [[False, True]]
    """
    top = int(labels.max(initial=0))
    return labels > (top // 2 if top > 1 else 0)


def image_size(path: Path) -> tuple[int, int]:
    """``(height, width)`` of an image from its header, without decoding the pixels."""
    try:
        with Image.open(path) as im:
            width, height = im.size
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the image header ({exc}); re-export or remove it") from None
    return height, width


def read_label_names(path: Path) -> tuple[str, ...]:
    """Label names by id from a label file (see :func:`parse_label_names`)."""
    try:
        return parse_label_names(path.read_text(encoding="utf-8").splitlines())
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def parse_label_names(lines: Iterable[str]) -> tuple[str, ...]:
    """Label names by id from ``"19 hair"`` lines (ids may skip) or one name a line.

    Ids missing from the lines are named ``label<id>``.

    Example:
        >>> parse_label_names(["0 background", "2 upper-clothes"])
        ('background', 'label1', 'upper-clothes')
        >>> parse_label_names(["null", "hair"])
        ('null', 'hair')
    """
    names: dict[int, str] = {}
    kept = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    for index, line in enumerate(kept):
        first, _, rest = line.partition(" ")
        if first.isdigit() and rest.strip():
            names[int(first)] = rest.strip()
        else:
            names[index] = line
    if not names:
        raise InputError("holds no label names; write one 'ID NAME' per line")
    return tuple(names.get(i, f"label{i}") for i in range(max(names) + 1))


def find_label_file(root: Path) -> Path | None:
    """The label-name file of a data set folder (one of :data:`LABEL_FILES`), if any."""
    return next((root / name for name in LABEL_FILES if (root / name).is_file()), None)


def read_split(path: Path) -> dict[str, str]:
    """``{id: split}`` from a split file (see :func:`parse_split`)."""
    try:
        return parse_split(path.read_text(encoding="utf-8").splitlines())
    except InputError as exc:
        raise InputError(f"{path}:{exc}") from None


def parse_split(lines: Iterable[str]) -> dict[str, str]:
    """``{id: split}`` from ``"0001 train"`` lines.

    Example:
        >>> parse_split(["0001 train", "0002 val", ""])
        {'0001': 'train', '0002': 'val'}
    """
    splits: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != 2:
            raise InputError(f"{number}: expected 'ID SPLIT' (e.g. '0001 train'), got {line!r}")
        splits[fields[0]] = fields[1]
    return splits


def natural_key(name: str) -> list[object]:
    """Sort key that puts ``frame2`` before ``frame10``.

    Example:
        >>> sorted(["f10", "f2", "f1"], key=natural_key)
        ['f1', 'f2', 'f10']
    """
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def files_by_stem(folder: Path, suffixes: Iterable[str] = IMAGE_SUFFIXES) -> dict[str, Path]:
    """``{stem: file}`` of the image files directly in ``folder``, in natural order."""
    if not folder.is_dir():
        return {}
    allowed = tuple(suffixes)
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in allowed and not p.name.startswith(".")]
    return {p.stem: p for p in sorted(files, key=lambda p: natural_key(p.name))}
