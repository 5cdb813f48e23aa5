"""bodyseg: segment people in images and video.

The public API is here; what it needs is imported on first use, so ``import bodyseg`` stays quick
(no OpenCV, no model runtime until an image is segmented).

Example:
    >>> import bodyseg
    >>> seg = bodyseg.segment(bodyseg.example_image())
    >>> seg.mask().shape
    (512, 512)
"""

from __future__ import annotations

import functools
import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bodyseg.errors import BodysegError, InputError, MethodError, OutputError
from bodyseg.result import Parts, Person, Segmentation
from bodyseg.version import __version__

if TYPE_CHECKING:
    from bodyseg.io.images import ImageLike
    from bodyseg.segmenters.base import Segmenter

logging.getLogger(__name__).addHandler(logging.NullHandler())

#: Public names imported on first use: name -> "module" (a sub-module) or "module:attribute".
_LAZY = {
    "effects": "bodyseg.effects",
    "load_image": "bodyseg.io.images:load_image",
    "read_image": "bodyseg.io.images:read_image",
    "write_image": "bodyseg.io.images:write_image",
    "Segmenter": "bodyseg.segmenters.base:Segmenter",
    "available": "bodyseg.segmenters:available",
    "create": "bodyseg.segmenters:create",
    "DEFAULT_METHOD": "bodyseg.segmenters:DEFAULT_METHOD",
    "VideoSegmenter": "bodyseg.video.segmenter:VideoSegmenter",
}


def __getattr__(name: str) -> Any:
    """Import a public name of :data:`_LAZY` the first time it is used."""
    if name not in _LAZY:
        raise AttributeError(f"module 'bodyseg' has no attribute {name!r}")
    module, _, attribute = _LAZY[name].partition(":")
    value = importlib.import_module(module)
    value = getattr(value, attribute) if attribute else value
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
    from bodyseg.segmenters import DEFAULT_METHOD

    return _cached_segmenter(method or DEFAULT_METHOD, tuple(sorted(options.items()))).segment(image)


@functools.lru_cache(maxsize=8)
def _cached_segmenter(method: str, options: tuple[tuple[str, Any], ...]) -> Segmenter:
    from bodyseg.segmenters import create

    return create(method, **dict(options))


def example_image() -> Path:
    """Path of the bundled example photo (NASA astronaut portrait, public domain).

    Example:
        >>> example_image().name
        'astronaut.jpg'
    """
    return Path(__file__).resolve().parent / "data" / "astronaut.jpg"


__all__ = [
    "BodysegError",
    "InputError",
    "MethodError",
    "OutputError",
    "Parts",
    "Person",
    "Segmentation",
    "Segmenter",
    "VideoSegmenter",
    "__version__",
    "available",
    "create",
    "effects",
    "example_image",
    "load_image",
    "read_image",
    "segment",
    "write_image",
]
