"""bodyseg: segment people in images and video.

Example:
    >>> import bodyseg
    >>> seg = bodyseg.segment(bodyseg.example_image())
    >>> seg.mask().shape
    (512, 512)
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from pathlib import Path
from typing import Any

from bodyseg import effects
from bodyseg.errors import BodysegError, InputError, MethodError, OutputError
from bodyseg.io import load_image, read_image, write_image
from bodyseg.io.images import ImageLike
from bodyseg.result import Parts, Person, Segmentation
from bodyseg.segmenters import DEFAULT_METHOD, Segmenter, available, create
from bodyseg.version import __version__
from bodyseg.video import VideoSegmenter

logging.getLogger(__name__).addHandler(logging.NullHandler())


def segment(image: ImageLike, method: str | None = None, **options: Any) -> Segmentation:
    """Segment the people in an image.

    Args:
        image: a file path, a PIL image or an HxWx3 RGB uint8 array.
        method: a registered method name (see :func:`available`); the default method when None.
        **options: the method's options (e.g. ``model="landscape"`` for ``mediapipe-selfie``).

    The segmenter is created once per (method, options) and reused by later calls.

    Example:
        >>> seg = segment(example_image(), method="mediapipe-selfie")
        >>> bool(0.1 < seg.mask().mean() < 0.9)
        True
    """
    return _cached_segmenter(method or DEFAULT_METHOD, tuple(sorted(options.items()))).segment(image)


@functools.lru_cache(maxsize=8)
def _cached_segmenter(method: str, options: tuple[tuple[str, Any], ...]) -> Segmenter:
    return create(method, **dict(options))


def example_image() -> Path:
    """Path of the bundled example photo (NASA astronaut portrait, public domain)."""
    return Path(str(resources.files("bodyseg") / "data" / "astronaut.jpg"))


__all__ = [
    "BodysegError",
    "InputError",
    "MethodError",
    "OutputError",
    "Parts",
    "Person",
    "Segmentation",
    "Segmenter",
    "__version__",
    "VideoSegmenter",
    "available",
    "create",
    "effects",
    "example_image",
    "load_image",
    "read_image",
    "segment",
    "write_image",
]
