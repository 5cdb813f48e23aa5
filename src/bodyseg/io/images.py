"""Read any image safely as RGB uint8, write images atomically.

Reading sniffs the format from the bytes (not the file name), refuses images over a pixel limit
before decoding them in full (decompression bombs), applies the EXIF orientation, and converts
grey, palette, RGBA, CMYK and 16-bit images to RGB uint8. Writing goes to a temporary file in the
destination folder and is renamed into place, so a failed write never leaves a partial file.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps

from bodyseg.errors import InputError, OutputError
from bodyseg.io.atomic import atomic_path

#: Images with more pixels than this are refused unless the caller raises the limit.
DEFAULT_MAX_PIXELS = 50_000_000
#: File name suffixes treated as images when a folder or glob is expanded.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".ppm", ".pgm")

ImageLike = str | os.PathLike | np.ndarray | Image.Image

log = logging.getLogger(__name__)

# Truncated files must fail loudly, never decode to a half-grey picture.
ImageFile.LOAD_TRUNCATED_IMAGES = False
# Our own limit (checked before decoding) replaces Pillow's global one.
Image.MAX_IMAGE_PIXELS = None
# A TIFF cut inside its tags: Pillow warns on stderr (two lines, a source line) and then fails or
# not on its own; the failure is our one-line InputError, so the warning only adds noise.
warnings.filterwarnings("ignore", message="Truncated File Read", category=UserWarning, module="PIL")


def read_image(path: str | os.PathLike, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image file as an upright HxWx3 RGB uint8 array.

    Args:
        path: the image file.
        max_pixels: refuse images with more pixels than this (checked from the header, before the
            pixels are decoded).

    Raises:
        InputError: missing path, a folder, an empty, truncated or non-image file, or too many pixels.

    Example:
        >>> from bodyseg import example_image
        >>> rgb = read_image(example_image())
        >>> rgb.dtype, rgb.shape[2]
        (dtype('uint8'), 3)
    """
    path = Path(path)
    _check_readable_file(path)
    return _decode(path, path, max_pixels)


def read_image_bytes(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    name: str = "image",
    formats: Sequence[str] | None = None,
    advice: str = "",
) -> np.ndarray:
    """Decode image file bytes (an upload) as an upright HxWx3 RGB uint8 array, with the checks of
    :func:`read_image`: format sniffed from the bytes, pixel count checked before decoding.

    Args:
        data: the bytes of an image file.
        max_pixels: refuse images with more pixels than this (checked from the header).
        name: what the messages call the image (a file name or "upload").
        formats: Pillow format names to accept (e.g. ``("JPEG", "PNG")``); None accepts all Pillow reads.
        advice: what to do about too many pixels, for the message; by default how to raise the limit.

    Raises:
        InputError: empty bytes, not an image (or not one of ``formats``), damaged or truncated;
            :class:`TooManyPixelsError` over ``max_pixels``.

    Example:
        >>> read_image_bytes(bodyseg.example_image().read_bytes(), name="astronaut.jpg").shape  # doctest: +SKIP
        (512, 512, 3)
    """
    if not data:
        raise InputError(f"{name}: the file is empty; re-export or re-download it")
    return _decode(io.BytesIO(data), name, max_pixels, formats=formats, advice=advice)


def _decode(
    source: Path | io.BytesIO, name: object, max_pixels: int, *, formats: Sequence[str] | None = None, advice: str = ""
) -> np.ndarray:
    """Open, check the pixel count from the header, then decode: the one decoder of files and bytes."""
    try:
        with Image.open(source, formats=formats) as im:
            _check_pixel_count(name, im.size, max_pixels, advice)
            im.load()
            _warn_if_animated(im, name)
            return pil_to_rgb(im)
    except InputError:
        raise
    except Image.UnidentifiedImageError:
        raise InputError(f"{name}: not an image bodyseg can read (use JPEG, PNG, WebP, BMP or TIFF)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{name}: the image is damaged or truncated ({exc}); re-export or re-download it") from None


def _warn_if_animated(im: Image.Image, name: object) -> None:
    """Animated GIF/WebP and multi-page TIFF: the first frame is read; say so, and what reads them all."""
    if getattr(im, "is_animated", False):
        log.warning(
            "%s: holds several frames (an animation or a multi-page file); only the first is used (run "
            "`bodyseg video` on it for every frame of a GIF)",
            name,
        )


def load_image(image: ImageLike, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Turn a path, a PIL image or an array into an HxWx3 RGB uint8 array.

    Arrays may be HxW (grey), HxWx3 (RGB) or HxWx4 (RGBA), uint8 or float in [0, 1]; they are
    taken to be RGB (convert OpenCV's BGR yourself).

    Example:
        >>> load_image(np.zeros((2, 3), np.uint8)).shape
        (2, 3, 3)
    """
    if isinstance(image, (str, os.PathLike)):
        return read_image(image, max_pixels=max_pixels)
    if isinstance(image, Image.Image):
        _check_pixel_count("image", image.size, max_pixels)
        return pil_to_rgb(image)
    if isinstance(image, np.ndarray):
        return array_to_rgb(image)
    raise InputError(
        f"cannot use a {type(image).__name__} as an image: pass a file path, a PIL image or an RGB uint8 array"
    )


def pil_to_rgb(im: Image.Image) -> np.ndarray:
    """Upright RGB uint8 array from any PIL image (EXIF orientation applied, alpha dropped)."""
    im = ImageOps.exif_transpose(im) or im
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return array_to_rgb(_high_depth_to_uint8(np.asarray(im)))
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        # Composite on white so transparent areas do not turn into arbitrary colours.
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.ascontiguousarray(np.asarray(im.convert("RGB")))


def array_to_rgb(array: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 from a grey, RGB or RGBA array (uint8, 16-bit or float in [0, 1])."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise InputError(f"an image array must be HxW, HxWx3 or HxWx4, got shape {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise InputError(f"the image array is empty (shape {a.shape})")
    if a.dtype != np.uint8:
        a = _high_depth_to_uint8(a)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    elif a.shape[2] == 4:
        a = a[..., :3]
    return np.ascontiguousarray(a)


def _high_depth_to_uint8(a: np.ndarray) -> np.ndarray:
    if np.issubdtype(a.dtype, np.floating):
        return (np.clip(np.nan_to_num(a), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * 255
    top = 65535 if a.max(initial=0) > 255 or a.dtype in (np.uint16, np.int32) else 255
    return (np.clip(a.astype(np.float64), 0, top) * (255.0 / top) + 0.5).astype(np.uint8)


def _check_readable_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise InputError(
            f"{path}: is a folder, expected an image file (give the folder as an input to process all its images)"
        )
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; re-export or re-download it")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: not readable; check its permissions")


class TooManyPixelsError(InputError):
    """An image has more pixels than the limit (found from its header, before decoding)."""


def _check_pixel_count(name: object, size: tuple[int, int], max_pixels: int, advice: str = "") -> None:
    width, height = size
    if width * height > max_pixels:
        advice = advice or "raise it with --max-megapixels (or max_pixels= in Python) if you trust the file"
        raise TooManyPixelsError(
            f"{name}: {width}x{height} is {width * height / 1e6:.1f} megapixels, over the limit of "
            f"{max_pixels / 1e6:.1f}; {advice}"
        )


def write_image(path: str | os.PathLike, image: np.ndarray, *, quality: int = 92) -> Path:
    """Write an HxW, HxWx3 or HxWx4 uint8 array atomically; the format follows the suffix.

    JPEG cannot hold transparency: RGBA arrays need a .png/.webp/.tif path.

    Example:
        >>> write_image("mask.png", seg.mask().astype(np.uint8) * 255)  # doctest: +SKIP
    """
    path = Path(path)
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise OutputError(f"{path}: unknown image suffix {path.suffix!r}; use .png, .jpg or .webp")
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 4 and fmt == "JPEG":
        raise OutputError(f"{path}: JPEG has no transparency; write the cut-out as .png or .webp")
    pil = Image.fromarray(array)
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    with atomic_path(path) as tmp:
        pil.save(tmp, format=fmt, **options)
    return path


def write_label_png(path: str | os.PathLike, labels: np.ndarray, palette: np.ndarray | None = None) -> Path:
    """Write HxW label ids (0-255) atomically as an 8-bit PNG: a palette PNG with ``palette`` (Kx3
    uint8 RGB, one row per id), else grey. Either way the pixel values are the ids.

    Example:
        >>> write_label_png("photo.parts.png", seg.parts.labels, LIP.palette())  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise OutputError(f"{path}: label maps are written as PNG (lossless); use a .png name")
    array = np.asarray(labels)
    if array.ndim != 2 or array.size and (array.min() < 0 or array.max() > 255):
        raise OutputError(f"{path}: label ids must be an HxW map of 0-255, got shape {array.shape}")
    pil = Image.fromarray(array.astype(np.uint8), mode="L")
    if palette is not None:
        pil = pil.convert("P")
        flat = np.zeros((256, 3), np.uint8)
        flat[: len(palette)] = np.asarray(palette, np.uint8)
        pil.putpalette(flat.ravel().tolist())
    with atomic_path(path) as tmp:
        pil.save(tmp, format="PNG")
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 atomically (JSON, CSV, Markdown outputs).

    Example:
        >>> write_text("photo.people.json", json.dumps(document))  # doctest: +SKIP
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
