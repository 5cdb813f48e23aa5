"""COCO run-length encoding of masks, both directions, in numpy (no pycocotools needed).

A COCO RLE reads the mask column by column (Fortran order) and stores the lengths of the
alternating runs, starting with a run of zeros (which may be empty). The *compressed* form, the
one COCO JSON files use, writes each count (minus the count two places back, from the fourth on)
as a little-endian base-32 varint: 5 bits per character, bit 6 set while more characters follow,
bit 5 of the last character the sign, and 48 added so the text is printable.

Example:
    >>> m = np.zeros((3, 4), bool); m[1, 1:3] = True
    >>> rle = encode_mask(m)
    >>> rle
    {'size': [3, 4], 'counts': '41202'}
    >>> bool((decode_mask(rle) == m).all())
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bodyseg.errors import InputError

#: Masks larger than this are refused before they are allocated (a damaged size, not a real image).
MAX_PIXELS = 200_000_000


def run_lengths(mask: np.ndarray) -> np.ndarray:
    """The COCO run lengths of an HxW mask: zeros first, column-major.

    Example:
        >>> run_lengths(np.array([[0, 1], [1, 1]], bool)).tolist()  # column-major: 0, 1, 1, 1
        [1, 3]
        >>> run_lengths(np.ones((2, 2), bool)).tolist()
        [0, 4]
    """
    flat = np.asarray(mask, dtype=bool).ravel(order="F")
    if flat.size == 0:
        return np.zeros(0, np.int64)
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    edges = np.concatenate(([0], changes, [flat.size]))
    runs = np.diff(edges)
    return np.concatenate(([0], runs)) if flat[0] else runs


def counts_to_string(counts: np.ndarray | list[int]) -> str:
    """COCO's compressed text of run lengths (pycocotools' ``rleToString``).

    Example:
        >>> counts_to_string([5, 2, 5, 2])  # 5, 2, 5, then 2 - 2 = 0
        '5250'
        >>> counts_to_string([0, 40])  # 40 needs two characters
        '0X1'
    """
    values = [int(c) for c in counts]
    chars: list[str] = []
    for i, value in enumerate(values):
        x = value - values[i - 2] if i > 2 else value
        while True:
            c = x & 0x1F
            x >>= 5  # arithmetic shift: negative deltas end in all ones
            more = x != -1 if c & 0x10 else x != 0
            chars.append(chr(c + 48 + (0x20 if more else 0)))
            if not more:
                break
    return "".join(chars)


def string_to_counts(text: str | bytes) -> np.ndarray:
    """Run lengths from COCO's compressed text (pycocotools' ``rleFrString``).

    Raises:
        InputError: a character outside COCO's alphabet, or text that ends mid-number.

    Example:
        >>> string_to_counts("0X1").tolist()
        [0, 40]
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    counts: list[int] = []
    x, shift = 0, 0
    for char in text:
        c = ord(char) - 48
        if not 0 <= c < 64:
            raise InputError(f"COCO RLE counts hold {char!r}, which is not an RLE character; the text is damaged")
        x |= (c & 0x1F) << shift
        shift += 5
        if shift > 60:  # a count over 2**60 pixels: no mask is that large
            raise InputError("COCO RLE counts hold a number too large for any mask; the text is damaged")
        if c & 0x20:
            continue
        if c & 0x10:
            x -= 1 << shift  # sign-extend
        counts.append(x + counts[-2] if len(counts) > 2 else x)
        x, shift = 0, 0
    if shift:
        raise InputError("COCO RLE counts end in the middle of a number; the text is truncated")
    return np.asarray(counts, np.int64)


def mask_from_counts(counts: np.ndarray | list[int], size: tuple[int, int]) -> np.ndarray:
    """The HxW bool mask of COCO run lengths (zeros first, column-major).

    Raises:
        InputError: negative runs, or runs that do not add up to ``h * w``.

    Example:
        >>> mask_from_counts([1, 3], (2, 2)).astype(int).tolist()
        [[0, 1], [1, 1]]
    """
    h, w = (int(s) for s in size)
    runs = np.asarray(counts, np.int64)
    if (runs < 0).any() or runs.sum() != h * w:
        raise InputError(
            f"COCO RLE runs add up to {int(runs.sum())} pixels (or go negative) but size {h}x{w} needs {h * w}; the "
            "RLE is damaged"
        )
    values = np.arange(runs.size) % 2 == 1
    return np.repeat(values, runs).reshape(w, h).T


def encode_mask(mask: np.ndarray) -> dict[str, Any]:
    """Compressed COCO RLE of an HxW mask, JSON-ready: ``{"size": [h, w], "counts": str}``.

    Example:
        >>> encode_mask(np.array([[0, 1], [1, 1]], bool))
        {'size': [2, 2], 'counts': '13'}
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise InputError(f"a COCO RLE holds one HxW mask, got shape {mask.shape}")
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": counts_to_string(run_lengths(mask))}


def decode_mask(rle: dict[str, Any]) -> np.ndarray:
    """The HxW bool mask of a COCO RLE: compressed (``counts`` text or bytes) or not (a list).

    Raises:
        InputError: no ``size``/``counts``, or counts that do not fit the size.

    Example:
        >>> decode_mask({"size": [2, 2], "counts": "13"}).astype(int).tolist()
        [[0, 1], [1, 1]]
        >>> decode_mask({"size": [2, 2], "counts": [1, 3]}).astype(int).tolist()
        [[0, 1], [1, 1]]
    """
    try:
        size, counts = rle["size"], rle["counts"]
    except (KeyError, TypeError, IndexError):
        raise InputError(f"not a COCO RLE (needs 'size' and 'counts'): {str(rle)[:80]}") from None
    return mask_from_counts(_runs_of(counts), _size_of(size))


def _size_of(size: object) -> tuple[int, int]:
    """``[h, w]`` of an RLE, checked: two whole numbers >= 0 whose product is at most :data:`MAX_PIXELS`."""
    if (
        not isinstance(size, (list, tuple))
        or len(size) != 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in size)
    ):
        raise InputError(f"COCO RLE size must be [height, width] (two whole numbers >= 0), got {str(size)[:40]}")
    h, w = size
    if h * w > MAX_PIXELS:
        raise InputError(f"COCO RLE size {h}x{w} is over {MAX_PIXELS / 1e6:.0f} megapixels; the RLE is damaged")
    return h, w


def _runs_of(counts: object) -> np.ndarray:
    """Run lengths from compressed text or bytes, or a list of whole numbers."""
    if isinstance(counts, (str, bytes)):
        return string_to_counts(counts)
    if isinstance(counts, list) and all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
        return np.asarray(counts, np.int64) if counts else np.zeros(0, np.int64)
    raise InputError(f"COCO RLE counts must be text or a list of whole numbers, got {str(counts)[:40]}")
