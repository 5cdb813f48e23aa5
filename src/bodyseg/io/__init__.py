"""Files and bytes: the only place bodyseg reads or writes them."""

from bodyseg.io.images import (
    DEFAULT_MAX_PIXELS,
    IMAGE_SUFFIXES,
    atomic_path,
    load_image,
    read_image,
    write_image,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "atomic_path",
    "load_image",
    "read_image",
    "write_image",
]
